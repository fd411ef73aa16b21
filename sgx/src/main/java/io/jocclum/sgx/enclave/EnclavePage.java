package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaimable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * {@code struct sgx_encl_page}: one page of an enclave, resident or evicted, and the enclave's SECS.
 *
 * <p>{@code frame} is the translation (a copy of {@code epcPage.frame()}, published after the EPCM
 * entry is valid, cleared when the page leaves the EPC); {@link #publish} also records it in the
 * page table (frame number and entry generation), which is where the access path reads it. The desc bits of the kernel
 * become fields: the VA slot while evicted, BEING_RECLAIMED while the reclaimer holds the page. The
 * PTE accessed bit is the frame's ({@link EpcFrame#isAccessed}): an access sets it, a new EPCM
 * entry starts with it clear.
 *
 * <p>Locking: everything except the volatile reads of the access path is guarded by the enclave
 * lock.
 */
final class EnclavePage implements Reclaimable {
    private static final VarHandle EPC_PAGE;
    private static final VarHandle FRAME;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            EPC_PAGE = l.findVarHandle(EnclavePage.class, "epcPage", EpcPage.class);
            FRAME = l.findVarHandle(EnclavePage.class, "frame", EpcFrame.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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

    /**
     * Makes {@code p} (null: none) the page's EPC page, and its frame the translation. Called under
     * the enclave lock; the two fields are written with release stores, as the page table's
     * translation is (no full fence per page): a reader that sees a stale frame fails to pin it
     * for this page (its owner or address differs) and takes the fault path, which takes the lock.
     */
    void publish(EpcPage p) {
        EPC_PAGE.setRelease(this, p);
        FRAME.setRelease(this, p == null ? null : p.frame());
        PageTable table = encl.pages;
        if (!isSecs && table != null) {
            table.setTranslation(backingIndex(), p == null ? Epc.NO_TRANSLATION : p.frame().translation());
        }
    }

    /** {@code sgx_encl_test_and_clear_young}: clears the accessed bit. */
    void clearYoung() {
        EpcFrame f = frame;
        if (f != null) {
            f.testAndClearAccessed();
        }
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
        EpcFrame f = frame;
        return f == null || !f.testAndClearAccessed();
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
