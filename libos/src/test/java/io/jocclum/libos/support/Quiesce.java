package io.jocclum.libos.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting for other threads in tests without sleeping: spin-yield until a condition on observable
 * state holds (a thread parked in a queue, a counter reached), and bounded joins.
 */
public final class Quiesce {
    private static final long MAX_SPINS = 2_000_000_000L;

    private Quiesce() {
    }

    /** Yields until {@code cond} holds; fails the test after a very large number of tries. */
    public static void until(BooleanSupplier cond, String what) {
        until(cond, what, MAX_SPINS);
    }

    /** Yields until {@code cond} holds, at most {@code maxSpins} times. */
    public static void until(BooleanSupplier cond, String what, long maxSpins) {
        for (long i = 0; i < maxSpins; i++) {
            if (cond.getAsBoolean()) {
                return;
            }
            Thread.yield();
        }
        throw new AssertionError("never reached: " + what);
    }

    /** Joins {@code t}; a bug that leaves it blocked fails the test instead of hanging it. */
    public static void join(Thread t) {
        try {
            if (!t.join(Duration.ofSeconds(60))) {
                throw new AssertionError("thread " + t + " did not finish (still " + t.getState() + ")");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** True when {@code t} is parked (WAITING or TIMED_WAITING). */
    public static boolean parked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }
}
