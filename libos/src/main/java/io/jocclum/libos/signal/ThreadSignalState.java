package io.jocclum.libos.signal;

import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.SignalInfo;
import io.jocclum.api.Errno;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.Waiter;

/**
 * One guest thread's signal state (Linux {@code task_struct.blocked}, {@code .pending}) and the
 * file layer's {@link ThreadSignals} hook for it.
 *
 * <p>Design: the blocked mask and the thread-directed pending set are volatile longs; pending
 * sets (this one and the process's {@link Sighand#sharedPending}) change only under the
 * {@link Sighand} lock, and every change that may interrupt the thread is followed by a wake-up
 * of its {@link Waiter}. A blocking call checks {@link #interruptPending()} before parking and
 * after each wake-up, so a signal can never be missed. The mask is written only by its own
 * thread. {@link #dequeue()} picks the next signal to deliver (thread-directed first, then
 * process-directed, lowest number first, as Linux {@code dequeue_signal}), discarding those whose
 * action has become "ignore". Running the handler, or killing the process when the action is
 * fatal, is {@link SignalDelivery}'s job.
 *
 * <p>A temporary mask (epoll_pwait, ppoll, pselect) interrupted by a signal stays installed
 * until the handler ran: {@link #restoreMask} with {@code interrupted} records the mask to put
 * back after delivery ({@link #finishDelivery}), Linux's {@code set_restore_sigmask}.
 */
public final class ThreadSignalState implements ThreadSignals {

    /** What the thread's process offers this state. */
    public interface Owner {
        /** True once the process is being killed or is exiting as a group. */
        boolean dying();

        /** Kills the process with {@code sig} (a fatal signal reached the thread). */
        void die(int sig);
    }

    /** A signal taken for delivery and its action at that moment. */
    public record Delivery(int sig, SigAction action) {
        /** True when the default action kills the process. */
        public boolean fatal() {
            return action.kind() == SigAction.Kind.DEFAULT && (sig == Signal.SIGKILL || DefaultAction.of(sig).kills());
        }
    }

    private final Sighand sighand;
    private final Owner owner;
    private final Waiter waiter;
    /** Blocked signals; written only by the owning thread (and at creation). */
    private volatile long mask;
    /** Thread-directed pending signals; written under {@code sighand.lock}. */
    private volatile long pending;
    /** siginfo code and sender of each thread-directed pending signal; under {@code sighand.lock}. */
    private final int[] infoCode = new int[Signal.NSIG + 1];
    private final int[] infoPid = new int[Signal.NSIG + 1];
    /** Mask to restore after the next delivery; touched by the owning thread only. */
    private long restoreAfter;
    private boolean restorePending;

    public ThreadSignalState(Sighand sighand, Owner owner, Waiter waiter, long initialMask) {
        this.sighand = sighand;
        this.owner = owner;
        this.waiter = waiter;
        this.mask = initialMask & ~Sighand.UNBLOCKABLE;
    }

    public Waiter waiter() {
        return waiter;
    }

    public long mask() {
        return mask;
    }

    /** Thread-directed pending set. */
    public long pending() {
        return pending;
    }

    /** True when the thread does not block {@code sig}. */
    public boolean accepts(int sig) {
        return (mask & Signal.bit(sig)) == 0;
    }

    /**
     * True when something awaits this thread at its next syscall boundary: the process is dying,
     * or a signal it does not block and does not ignore is pending. One or two volatile reads
     * when nothing is pending.
     */
    public boolean attention() {
        return owner.dying() || ((pending | sighand.sharedPending) & ~mask) != 0 || restorePending;
    }

