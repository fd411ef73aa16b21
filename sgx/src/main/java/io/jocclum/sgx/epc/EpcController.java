package io.jocclum.sgx.epc;

import io.jocclum.api.Errno;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.Mm;

import java.util.function.Consumer;

/**
 * The seam for EPC accounting: the driver calls these at exactly the points where Linux with the
 * v17 EPC cgroup series (patches 01-14) calls into {@code epc_cgroup.c}. The default
 * ({@link NoEpcCgroup}) is the kernel without CONFIG_CGROUP_MISC: no limits and one global LRU.
 * A misc-cgroup controller implements the same calls with per-cgroup LRUs, the try-charge loop,
 * async/direct/global reclaim and the fair iterator (see docs/sgx.md, "The EPC cgroup seam").
 *
 * <p>Allocation ({@code sgx_alloc_epc_page}, spec 2.2): {@link #currentGroup} → {@link #tryCharge}
 * → physical allocation loop using {@link #canReclaimGlobal} / {@link #reclaimGlobal} → the page
 * records the group; on failure {@link #uncharge} + {@link #putGroup}. Free: {@link #uncharge} +
 * {@link #putGroup}. A reclaimable page lives on {@link #lru}(its group).
 */
public interface EpcController {

    /** Creates the controller once the driver's services exist ({@code sgx_cgroup_init}). */
    @FunctionalInterface
    interface Factory {
        EpcController create(EpcServices services);
    }

    /** {@code sgx_get_current_cg()}: the group {@code task}'s allocations charge; takes a reference. */
    EpcGroup currentGroup(HostTask task);

    /** {@code sgx_put_cg()}. */
    void putGroup(EpcGroup group);

    /**
     * {@code sgx_cgroup_try_charge(sg_cg, reclaim)}: charges one page (4096 bytes). Returns null on
     * success, else ENOMEM (nothing reclaimable in the subtree), EBUSY (SGX_NO_RECLAIM: async reclaim
     * queued) or ERESTARTSYS (signal pending while reclaiming).
     */
    Errno tryCharge(EpcGroup group, Reclaim reclaim, HostTask task);

    /** {@code sgx_cgroup_uncharge()}: uncharges one page from {@code group}. */
    void uncharge(EpcGroup group);

    /** {@code sgx_epc_page_lru()}: the LRU for reclaimable pages charged to {@code group}. */
    EpcLru lru(EpcGroup group);

    /** {@code sgx_can_reclaim_global()}: is any LRU anywhere non-empty. */
    boolean canReclaimGlobal();

    /** {@code sgx_reclaim_pages_global(charge_mm)}: one round of global reclaim (ksgxd, allocation loop). */
    void reclaimGlobal(Mm chargeMm);

    /**
     * The per-cgroup part of {@code sgx_reclaim_direct()} (preemptive reclaim before each page of the
     * SGX2 ioctls): with v17, reclaim a batch from the current cgroup's subtree if it is near its limit.
     */
    void reclaimDirect(HostTask task);

    /**
     * False when the controller keeps no per-group limits: {@link #tryCharge} always succeeds and
     * {@link #reclaimDirect} never does anything (the no-op controller without the EPC cgroup);
     * true (the default) when a charge may fail or reclaim.
     */
    default boolean limitsGroups() {
        return true;
    }

    /**
     * Background work of the controller (the cgroup work queue): in MANUAL mode
     * ({@link EpcServices#backgroundThreads()} false) runs what is queued in the caller and returns
     * the number of work items run; with threads, waits until the workers are idle and returns 0.
     * The allocator calls it (MANUAL) before waiting for reclaim progress; the invariant checker
     * before checking.
     */
    default int runPendingWork() {
        return 0;
    }

    /** Stops background work (the cgroup workqueue) at platform shutdown. */
    default void shutdown() {
    }

    /** Reports violated invariants of the controller's own structures (run after tests). */
    default void checkInvariants(Consumer<String> problems) {
    }
}
