package io.jocclum.sgx.epc;

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

    /** Wakes allocations waiting for reclaim progress (after async reclaim freed nothing but state changed). */
    void signalProgress();
}
