package io.jocclum.sgx.epc;

import io.jocclum.sgx.cgroup.Mm;

/**
 * What the batch reclaimer needs from the owner of a reclaimable EPC page (an enclave page): the
 * steps of {@code sgx_reclaim_pages} that touch the enclave (arch/x86/kernel/cpu/sgx/main.c).
 */
public interface Reclaimable {
    /** {@code kref_get_unless_zero(&encl->refcount)}: false if the enclave is being released. */
    boolean tryGetOwner();

    /** {@code kref_put(&encl->refcount, sgx_encl_release)}; may release the enclave. */
    void putOwner();

    /** {@code sgx_reclaimer_age}: true if the page is old (not accessed since the last scan); clears the accessed bit. */
    boolean age();

    /**
     * Allocates the backing (contents and PCMD shmem pages), charging {@code chargeMm}'s memcg, or
     * the memcg of the enclave's first live mm when null, and marks the page BEING_RECLAIMED.
     * False if the backing cannot be allocated.
     */
    boolean prepare(Mm chargeMm);

    /** {@code sgx_reclaimer_block}: zaps the mappings and EBLOCKs the page. */
    void block();

    /**
     * {@code sgx_reclaimer_write}: EWB (with ETRACK and IPI when not yet tracked), then the SECS too
     * when this was the enclave's last resident child. The page no longer holds its EPC page afterwards.
     */
    void write();
}
