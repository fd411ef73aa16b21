package io.jocclum.libos.events;

import java.util.concurrent.locks.LockSupport;

/**
 * The one clock through which every timed wait of the event layer goes: epoll_wait, poll and
 * select timeouts. {@link #system()} is the only place in the model's timed waits that reads
 * {@code System.nanoTime()} (the guest's yield throttle reads the host clock for the host's sake); tests inject a manual clock whose time advances on command and whose
 * {@link #parkNanos} returns when the clock passes the deadline.
 */
public interface WaitClock {
    /** A monotonic time in nanoseconds (CLOCK_MONOTONIC). */
    long nanoTime();

    /**
     * Parks the calling thread for at most {@code nanos} of this clock's time, or until it is
     * unparked; may return early (spuriously), callers loop.
     */
    void parkNanos(Object blocker, long nanos);

    /** Parks the calling thread until unparked (may return spuriously). */
    default void park(Object blocker) {
        LockSupport.park(blocker);
    }

    /** Unparks {@code thread}, parked in {@link #park} or {@link #parkNanos} of this clock. */
    default void unpark(Thread thread) {
        LockSupport.unpark(thread);
    }

    /** Deadline value meaning "no timeout". */
    long FOREVER = Long.MAX_VALUE;

    /**
     * The deadline {@code timeoutNanos} from now; a negative timeout means {@link #FOREVER};
     * saturates instead of overflowing.
     */
    default long deadlineAfter(long timeoutNanos) {
        if (timeoutNanos < 0) {
            return FOREVER;
        }
        long now = nanoTime();
        long d = now + timeoutNanos;
        return d < now || d == FOREVER ? FOREVER - 1 : d;
    }

    /** The host's monotonic clock and {@link LockSupport#parkNanos}. */
    static WaitClock system() {
        return SystemWaitClock.INSTANCE;
    }
}
