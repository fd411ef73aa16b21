package io.jocclum.sgx.epccg;

import io.jocclum.api.Errno;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.Cgroup;
import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.MiscCgroup;
import io.jocclum.sgx.cgroup.MiscController;
import io.jocclum.sgx.cgroup.MiscResOps;
import io.jocclum.sgx.cgroup.MiscResource;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.epc.EpcController;
import io.jocclum.sgx.epc.EpcGroup;
import io.jocclum.sgx.epc.EpcLru;
import io.jocclum.sgx.epc.EpcServices;
import io.jocclum.sgx.epc.Reclaim;

import java.util.function.Consumer;

/**
 * The misc-cgroup {@code sgx_epc} controller of the v17 series ({@code epc_cgroup.c}, spec
 * section 2): EPC pages are charged, 4096 bytes each, to the misc cgroup of the allocating task,
 * hierarchically, by the generic misc core; reclaimable pages live on their cgroup's own LRU; a
 * cgroup at its limit reclaims from its own subtree.
 *
 * <p><b>Charge</b> ({@link #tryCharge}, spec 2.3): one attempt is the misc charge; if it fails, the
 * charging cgroup's subtree with empty LRUs is ENOMEM, a pending signal ERESTARTSYS, otherwise
 * EBUSY. The loop returns 0/ENOMEM/ERESTARTSYS; on EBUSY with SGX_NO_RECLAIM (fault paths) it queues
 * the cgroup's async work and returns EBUSY; with SGX_DO_RECLAIM (ioctl paths) it reclaims at least
 * one page from the charging cgroup's subtree, charging backing memory to the current mm, and
 * retries. Reclaim and the emptiness test use the <em>charging</em> cgroup's subtree even when an
 * ancestor's limit was hit, so a cgroup whose parent is exhausted by a sibling gets ENOMEM once its
 * own subtree has nothing reclaimable.
 *
 * <p><b>Reclaim</b> ({@link #reclaimPages}, spec 2.4): while the subtree has a non-empty LRU and
 * fewer than {@code nrToScan} pages were scanned, take the next cgroup from the root's cursor (the
 * fair pre-order iterator: R, A, A1, B, R, ...) and run the base batch reclaimer on its LRU. The four
 * paths (2.6): direct (the DO_RECLAIM loop), async (the work queue, while
 * {@link #shouldReclaim} - the soft threshold: the effective limit minus SGX_CG_MIN_FREE_PAGE above
 * SGX_CG_LOW_LIMIT), preemptive ({@link #reclaimDirect}, before each page of the SGX2 ioctls) and
 * global (ksgxd and the allocation loop: the iterator from the root over the whole tree).
 *
 * <p><b>v17 versus the stated intent.</b> As posted, v17 never queues async work after a
 * <em>successful</em> charge (the check sits after a loop that only exits through paths skipping
 * it), so async reclaim runs only when a NO_RECLAIM charge fails. With {@code statedIntent} the
 * check the commit message describes is live: a successful charge that leaves the cgroup at its
 * soft threshold queues the async work.
 *
 * <p>Limits are non-preemptive (writing {@code misc.max} below usage reclaims nothing until the
 * next charge); VA and SECS pages are charged but never on an LRU; vEPC pages are charged and never
 * reclaimable. Model deviation: an async work round that neither evicted nor rotated any page ends
 * the work (the kernel would loop), as ksgxd does in this model.
 *
 * <p>Thread-safe: charges are lock-free in the misc core; each LRU, each cursor and the work queue
 * have their own locks; nothing is held across a reclaim batch.
 */
public final class SgxEpcCgroup implements EpcController {
    /** SGX_CG_MIN_FREE_PAGE (epc_cgroup.h, v17 patch 10; = SGX_NR_LOW_PAGES): credit kept below the limit. */
    static final long SGX_CG_MIN_FREE_PAGE = 32;
    /** SGX_CG_LOW_LIMIT (epc_cgroup.h, v17 patch 10; = 4 x SGX_CG_MIN_FREE_PAGE): no credit below this limit. */
    static final long SGX_CG_LOW_LIMIT = 4 * SGX_CG_MIN_FREE_PAGE;

    private static final MiscResource SGX_EPC = MiscResource.SGX_EPC;

    private final EpcServices services;
    private final CgroupHierarchy cgroups;
    private final MiscController misc;
    private final boolean statedIntent;
    private final SgxCgroup root;
    private final CgroupWorkqueue wq;

