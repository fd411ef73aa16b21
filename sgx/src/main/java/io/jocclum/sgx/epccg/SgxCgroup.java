package io.jocclum.sgx.epccg;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.sgx.cgroup.Css;
import io.jocclum.sgx.cgroup.MiscCgroup;
import io.jocclum.sgx.epc.EpcGroup;
import io.jocclum.sgx.epc.EpcLru;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code struct sgx_cgroup} (v17 patches 05, 09, 10): the {@code sgx_epc} controller's state in one
 * misc cgroup, stored as the misc core's private pointer for the resource. Created by the misc
 * {@code alloc} callback (the root's one at controller init), freed by {@code free}.
 *
 * <ul>
 *   <li>{@link #lru()}: the reclaimable EPC pages charged to this very cgroup
 *       ({@code sgx_epc_lru_list}, patch 06).</li>
 *   <li>{@code nextCg}: the cursor of the fair iterator when this cgroup is the reclaim root: the
 *       descendant (or itself) to scan next, without a reference; starts at itself.</li>
 *   <li>The async work item ({@code reclaim_work}): its state lives in the
 *       {@link CgroupWorkqueue}, guarded by the queue's lock.</li>
 * </ul>
 *
 * <p>Locking: {@code nextLock} ({@code next_cg_lock}) guards {@code nextCg}; the LRU has its own
 * lock; the work fields are guarded by the work queue's lock.
 */
public final class SgxCgroup implements EpcGroup {
    private final MiscCgroup misc;
    private final EpcLru lru;
    final ReentrantLock nextLock = new ReentrantLock();
    /** The next css to scan in this cgroup's subtree; never a released one. */
    @GuardedBy("nextLock")
    MiscCgroup nextCg;
    /** Queued and not yet started. */
    @GuardedBy("workqueue.lock")
    boolean workPending;
    /** The thread running the item, null when not running. */
    @GuardedBy("workqueue.lock")
    Thread worker;
    /** Queued again while running. */
    @GuardedBy("workqueue.lock")
    boolean workRequeued;
    /** Cancel_work_sync() ran (the cgroup is being freed). */
    @GuardedBy("workqueue.lock")
    boolean workCancelled;
    final LongAdder asyncRuns = new LongAdder();
    final LongAdder directRounds = new LongAdder();

    SgxCgroup(MiscCgroup misc) {
        this.misc = misc;
        this.lru = new EpcLru(misc.cgroup().path());
        this.nextCg = misc;
    }

    /** The misc cgroup (css) this state belongs to. */
    public MiscCgroup misc() {
        return misc;
    }

    /** The cgroup's own LRU of reclaimable pages. */
    public EpcLru lru() {
        return lru;
    }

    @Override
    public String name() {
        return misc.cgroup().path();
    }

    /** Times the async work item ran for this cgroup. */
    public long asyncRuns() {
        return asyncRuns.sum();
    }

    /** Synchronous reclaim rounds of the try-charge loop charging this cgroup. */
    public long directRounds() {
        return directRounds.sum();
    }

    /**
     * {@code sgx_cgroup_next_get(root)} with this cgroup as the root: returns the css at the cursor
     * with a reference, skipping (pre-order, wrapping to this cgroup) any whose reference cannot be
     * taken, and advances the cursor past it. Null only if no css of the subtree can be referenced.
     */
    MiscCgroup nextGet() {
        nextLock.lock();
        try {
            MiscCgroup start = nextCg;
            MiscCgroup pos = start;
            while (!pos.tryGet()) {
                pos = step(pos);
                if (pos == start) {
                    return null;
                }
            }
            nextCg = step(pos);
            return pos;
        } finally {
            nextLock.unlock();
        }
    }

    /** The pre-order successor of {@code pos} in this cgroup's subtree, wrapping to this cgroup. */
    private MiscCgroup step(MiscCgroup pos) {
        MiscCgroup n = Css.nextDescendantPre(pos, misc);
        return n == null ? misc : n;
    }

    /**
     * {@code sgx_cgroup_next_skip()}: the css {@code freed} (a descendant, already unlinked) is going
     * away; if the cursor points at it, move it to its pre-order successor.
     */
    void skip(MiscCgroup freed) {
        nextLock.lock();
        try {
            if (nextCg == freed) {
                nextCg = step(freed);
            }
        } finally {
            nextLock.unlock();
        }
    }

    /** The cursor (for the invariant checker and tests). */
    MiscCgroup cursor() {
        nextLock.lock();
        try {
            return nextCg;
        } finally {
            nextLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "sgx_cgroup[" + name() + ", lru=" + lru.size() + "]";
    }
}
