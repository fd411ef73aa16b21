package io.jocclum.sgx.epc;

/**
 * A memory cgroup as the SGX backing store sees it: the target that shmem pages of evicted enclave
 * pages (contents and PCMD) are charged to. v17 patch 11 charges direct reclaim to the current task's
 * memcg and ksgxd/workqueue reclaim to the memcg of the enclave's first live mm (spec 2.9); a failed
 * charge makes the reclaimer skip the page (it goes back to the LRU tail).
 *
 * <p>{@link BackingMemcgs} hands out the implementation over the cgroup memory model: a charge is
 * a charge of the memory cgroup (with reclaim by swapping and the OOM killer when over
 * {@code memory.max}), and this object keeps the bytes it charged for the invariant checks.
 */
public interface BackingMemory {
    /** Charges {@code bytes} (a multiple of 4096); false if the memcg is out of memory (the shmem allocation fails). */
    boolean tryCharge(long bytes);

    /** Uncharges {@code bytes} charged earlier through this object. */
    void uncharge(long bytes);

    /** Bytes currently charged through this object. */
    long usage();

    /** The memcg's cgroup path, for messages. */
    String name();
}
