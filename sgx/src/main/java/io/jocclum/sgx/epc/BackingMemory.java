package io.jocclum.sgx.epc;

/**
 * A memory cgroup as the SGX backing store sees it: the target that shmem pages of evicted enclave
 * pages (contents and PCMD) are charged to. v17 patch 11 charges direct reclaim to the current task's
 * memcg and ksgxd/workqueue reclaim to the memcg of the enclave's first live mm (spec 2.9); a failed
 * charge makes the reclaimer skip the page (it goes back to the LRU tail).
 *
 * <p>{@link #unlimited} is the default (the root memcg); {@link #limited} is a simple
 * {@code memory.max}. A full memcg model (OOM killing, hierarchy) implements this interface too.
 */
public interface BackingMemory {
    /** Charges {@code bytes}; false if the memcg is at its limit (the shmem allocation fails). */
    boolean tryCharge(long bytes);

    void uncharge(long bytes);

    /** Bytes currently charged. */
    long usage();

    /** The memcg's name, for messages. */
    String name();

    static BackingMemory unlimited(String name) {
        return new SimpleMemcg(name, Long.MAX_VALUE);
    }

    static BackingMemory limited(String name, long maxBytes) {
        return new SimpleMemcg(name, maxBytes);
    }
}