    @Override
    public boolean interruptPending() {
        if (owner.dying()) {
            return true;
        }
        long p = (pending | sighand.sharedPending) & ~mask;
        if (p == 0) {
            return false;
        }
        synchronized (sighand.lock) {
            for (long b = p; b != 0; b &= b - 1) {
                int sig = Long.numberOfTrailingZeros(b) + 1;
                if (!sighand.ignoredLocked(sig)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Makes {@code sig} pending for this thread (tkill, SIGPIPE, synchronous signals). An
     * ignored, unblocked signal is discarded; a fatal unblocked one kills the process; otherwise
     * the thread is woken to deliver it.
     */
    public void send(int sig) {
        send(sig, SignalInfo.SI_KERNEL, 0);
    }

    /** {@link #send(int)} with the siginfo a signalfd read reports ({@code code}, sender {@code pid}). */
    public void send(int sig, int code, int pid) {
        boolean fatal;
        synchronized (sighand.lock) {
            long bit = Signal.bit(sig);
            boolean blocked = (mask & bit) != 0 && (bit & Sighand.UNBLOCKABLE) == 0;
            if (!blocked && sighand.ignoredLocked(sig)) {
                return;
            }
            if ((pending & bit) == 0) {
                infoCode[sig] = code;
                infoPid[sig] = pid;
            }
            pending |= bit;
            fatal = !blocked && sighand.fatalLocked(sig);
        }
        if (fatal) {
            owner.die(sig);
        }
        waiter.wake();
        sighand.signalNotifier().broadcast(IoEvents.IN | IoEvents.RDNORM);
    }

    @Override
    public Notifier signalNotifier() {
        return sighand.signalNotifier();
    }

    @Override
    public long pendingSignals() {
        return pending | sighand.sharedPending;
    }

    @Override
    public SignalInfo takeSignal(long set) {
        synchronized (sighand.lock) {
            long own = pending & set;
            if (own != 0) {
                int sig = Long.numberOfTrailingZeros(own) + 1;
                pending &= ~Signal.bit(sig);
                return new SignalInfo(sig, infoCode[sig], infoPid[sig]);
            }
            long shared = sighand.sharedPending & set;
            if (shared != 0) {
                return sighand.takeSharedLocked(Long.numberOfTrailingZeros(shared) + 1);
            }
            return null;
        }
    }

    /**
     * Takes the next signal to deliver, or null. Ignored signals met on the way are discarded.
     * Only the owning thread calls this.
     */
    public Delivery dequeue() {
        synchronized (sighand.lock) {
            for (;;) {
                long own = pending & ~mask;
                long shared = sighand.sharedPending & ~mask;
                if (own == 0 && shared == 0) {
                    return null;
                }
                boolean fromOwn = own != 0;
                int sig = Long.numberOfTrailingZeros(fromOwn ? own : shared) + 1;
                long bit = Signal.bit(sig);
                if (fromOwn) {
                    pending &= ~bit;
                } else {
                    sighand.sharedPending &= ~bit;
                }
                if (sighand.ignoredLocked(sig)) {
                    continue;
                }
                return new Delivery(sig, sighand.action(sig));
            }
        }
    }

    /**
     * {@code rt_sigprocmask}: returns the old mask. SIGKILL and SIGSTOP are silently kept
     * unblocked; EINVAL for an unknown {@code how}.
     */
    public long setMask(int how, long set) {
        long old = mask;
        long m = switch (how) {
            case Signal.SIG_BLOCK -> old | set;
            case Signal.SIG_UNBLOCK -> old & ~set;
            case Signal.SIG_SETMASK -> set;
            default -> throw Errno.EINVAL.exception("sigprocmask how " + how);
        };
        mask = m & ~Sighand.UNBLOCKABLE;
        return old;
    }

    /** Sets the mask directly (handler entry and return). */
    public void setMaskRaw(long m) {
        mask = m & ~Sighand.UNBLOCKABLE;
    }

    /** {@code rt_sigpending}: pending signals (thread and process) that are blocked. */
    public long sigpending() {
        return (pending | sighand.sharedPending) & mask;
    }

    @Override
    public long setTemporaryMask(long newMask) {
        long old = mask;
        mask = newMask & ~Sighand.UNBLOCKABLE;
        return old;
    }

    @Override
    public void restoreMask(long saved, boolean interrupted) {
        if (interrupted) {
            restoreAfter = saved;
            restorePending = true;
        } else {
            mask = saved;
        }
    }

    /** After delivery at a syscall boundary: puts back a mask a pwait-style call left installed. */
    public void finishDelivery() {
        if (restorePending) {
            restorePending = false;
            mask = restoreAfter;
        }
    }

    /** True while a temporary mask waits to be restored after delivery. */
    public boolean restorePending() {
        return restorePending;
    }

    @Override
    public void raiseSigpipe() {
        send(Signal.SIGPIPE);
    }
}
