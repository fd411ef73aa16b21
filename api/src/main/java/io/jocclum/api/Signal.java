package io.jocclum.api;

/**
 * Signal numbers, {@code sigprocmask} operations and {@code sigaction} flags, x86_64 values
 * ({@code arch/x86/include/uapi/asm/signal.h}, {@code include/uapi/asm-generic/signal-defs.h}).
 * A signal set ({@code sigset_t} of 64 signals) is a {@code long} whose bit {@code sig - 1}
 * stands for signal {@code sig}, as the kernel stores it; see {@link #bit}.
 */
public final class Signal {
    private Signal() {
    }

    /** {@code sizeof(sigset_t)} in the kernel: the {@code sigsetsize} of the calls that take a mask. */
    public static final int SIGSET_SIZE = 8;

    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGILL = 4;
    public static final int SIGTRAP = 5;
    public static final int SIGABRT = 6;
    public static final int SIGBUS = 7;
    public static final int SIGFPE = 8;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGALRM = 14;
    public static final int SIGTERM = 15;
    public static final int SIGSTKFLT = 16;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;
    public static final int SIGURG = 23;
    public static final int SIGXCPU = 24;
    public static final int SIGXFSZ = 25;
    public static final int SIGVTALRM = 26;
    public static final int SIGPROF = 27;
    public static final int SIGWINCH = 28;
    public static final int SIGIO = 29;
    public static final int SIGPWR = 30;
    public static final int SIGSYS = 31;
    /** First real-time signal as the kernel numbers them (glibc reserves 32 and 33 for itself). */
    public static final int SIGRTMIN = 32;
    /** Last signal ({@code _NSIG} = 64). */
    public static final int SIGRTMAX = 64;
    /** Number of signals ({@code _NSIG}). */
    public static final int NSIG = 64;

    /** {@code sigprocmask} how: add the set to the mask. */
    public static final int SIG_BLOCK = 0;
    /** {@code sigprocmask} how: remove the set from the mask. */
    public static final int SIG_UNBLOCK = 1;
    /** {@code sigprocmask} how: replace the mask. */
    public static final int SIG_SETMASK = 2;

    /** sigaction flag: no SIGCHLD when children stop (accepted; job control is not modelled). */
    public static final int SA_NOCLDSTOP = 0x00000001;
    /** sigaction flag (SIGCHLD): children do not become zombies; wait4 waits for all of them and fails with ECHILD. */
    public static final int SA_NOCLDWAIT = 0x00000002;
    /** sigaction flag: three-argument handler (accepted; Java handlers always receive the signal number only). */
    public static final int SA_SIGINFO = 0x00000004;
    /** sigaction flag: handler on an alternate stack (accepted, no effect: handlers run on the thread's own stack). */
    public static final int SA_ONSTACK = 0x08000000;
    /** sigaction flag: restart an interrupted restartable call instead of failing it with EINTR (signal(7)). */
    public static final int SA_RESTART = 0x10000000;
    /** sigaction flag: do not block the signal while its handler runs. */
    public static final int SA_NODEFER = 0x40000000;
    /** sigaction flag: reset the action to SIG_DFL when the handler is entered. */
    public static final int SA_RESETHAND = 0x80000000;

    /** The bit of {@code sig} in a signal set: {@code 1L << (sig - 1)}. */
    public static long bit(int sig) {
        if (sig < 1 || sig > NSIG) {
            throw new IllegalArgumentException("signal " + sig + " is outside 1.." + NSIG);
        }
        return 1L << (sig - 1);
    }

    /** True when {@code set} contains {@code sig}. */
    public static boolean member(long set, int sig) {
        return sig >= 1 && sig <= NSIG && (set & (1L << (sig - 1))) != 0;
    }

    /** The signal's name ("SIGTERM"), or "SIGRTMIN+n" / "signal n" for the others. */
    public static String name(int sig) {
        String[] names = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
            "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
            "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
            "SIGPWR", "SIGSYS"};
        if (sig >= 1 && sig < names.length) {
            return names[sig];
        }
        if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
            return "SIGRTMIN+" + (sig - SIGRTMIN);
        }
        return "signal " + sig;
    }
}