    /**
     * {@code sgx_cgroup_wq_init()} then {@code sgx_cgroup_init()}: the work queue, the root's state,
     * the misc callbacks, and finally the capacity (total EPC bytes), after which child cgroups get
     * their state from the {@code alloc} callback.
     */
    private SgxEpcCgroup(EpcServices services, boolean statedIntent) {
        this.services = services;
        this.cgroups = services.cgroups();
        this.misc = cgroups.misc();
        this.statedIntent = statedIntent;
        this.wq = new CgroupWorkqueue(services.backgroundThreads(), this::asyncReclaim);
        this.root = new SgxCgroup(misc.root());
        misc.setOps(SGX_EPC, new MiscResOps<SgxCgroup>() {
            @Override
            public SgxCgroup alloc(MiscCgroup cg) {
                return new SgxCgroup(cg);
            }

            @Override
            public void free(MiscCgroup cg, SgxCgroup state) {
                freeCgroup(state);
            }

            /**
             * A new limit may let a task that was refused a charge get one (a raised limit) or
             * need reclaim that nothing has started yet: the kernel's tasks find out by faulting
             * again; the model's wait for reclaim progress, so they are woken to try again.
             */
            @Override
            public void maxWritten(MiscCgroup cg) {
                services.signalProgress();
            }

            /** A waiting task that moved charges its new cgroup at its next attempt: wake it for that. */
            @Override
            public void taskMoved() {
                services.signalProgress();
            }
        }, root);
        misc.setCapacity(SGX_EPC, services.capacityPages() * Pages.SIZE);
    }

    /**
     * The controller as an {@link EpcController.Factory}: v17 as posted, or with
     * {@code statedIntent} the async reclaim after a successful charge at the soft threshold.
     */
    public static EpcController.Factory factory(boolean statedIntent) {
        return s -> new SgxEpcCgroup(s, statedIntent);
    }

    /** Whether the stated-intent option is on. */
    public boolean statedIntent() {
        return statedIntent;
    }

    /** The root cgroup's state (its LRU is the old global LRU). */
    public SgxCgroup root() {
        return root;
    }

    /** The state of {@code cg}'s own misc css, or null where misc is not enabled. */
    public SgxCgroup group(Cgroup cg) {
        MiscCgroup m = cg.misc();
        return m == null ? null : m.priv(SGX_EPC);
    }

    /** The cgroup hierarchy this controller accounts in. */
    public CgroupHierarchy cgroups() {
        return cgroups;
    }

    // ---------------------------------------------------------------------------------------------
    // the seam
    // ---------------------------------------------------------------------------------------------

    /** {@code sgx_get_current_cg()}: the task's misc cgroup's state, with a css reference. */
    @Override
    public EpcGroup currentGroup(HostTask task) {
        MiscCgroup cg = misc.getTaskCgroup(task);
        SgxCgroup s = cg.priv(SGX_EPC);
        if (s == null) {
            cg.put();
            throw new IllegalStateException(cg + " has no sgx_epc state");
        }
        return s;
    }

    /** {@code sgx_put_cg()}. */
    @Override
    public void putGroup(EpcGroup group) {
        ((SgxCgroup) group).misc().put();
    }

    /** {@code sgx_cgroup_try_charge(sgx_cg, reclaim)} (spec 2.3). */
    @Override
    public Errno tryCharge(EpcGroup group, Reclaim reclaim, HostTask task) {
        SgxCgroup cg = (SgxCgroup) group;
        while (true) {
            Errno ret = tryChargeOnce(cg, task);
            if (ret == null) {
                if (statedIntent && shouldReclaim(cg)) {
                    wq.queue(cg);   // the stated intent; unreachable in the posted v17
                }
                return null;
            }
            if (ret != Errno.EBUSY) {
                return ret;
            }
            if (reclaim == Reclaim.SGX_NO_RECLAIM) {
                wq.queue(cg);
                return Errno.EBUSY;
            }
            cg.directRounds.increment();
            reclaimPages(cg, task.mm(), 1);
            services.condResched();
        }
    }

    /** {@code __sgx_cgroup_try_charge()}: one attempt. */
    private Errno tryChargeOnce(SgxCgroup cg, HostTask task) {
        if (misc.tryCharge(SGX_EPC, cg.misc(), Pages.SIZE)) {
            return null;
        }
        if (lruEmpty(cg)) {
            return Errno.ENOMEM;
        }
        if (task.signalPending()) {
            return Errno.ERESTARTSYS;
        }
        return Errno.EBUSY;
    }

    /** {@code sgx_cgroup_uncharge()}. */
    @Override
    public void uncharge(EpcGroup group) {
        misc.uncharge(SGX_EPC, ((SgxCgroup) group).misc(), Pages.SIZE);
    }

    @Override
    public EpcLru lru(EpcGroup group) {
        return ((SgxCgroup) group).lru();
    }

    /** {@code sgx_can_reclaim_global()}: some LRU in the whole tree is non-empty. */
    @Override
    public boolean canReclaimGlobal() {
        return !lruEmpty(root);
    }

    /** {@code sgx_reclaim_pages_global(charge_mm)}: one fair round from the root (patch 13). */
    @Override
    public void reclaimGlobal(Mm chargeMm) {
        reclaimPages(root, chargeMm, services.nrToScan());
    }

    /** {@code sgx_cgroup_reclaim_direct()}: one round from the current cgroup's subtree if it is near its limit. */
    @Override
    public void reclaimDirect(HostTask task) {
        SgxCgroup cg = (SgxCgroup) currentGroup(task);
        try {
            if (shouldReclaim(cg)) {
                reclaimPages(cg, task.mm(), services.nrToScan());
            }
        } finally {
            putGroup(cg);
        }
    }

