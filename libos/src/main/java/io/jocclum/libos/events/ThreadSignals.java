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
