package io.jocclum.libos.support;

import io.jocclum.libos.events.WaitClock;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A wait clock whose time moves only when a test calls {@link #advance}: timed waits park until
 * the clock passes their deadline (or they are woken), so timeout tests need no sleeps.
 */
public final class ManualClock implements WaitClock {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** Threads parked with a deadline. */
    private final Map<Thread, Long> timed = new ConcurrentHashMap<>();

    @Override
    public long nanoTime() {
        return now.get();
    }

    @Override
    public void parkNanos(Object blocker, long nanos) {
        Thread t = Thread.currentThread();
        long deadline = now.get() + nanos;
        timed.put(t, deadline);
        try {
            if (now.get() < deadline) {
                LockSupport.park(blocker);
            }
        } finally {
            timed.remove(t);
        }
    }

    /** Moves time forward and unparks every timed waiter whose deadline passed. */
    public void advance(long nanos) {
        long t = now.addAndGet(nanos);
        timed.forEach((thread, deadline) -> {
            if (deadline <= t) {
                LockSupport.unpark(thread);
            }
        });
    }

    public void advanceMillis(long ms) {
        advance(ms * 1_000_000L);
    }

    /** Number of threads in a timed park right now. */
    public int timedWaiters() {
        return timed.size();
    }
}
