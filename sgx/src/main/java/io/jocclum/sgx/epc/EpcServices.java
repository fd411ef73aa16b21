package io.jocclum.sgx.epc;

import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.Mm;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * What the driver offers an {@link EpcController}: the base reclaimer and the global EPC figures.
 * A cgroup controller calls {@link #reclaimPages} on any of its LRUs (v17's
 * {@code sgx_reclaim_pages(lru, charge_mm)}).
 */
public interface EpcServices {
    /**
     * One batch of the base reclaimer on {@code lru}: isolates up to {@link #nrToScan()} pages from
     * its head, ages them, EBLOCK/ETRACK/EWB the old ones, frees them (which uncharges their cgroup).
     * Backing pages are charged to {@code chargeMm}'s memcg (null: the enclave's first live mm).
     * Returns the number of pages isolated (scanned), not the number evicted.
     */
    int reclaimPages(EpcLru lru, Mm chargeMm);

    /**
     * The same batch, but isolating only pages that satisfy {@code select}, scanning from the head
     * and leaving the others in place: what per-cgroup reclaim on one global LRU would have to do
     * (the design the v17 cover letter rejects; the benchmark's anchor). Returns the pages isolated.
     */
    int reclaimPages(EpcLru lru, Mm chargeMm, Predicate<EpcPage> select);

    /** Pages evicted plus pages rotated by aging so far, platform-wide: "did reclaim move anything". */
    long reclaimProgress();

    /** The platform's cgroup hierarchy (misc controller for {@code sgx_epc}, memory controller). */
    CgroupHierarchy cgroups();

    /**
     * True when background work (ksgxd, a controller's work queue) runs on its own threads; false in
     * the deterministic MANUAL mode, where it runs when {@link EpcController#runPendingWork} and
     * {@link Ksgxd#runPending} are called.
     */
    boolean backgroundThreads();

    /** Total EPC pages of the platform (for {@code misc.capacity}: times 4096). */
    long capacityPages();

    /** {@code sgx_nr_free_pages}. */
    long freePages();

    /** SGX_NR_TO_SCAN. */
    int nrToScan();

    /** SGX_NR_LOW_PAGES. */
    int lowWatermark();

    /** SGX_NR_HIGH_PAGES. */
    int highWatermark();

    /** Visits every EPC page used so far, free or not (invariant checks). */
    void forEachPage(Consumer<EpcPage> action);

    /** Wakes allocations waiting for reclaim progress (after async reclaim freed nothing but state changed). */
    void signalProgress();

    /**
     * {@code cond_resched()} in a direct reclaim loop: lets other tasks run (in MANUAL mode first
     * the allocator's scheduling point, {@link EpcAllocator#setSchedulingPoint}).
     */
    default void condResched() {
        Thread.yield();
    }
}