    @Override
    public int runPendingWork() {
        return wq.runPending();
    }

    @Override
    public void shutdown() {
        wq.shutdown();
    }

    @Override
    public void checkInvariants(Consumer<String> problems) {
        EpcCgroupInvariants.check(this, services, problems);
    }

    // ---------------------------------------------------------------------------------------------
    // reclaim
    // ---------------------------------------------------------------------------------------------

    /**
     * {@code sgx_cgroup_reclaim_pages(root, charge_mm, nr_to_scan)}: while {@code root}'s subtree
     * has a non-empty LRU and fewer than {@code nrToScan} pages were scanned, runs one base batch on
     * the LRU of the next cgroup of {@code root}'s fair iterator. Backing pages are charged to
     * {@code chargeMm}'s memcg (null: each enclave's first live mm). Returns the pages scanned.
     */
    public int reclaimPages(SgxCgroup root, Mm chargeMm, int nrToScan) {
        int cnt = 0;
        while (cnt < nrToScan && !lruEmpty(root)) {
            MiscCgroup next = root.nextGet();
            if (next == null) {
                break;
            }
            try {
                SgxCgroup s = next.priv(SGX_EPC);
                if (s != null) {
                    cnt += services.reclaimPages(s.lru(), chargeMm);
                }
            } finally {
                next.put();
            }
        }
        return cnt;
    }

    /** {@code sgx_cgroup_lru_empty()}: every LRU of {@code cg}'s subtree (dying cgroups included) is empty. */
    public boolean lruEmpty(SgxCgroup cg) {
        for (MiscCgroup d : cg.misc().descendantsPre()) {
            SgxCgroup s = d.priv(SGX_EPC);
            if (s != null && !s.lru().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code sgx_cgroup_should_reclaim()}: the soft threshold. False with empty subtree LRUs;
     * otherwise the effective limit in pages (the minimum of the limits up to the root), less
     * SGX_CG_MIN_FREE_PAGE when above SGX_CG_LOW_LIMIT, against the cgroup's usage in pages.
     */
    public boolean shouldReclaim(SgxCgroup cg) {
        if (lruEmpty(cg)) {
            return false;
        }
        long max = maxPagesToRoot(cg);
        if (Long.compareUnsigned(max, SGX_CG_LOW_LIMIT) > 0) {
            max -= SGX_CG_MIN_FREE_PAGE;
        }
        long usage = Long.divideUnsigned(cg.misc().usage(SGX_EPC), Pages.SIZE);
        return Long.compareUnsigned(usage, max) >= 0;
    }

    /** {@code sgx_cgroup_max_pages_to_root()}: min of the limits from {@code cg} to the root, in pages. */
    static long maxPagesToRoot(SgxCgroup cg) {
        long max = MiscController.MAX;
        for (MiscCgroup m = cg.misc(); m != null; m = m.parent()) {
            long l = m.max(SGX_EPC);
            if (Long.compareUnsigned(l, max) < 0) {
                max = l;
            }
        }
        return Long.divideUnsigned(max, Pages.SIZE);
    }

    /**
     * {@code sgx_cgroup_async_reclaim()}, the work item: while the cgroup is at its soft threshold,
     * reclaim a batch from its subtree with no mm (each enclave's own memcg pays). The model holds a
     * css reference while it runs (css release is synchronous here, asynchronous in the kernel).
     */
    private void asyncReclaim(SgxCgroup cg) {
        if (!cg.misc().tryGet()) {
            return;
        }
        try {
            while (!wq.isStopped() && shouldReclaim(cg)) {
                long before = services.reclaimProgress();
                reclaimPages(cg, null, services.nrToScan());
                if (services.reclaimProgress() == before) {
                    // deviation: nothing moved, stop instead of spinning; the tasks that queued
                    // this item wait for progress instead of re-faulting, so let them try again
                    // (and queue the item again), as ksgxd does when a round achieves nothing
                    services.signalProgress();
                    break;
                }
                Thread.yield(); // cond_resched()
            }
        } finally {
            cg.misc().put();
        }
    }

    /** Whether {@code cg}'s async work item is queued or running. */
    public boolean workBusy(SgxCgroup cg) {
        return wq.isBusy(cg);
    }

    int workBusyCount() {
        return wq.busyCount();
    }

    /** The work queue (for the invariant checker and its tests). */
    CgroupWorkqueue workqueue() {
        return wq;
    }

    /** {@code sgx_cgroup_free()}: cancel the work item, move ancestors' cursors off this cgroup. */
    private void freeCgroup(SgxCgroup cg) {
        wq.cancelSync(cg);
        for (MiscCgroup a = cg.misc().parent(); a != null; a = a.parent()) {
            SgxCgroup s = a.priv(SGX_EPC);
            if (s != null) {
                s.skip(cg.misc());
            }
        }
    }

    @Override
    public String toString() {
        return "SgxEpcCgroup[" + (statedIntent ? "v17 + stated intent" : "v17") + "]";
    }
}
