package io.jocclum.libos.support;

import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.Waiter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread's signal state for tests: {@link #deliver} makes a signal pending (if not blocked by
 * the current mask) and wakes the thread's waiter, as the process layer will.
 */
public final class TestSignals implements ThreadSignals {
    private volatile boolean pending;
    private volatile long mask;
    /** Signal bit masks of signals delivered while blocked (they stay pending until unblocked). */
    private volatile long blockedPending;
    public final AtomicInteger sigpipes = new AtomicInteger();
    public final List<String> log = new ArrayList<>();

    /** Delivers signal {@code sig} (1..64) to the thread that owns {@code waiter}. */
    public synchronized void deliver(int sig, Waiter waiter) {
        long bit = 1L << (sig - 1);
        if ((mask & bit) != 0) {
            blockedPending |= bit;
            log.add("blocked " + sig);
            return;
        }
        pending = true;
        log.add("delivered " + sig);
        waiter.wake();
    }

    @Override
    public boolean interruptPending() {
        return pending;
    }

    /** The handler ran: the signal is no longer pending. */
    public void handled() {
        pending = false;
    }

    @Override
    public synchronized long setTemporaryMask(long newMask) {
        long old = mask;
        mask = newMask;
        log.add("mask " + Long.toHexString(newMask));
        return old;
    }

    @Override
    public synchronized void restoreMask(long saved, boolean interrupted) {
        mask = saved;
        log.add("restore " + Long.toHexString(saved) + (interrupted ? " after handler" : ""));
        long unblocked = blockedPending & ~saved;
        if (unblocked != 0) {
            blockedPending &= ~unblocked;
            pending = true;
        }
    }

    public long mask() {
        return mask;
    }

    @Override
    public void raiseSigpipe() {
        sigpipes.incrementAndGet();
    }
}
