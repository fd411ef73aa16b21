package io.jocclum.libos.signal;

import io.jocclum.api.Signal;

/**
 * The default action of each signal, signal(7) "Standard signals" (kernel/signal.c
 * {@code sig_kernel_only}, {@code SIG_KERNEL_COREDUMP_MASK}, {@code SIG_KERNEL_IGNORE_MASK},
 * {@code SIG_KERNEL_STOP_MASK}). Real-time signals terminate.
 */
public enum DefaultAction {
    /** Terminate the process. */
    TERM,
    /** Terminate the process and dump core (jocclum never writes a core: RLIMIT_CORE is 0). */
    CORE,
    /** Ignore the signal. */
    IGNORE,
    /** Stop the process: job control is not modelled, so it is ignored. */
    STOP,
    /** Continue a stopped process: nothing is ever stopped, so it is ignored. */
    CONT;

    /** The default action of {@code sig} (1..64). */
    public static DefaultAction of(int sig) {
        return switch (sig) {
            case Signal.SIGQUIT, Signal.SIGILL, Signal.SIGTRAP, Signal.SIGABRT, Signal.SIGBUS, Signal.SIGFPE,
                 Signal.SIGSEGV, Signal.SIGXCPU, Signal.SIGXFSZ, Signal.SIGSYS -> CORE;
            case Signal.SIGCHLD, Signal.SIGURG, Signal.SIGWINCH -> IGNORE;
            case Signal.SIGSTOP, Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU -> STOP;
            case Signal.SIGCONT -> CONT;
            default -> TERM;
        };
    }

    /** True when the action ends the process. */
    public boolean kills() {
        return this == TERM || this == CORE;
    }
}
