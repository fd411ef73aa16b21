package io.jocclum.sgx.epc;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * ksgxd, the SGX background reclaimer (main.c): sleeps until woken by an allocation that left fewer
 * than SGX_NR_LOW_PAGES free, then runs global reclaim rounds while fewer than SGX_NR_HIGH_PAGES are
 * free and something is reclaimable. Backing pages are charged with no mm (the enclave's first live
 * mm's memcg).
 *
 * <p>Two modes. THREAD: a real daemon thread, as in the kernel; {@link #awaitIdle()} waits (no
 * sleeping) until it is parked with no pending wake-up, and {@link #stop()} joins it. MANUAL: no
 * thread; a wake-up is only recorded and {@link #runPending()} runs the rounds in the caller, which
 * makes a test fully deterministic (fault paths that need ksgxd run it inline while holding no lock).
 *
 * <p>Deviation: a round that neither evicts nor rotates a page (every candidate skipped, e.g. its
 * backing memcg is full) ends the work until the next wake-up, where the kernel would spin.
 *
 * <p>Locking: {@code lock} guards {@code wakeRequested}, {@code idle} and {@code stopped}.
 */
public final class Ksgxd {
    /** How ksgxd runs. */
    public enum Mode {
        THREAD,
        MANUAL
    }

    private final Mode mode;
    private final EpcAllocator allocator;
    private final Reclaimer reclaimer;
    private final int highPages;
    private EpcController controller;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition idleChanged = lock.newCondition();
    @GuardedBy("lock")
    private boolean wakeRequested;
    @GuardedBy("lock")
    private boolean idle = true;
    @GuardedBy("lock")
    private boolean stopped;
    @GuardedBy("lock")
    private boolean running;  // MANUAL: runPending in progress
    private Thread thread;
    private final LongAdder rounds = new LongAdder();

    Ksgxd(Mode mode, EpcAllocator allocator, Reclaimer reclaimer, int highPages) {
        this.mode = mode;
        this.allocator = allocator;
        this.reclaimer = reclaimer;
        this.highPages = highPages;
    }

    void attach(EpcController c) {
        this.controller = c;
    }

    void start() {
        if (mode == Mode.THREAD) {
            thread = Thread.ofPlatform().daemon().name("ksgxd").start(this::loop);
        }
    }

    public boolean isManual() {
        return mode == Mode.MANUAL;
    }

    /** {@code wake_up(&ksgxd_waitq)}. */
    public void wakeUp() {
        lock.lock();
        try {
            wakeRequested = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        lock.lock();
        try {
            while (!stopped) {
                while (!stopped && !wakeRequested) {
                    idle = true;
                    idleChanged.signalAll();
                    wake.awaitUninterruptibly();
                }
                if (stopped) {
                    break;
                }
                idle = false;
                wakeRequested = false;
                lock.unlock();
                try {
                    work();
                } finally {
                    lock.lock();
                }
            }
            idle = true;
            idleChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Rounds while {@code sgx_should_reclaim_global(SGX_NR_HIGH_PAGES)}; returns the number run. */
    private int work() {
        int n = 0;
        if (!allocator.shouldReclaimGlobal(highPages)) {
            allocator.signalProgress(); // nothing to do: waiters re-check rather than wait for a free
        }
        while (!isStopped() && allocator.shouldReclaimGlobal(highPages)) {
            long before = reclaimer.evictedPages() + reclaimer.rotatedPages();
            controller.reclaimGlobal(null);
            rounds.increment();
            n++;
            if (reclaimer.evictedPages() + reclaimer.rotatedPages() == before) {
                allocator.signalProgress(); // let waiters re-check instead of waiting for a free that may not come
                break;
            }
        }
        return n;
    }

    private boolean isStopped() {
        lock.lock();
        try {
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    /**
     * MANUAL mode: if a wake-up is pending, runs ksgxd's rounds in the calling thread. Returns the
     * number of rounds run. In THREAD mode, waits for the thread to become idle and returns 0.
     */
    public int runPending() {
        if (mode == Mode.THREAD) {
            awaitIdle();
            return 0;
        }
        lock.lock();
        try {
            if (!wakeRequested || running || stopped) {
                return 0;
            }
            wakeRequested = false;
            running = true;
        } finally {
            lock.unlock();
        }
        try {
            return work();
        } finally {
            lock.lock();
            try {
                running = false;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits until ksgxd has no pending work and is parked (MANUAL: runs the pending work). */
    public void awaitIdle() {
        if (mode == Mode.MANUAL) {
            runPending();
            return;
        }
        lock.lock();
        try {
            while (!stopped && (!idle || wakeRequested)) {
                idleChanged.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops ksgxd and joins its thread. */
    public void stop() {
        lock.lock();
        try {
            stopped = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (thread != null) {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Global reclaim rounds run by ksgxd. */
    public long rounds() {
        return rounds.sum();
    }
}
