package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaimable;

/**
 * {@code struct sgx_encl_page}: one page of an enclave, resident or evicted, and the enclave's SECS.
 *
 * <p>{@code frame} is the translation the access path reads (a copy of {@code epcPage.frame()},
 * published after the EPCM entry is valid, cleared when the page leaves the EPC). The desc bits of
 * the kernel become fields: the VA slot while evicted, BEING_RECLAIMED while the reclaimer holds the
 * page. {@code young} is the PTE accessed bit.
 *
 * <p>Locking: everything except {@code young} and the volatile reads of the access path is guarded
 * by the enclave lock.
 */
final class EnclavePage implements Reclaimable {
    final Enclave encl;
    /** Linear address (0 for the SECS). */
    final long addr;
    final boolean isSecs;
    PageType type;
    /** {@code vm_max_prot_bits} as SecInfo permission bits. */
    long vmMaxProt;
    volatile EpcPage epcPage;
    volatile EpcFrame frame;
    VaPage vaPage;
    int vaSlot = -1;
    boolean beingReclaimed;
    BackingStore.Slot pendingBacking;
    volatile boolean young;

    EnclavePage(Enclave encl, long addr, boolean isSecs, PageType type, long vmMaxProt) {
        this.encl = encl;
        this.addr = addr;
        this.isSecs = isSecs;
        this.type = type;
        this.vmMaxProt = vmMaxProt;
    }

    /** The page's index in the backing file. */
    long backingIndex() {
        return isSecs ? Pages.count(encl.size()) : Pages.index(addr - encl.base());
    }

    boolean isResident() {
        return epcPage != null;
    }

    void publish(EpcPage p) {
        epcPage = p;
        frame = p == null ? null : p.frame();
    }

    @Override
    public boolean tryGetOwner() {
        return encl.tryGet();
    }

    @Override
    public void putOwner() {
        encl.put();
    }

    @Override
    public boolean age() {
        if (young) {
            young = false;
            return false;
        }
        return true;
    }

    @Override
    public boolean prepare(Mm chargeMm) {
        return encl.prepareEviction(this, chargeMm);
    }

    @Override
    public void block() {
        encl.blockForEviction(this);
    }

    @Override
    public void write() {
        encl.writeBack(this);
    }

    @Override
    public String toString() {
        return isSecs ? "SECS page" : "enclave page 0x" + Long.toHexString(addr) + " (" + type + ")";
    }
}
