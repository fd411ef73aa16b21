package io.jocclum.sgx.epccg;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code sgx_cg_wq} (v17 patch 10): the workqueue of the cgroups' async reclaim items, "unbound,
 * freezable, max_active = WQ_UNBOUND_MAX_ACTIVE". Each {@link SgxCgroup} has one work item:
 * {@link #queue} of an item that is pending is a no-op ({@code queue_work} returns false); queueing
 * an item that is running makes it run once more afterwards; an item never runs twice at once.
 *
 * <p>Two modes, following ksgxd's. Threads: each started item runs on its own virtual thread
 * (unbound, no concurrency limit in practice: one item per cgroup). MANUAL: items wait until
 * {@link #runPending} runs them in the caller, in queueing order, so a test or the selftest decides
 * exactly when background reclaim happens.
 *
 * <p>{@link #cancelSync} is {@code cancel_work_sync}: the item is unqueued and the call waits
 * until a running execution finished, unless it is called from that very execution (in the model a
 * cgroup can be released on the worker's own thread).
 *
 * <p>Locking: {@code lock} guards the queue and every item's state fields in {@link SgxCgroup}.
 */
final class CgroupWorkqueue {
    private final boolean threads;
    private final Consumer<SgxCgroup> work;
    final ReentrantLock lock = new ReentrantLock(); // package-private for the checker's tests
    final Condition changed = lock.newCondition(); // package-private for the tests
    /**
     * Tests only, null otherwise: called by {@link #runPending} (MANUAL) after it took an item off
     * the queue and before it starts it, the one moment a pending item is in no queue, so that a
     * test can cancel the item or stop the queue there.
     */
    Consumer<SgxCgroup> taken;
    /** MANUAL: the pending items in queueing order. */
    @GuardedBy("lock")
    private final ArrayDeque<SgxCgroup> queue = new ArrayDeque<>();
    /** Items queued or running. */
    @GuardedBy("lock")
    private int busy;
    @GuardedBy("lock")
    private boolean stopped;

    CgroupWorkqueue(boolean threads, Consumer<SgxCgroup> work) {
        this.threads = threads;
        this.work = work;
    }

    /** {@code queue_work(sgx_cg_wq, &cg->reclaim_work)}: true if the item was not pending before. */
    boolean queue(SgxCgroup cg) {
        lock.lock();
        try {
            if (stopped || cg.workCancelled || cg.workPending) {
                return false;
            }
            if (cg.worker != null) {
                if (cg.workRequeued) {
                    return false;
                }
                cg.workRequeued = true;
                return true;
            }
            cg.workPending = true;
            busy++;
            if (threads) {
                Thread.ofVirtual().name("sgx_cg_wq " + cg.name()).start(() -> runThread(cg));
            } else {
                queue.addLast(cg);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void runThread(SgxCgroup cg) {
        while (begin(cg)) {
            execute(cg);
        }
    }

    /** Marks {@code cg} running on this thread; false if it was cancelled or the queue stopped meanwhile. */
    private boolean begin(SgxCgroup cg) {
        lock.lock();
        try {
            if (!cg.workPending) {
                return false;
            }
            cg.workPending = false;
            if (stopped || cg.workCancelled) {
                busy--;
                changed.signalAll();
                return false;
            }
            cg.worker = Thread.currentThread();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void execute(SgxCgroup cg) {
        try {
            cg.asyncRuns.increment();
            work.accept(cg);
        } finally {
            lock.lock();
            try {
                cg.worker = null;
                if (cg.workRequeued && !stopped && !cg.workCancelled) {
                    cg.workRequeued = false;
                    cg.workPending = true;   // runs again: same thread (threads) or back in the queue
                    if (!threads) {
                        queue.addLast(cg);
                    }
                } else {
                    cg.workRequeued = false;
                    busy--;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * MANUAL: runs the pending items in the caller (and items queued again meanwhile) until none is
     * left; returns how many executions ran. Threads: waits until no item is queued or running and
     * returns 0. Not to be called from a work item.
     */
    int runPending() {
        if (threads) {
            awaitIdle();
            return 0;
        }
        int n = 0;
        while (true) {
            SgxCgroup cg;
            lock.lock();
            try {
                cg = queue.pollFirst();
            } finally {
                lock.unlock();
            }
            if (cg == null) {
                return n;
            }
            if (taken != null) {
                taken.accept(cg);
            }
            if (begin(cg)) {
                execute(cg);
                n++;
            }
        }
    }

    private void awaitIdle() {
        lock.lock();
        try {
            while (busy > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code cancel_work_sync(&cg->reclaim_work)} when the cgroup is freed. */
    void cancelSync(SgxCgroup cg) {
        lock.lock();
        try {
            cg.workCancelled = true;
            cg.workRequeued = false;
            if (cg.workPending && cg.worker == null) {
                // queued, not started: the starting thread (or runPending) sees workCancelled and drops it
                queue.remove(cg);
                if (!threads) {
                    cg.workPending = false;
                    busy--;
                    changed.signalAll();
                }
            }
            while (cg.worker != null && cg.worker != Thread.currentThread()) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code cg}'s item is queued or running (for tests and the invariants). */
    boolean isBusy(SgxCgroup cg) {
        lock.lock();
        try {
            return cg.workPending || cg.worker != null;
        } finally {
            lock.unlock();
        }
    }

    /** Items queued or running. */
    int busyCount() {
        lock.lock();
        try {
            return busy;
        } finally {
            lock.unlock();
        }
    }

    /** Whether some thread holds the queue's lock (lock hygiene of the invariant checker). */
    boolean isLocked() {
        return lock.isLocked();
    }

    boolean isStopped() {
        lock.lock();
        try {
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    /** {@code destroy_workqueue} at platform shutdown: drops pending items, waits for running ones. */
    void shutdown() {
        lock.lock();
        try {
            stopped = true;
            for (SgxCgroup cg : queue) {
                cg.workPending = false;
                busy--;
            }
            queue.clear();
            changed.signalAll();
            while (busy > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }
}
