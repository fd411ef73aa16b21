package io.jocclum.libos.signal;

import io.jocclum.api.Errno;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.Syscalls;

/**
 * Delivery of one guest thread's pending signals at a system-call boundary (Linux
 * {@code arch_do_signal_or_restart} in {@code arch/x86/kernel/signal.c} and {@code get_signal}
 * in {@code kernel/signal.c}): a dying process ends the thread, a fatal default action kills the
 * process, a handler runs on the thread with the signal and the action's mask blocked.
 *
 * <p>Interrupted calls (signal(7), "Interruption of system calls and library functions by signal
 * handlers"): after an ERESTARTSYS, {@link #restartOrEintr} delivers and says whether the call is
 * restarted (every handler that ran had SA_RESTART, or none ran) or fails with EINTR.
 *
 * <p>The thread ends by throwing the process layer's unwinding error, given at construction, so
 * that this package does not depend on the process layer. A temporary mask a pwait-style call
 * left installed is put back only by the outermost boundary (a handler's own system calls do not
 * restore it). Not thread-safe: one per guest thread, used by that thread only.
 */
public final class SignalDelivery {
    private final ThreadSignalState signals;
    private final Sighand sighand;
    private final ThreadSignalState.Owner process;
    private final Syscalls handlerSyscalls;
    private final Error exit;
    /** Handlers running on this thread: a mask left by a pwait call is restored only by the outermost boundary. */
    private int delivering;

    /**
     * @param signals         the thread's signal state
     * @param sighand         its process's actions (SA_RESETHAND resets one)
     * @param process         its process (dying? die)
     * @param handlerSyscalls what a handler gets to make system calls with (the thread's façade)
     * @param exit            thrown to end the thread when its process is dying
     */
    public SignalDelivery(ThreadSignalState signals, Sighand sighand, ThreadSignalState.Owner process, Syscalls handlerSyscalls,
            Error exit) {
        this.signals = signals;
        this.sighand = sighand;
        this.process = process;
        this.handlerSyscalls = handlerSyscalls;
        this.exit = exit;
    }

    /** True when the thread must stop at its next boundary (one or two volatile reads when nothing is pending). */
    public boolean attention() {
        return signals.attention();
    }

    /** Delivers what is pending: ends the thread if the process is dying, runs handlers, kills on fatal actions. */
    public void boundary() {
        deliverPending();
    }

    /**
     * An ERESTARTSYS came up: delivers the pending signals; returns normally when the call is to
     * be restarted ({@code always}, as for pthread_join, which never fails with EINTR; else when
     * every handler had SA_RESTART, or none ran), else throws EINTR.
     */
    public void restartOrEintr(boolean always) {
        if (!deliverPending() && !always) {
            throw Errno.EINTR.exception("interrupted by a signal handler without SA_RESTART");
        }
    }

    /** Delivers every pending signal; returns false when a handler without SA_RESTART ran. */
    private boolean deliverPending() {
        if (process.dying()) {
            throw exit;
        }
        boolean restart = true;
        ThreadSignalState.Delivery d;
        while ((d = signals.dequeue()) != null) {
            restart &= deliver(d);
        }
        if (delivering == 0) {
            signals.finishDelivery();
        }
        return restart;
    }

    /** Delivers one signal; returns true unless it ran a handler without SA_RESTART. */
    private boolean deliver(ThreadSignalState.Delivery d) {
        if (d.fatal()) {
            process.die(d.sig());
            throw exit;
        }
        SigAction a = d.action();
        if (a.kind() != SigAction.Kind.HANDLER) {
            return true;
        }
        if ((a.flags() & Signal.SA_RESETHAND) != 0) {
            sighand.set(d.sig(), SigAction.DEFAULT);
        }
        long old = signals.mask();
        long blocked = old | a.mask() | ((a.flags() & Signal.SA_NODEFER) != 0 ? 0 : Signal.bit(d.sig()));
        signals.setMaskRaw(blocked);
        delivering++;
        try {
            a.handler().handle(handlerSyscalls, d.sig());
        } finally {
            delivering--;
            signals.setMaskRaw(old);
        }
        if (process.dying()) {
            throw exit;
        }
        return (a.flags() & Signal.SA_RESTART) != 0;
    }
}
