package io.jocclum.libos.events;

/**
 * The hook through which the process layer takes part in blocking calls. Blocking calls check
 * {@link #interruptPending()} after every wake-up (and before parking); the process layer, after
 * making a signal pending for a thread, wakes that thread's {@link Waiter}, so a blocked call
 * returns EINTR (or ERESTARTSYS for restartable calls, see docs/events.md) without polling.
 * {@code epoll_pwait}, {@code ppoll} and {@code pselect6} install a temporary signal mask for the
 * duration of the call; when the call was interrupted the process layer restores the saved mask
 * only after the handler ran (Linux {@code set_restore_sigmask}).
 */
public interface ThreadSignals {
    /** True when an unblocked signal is pending for the calling thread. */
    boolean interruptPending();

    /** Installs {@code mask} as the blocked-signal mask and returns the previous one. */
    long setTemporaryMask(long mask);

    /**
     * Ends a temporary mask: {@code interrupted} is true when the call returns EINTR because of
     * a signal, in which case the handler must run with the temporary mask before
     * {@code saved} is restored.
     */
    void restoreMask(long saved, boolean interrupted);

    /** Sends SIGPIPE to the calling thread (write to a pipe or socket without a reader). */
    void raiseSigpipe();

    /**
     * The notifier of the thread's process that broadcasts IN whenever a signal becomes pending
     * for the process or one of its threads (Linux {@code sighand->signalfd_wqh}); null when
     * signals are not modelled.
     */
    default Notifier signalNotifier() {
        return null;
    }

    /** Signals pending for this thread or its whole process (blocked or not). */
    default long pendingSignals() {
        return 0;
    }

    /**
     * Takes the lowest pending signal of {@code mask}, this thread's own before the process's
     * (Linux {@code dequeue_signal}), or returns null; for signalfd reads.
     */
    default SignalInfo takeSignal(long mask) {
        return null;
    }

    /** No signals: never interrupted, masks ignored, SIGPIPE dropped (tests, host tools). */
    ThreadSignals NONE = new ThreadSignals() {
        @Override
        public boolean interruptPending() {
            return false;
        }

        @Override
        public long setTemporaryMask(long mask) {
            return 0;
        }

        @Override
        public void restoreMask(long saved, boolean interrupted) {
        }

        @Override
        public void raiseSigpipe() {
        }
    };
}
