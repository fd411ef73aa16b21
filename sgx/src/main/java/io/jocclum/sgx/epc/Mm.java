package io.jocclum.sgx.epc;

/**
 * A process address space ({@code struct mm_struct}) as far as the SGX driver cares: it maps
 * enclaves (the enclave's mm_list) and its owner's memory cgroup is charged for backing pages.
 */
public final class Mm {
    private final HostTask owner;
    private volatile boolean live = true;

    Mm(HostTask owner) {
        this.owner = owner;
    }

    public HostTask owner() {
        return owner;
    }

    /** The memcg of the mm's owner ({@code get_mem_cgroup_from_mm}). */
    public BackingMemory memcg() {
        return owner.memcg();
    }

    /** False once the process exited ({@code mmget_not_zero} fails). */
    public boolean isLive() {
        return live;
    }

    void exit() {
        live = false;
    }

    @Override
    public String toString() {
        return "mm of " + owner;
    }
}
