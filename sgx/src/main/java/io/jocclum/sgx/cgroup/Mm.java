package io.jocclum.sgx.cgroup;

/**
 * A process address space ({@code struct mm_struct}) as far as the SGX driver and the memory
 * controller care: it maps enclaves (an enclave's mm_list) and the memory cgroup of its owner
 * ({@code get_mem_cgroup_from_mm}: {@link MemoryController#getTaskMemcg} of {@link #owner()}) is
 * charged for the host pages it causes, such as SGX backing-store pages. One per {@link HostTask}.
 */
public final class Mm {
    private final HostTask owner;

    Mm(HostTask owner) {
        this.owner = owner;
    }

    /** {@code mm->owner}. */
    public HostTask owner() {
        return owner;
    }

    /** False once the owner exited ({@code mmget_not_zero} fails). */
    public boolean isLive() {
        return !owner.exited();
    }

    @Override
    public String toString() {
        return "mm of " + owner;
    }
}
