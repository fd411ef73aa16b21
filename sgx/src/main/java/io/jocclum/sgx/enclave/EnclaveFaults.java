package io.jocclum.sgx.enclave;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.EnclsException;
import io.jocclum.sgx.epc.EpcAllocator;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaim;

/**
 * The paging-in half of the Linux SGX driver's encl.c on one {@link Enclave}: {@code sgx_vma_fault}
 * and the ELDU loads ({@code sgx_encl_load_page}, {@code sgx_encl_eldu}) it shares with the SGX2 ioctls.
 *
 * <p>Design: the fault path follows {@code sgx_vma_fault}: EAUG for a missing page of an initialised
 * enclave on SGX2, ELDU of the SECS and then the page for an evicted one. Where the kernel returns
 * VM_FAULT_NOPAGE and lets the task re-fault, the model waits for the condition that makes the retry
 * useful (the reclaimer finishing with the page, or any EPC page being freed) instead of spinning.
 */
final class EnclaveFaults {
    private final Enclave encl;
    /**
     * {@link #eaugStretch}'s pages and their EPC pages, reused from one stretch to the next (at most
     * {@value #RUN_PAGES}, cleared after each): allocated at the first stretch. Enclave lock.
     */
    private EnclavePage[] stretchPages;
    private EpcPage[] stretchEpcs;
    /** See {@link #eaugStretch}: written only when a sum of what it read has an impossible value. */
    @SuppressWarnings("unused")
    private static int warmSink;
    /** The fault of the page whose EAUG failed in the last {@link #eaugStretch}, else null. Enclave lock. */
    private EnclaveFault stretchFailure;

    EnclaveFaults(Enclave encl) {
        this.encl = encl;
    }

    // ---- loading evicted pages (ELDU) --------------------------------------------------------------

    /** {@code sgx_encl_load_page}: the page at {@code addr}, reloaded if evicted. Lock held. */
    EnclavePage loadPage(long addr, HostTask current) {
        EnclavePage entry = encl.pages.get(Pages.index(addr - encl.base));
        if (entry == null) {
            throw Errno.EFAULT.exception("no enclave page at 0x" + Long.toHexString(addr));
        }
        if (entry.isResident()) {
            if (entry.beingReclaimed) {
                throw Errno.EBUSY.exception("page is being reclaimed");
            }
            return entry;
        }
        loadSecs(current);
        eldu(entry, current);
        encl.secsChildCnt++;
        encl.reclaimer().markReclaimable(entry.epcPage);
        return entry;
    }

    /** {@code sgx_encl_load_secs}. Lock held. */
    private void loadSecs(HostTask current) {
        if (!encl.secs.isResident()) {
            eldu(encl.secs, current);
        }
    }

    /** {@code sgx_encl_eldu}: allocate (NO_RECLAIM), ELDU, free the VA slot, truncate the backing. Lock held. */
    private void eldu(EnclavePage p, HostTask current) {
        EpcPage epc = encl.drv.epc().allocator().allocate(p, Reclaim.SGX_NO_RECLAIM, current);
        BackingStore.Slot b = encl.backing.lookup(p.backingIndex());
        if (b == null) {
            encl.freeEpcPage(epc);
            throw Errno.EFAULT.exception("backing page of " + p + " is missing");
        }
        SgxStatus st;
        try {
            st = encl.cpu.eldu(encl.account, epc.frame(), p.isSecs ? 0 : p.addr, p.isSecs ? null : encl.secs.frame,
                    b.contentsSlab(), b.contentsOffset(), b.pcmd().slab, b.pcmd().offset + b.pcmdOffset(), p.vaPage.epcPage.frame(), p.vaSlot, false);
        } catch (EnclsException e) {
            encl.freeEpcPage(epc);
            throw Errno.EFAULT.exception("ELDU " + e.getMessage());
        }
        if (st != SgxStatus.SUCCESS) {
            encl.freeEpcPage(epc);
            throw Errno.EFAULT.exception("ELDU of " + p + " returned " + st);
        }
        p.vaPage.freeSlot(p.vaSlot);
        encl.vaPages.moveToHead(p.vaPage);
        p.vaPage = null;
        p.vaSlot = -1;
        encl.backing.truncateAfterLoad(b);
        if (p.isSecs) {
            encl.control = epc.frame().secs();
        }
        p.publish(epc);
    }

    // ---- the fault path ----------------------------------------------------------------------------

    /**
     * {@code sgx_vma_fault} for an enclave access at {@code addr} by {@code current} that found no
     * usable translation. Returns when the access should be retried; throws {@link EnclaveFault}
     * SIGBUS when the kernel would send SIGBUS, INTEGRITY when ELDU found the backing page tampered
     * with (Linux: SIGBUS too).
     */
    void handleFault(long addr, boolean write, HostTask current) {
        if (encl.has(Enclave.UNMAPPED) || !encl.tryGet()) {
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "the enclave has been released");
        }
        encl.account.charge(CostEvent.AEX);
        encl.account.charge(CostEvent.PAGE_FAULT);
        try {
            long gen = encl.drv.epc().allocator().progressGeneration();
            long idx = Pages.index(addr - encl.base);
            boolean busy;
            if (encl.cpu.sgx2() && encl.pages.get(idx) == null) {
                busy = eaugPage(Pages.down(addr), write, current);
            } else {
                busy = loadForFault(idx, addr, write, current);
            }
            if (busy && current.signalPending()) {
                throw new EnclaveFault(EnclaveFault.Kind.KILLED, addr, write, current + " has a signal pending");
            }
            if (busy && !encl.drv.epc().allocator().awaitProgress(gen)) {
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "the platform is shutting down");
            }
        } finally {
            encl.account.charge(CostEvent.ERESUME);
            encl.put();
        }
    }

    /** The ELDU part of the fault path; true if the allocation said EBUSY (retry after progress). */
    private boolean loadForFault(long idx, long addr, boolean write, HostTask current) {
        encl.lock.lock();
        try {
            EnclavePage entry = encl.pages.get(idx);
            if (entry == null) {
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "no enclave page at this address");
            }
            while (entry.isResident() && entry.beingReclaimed) {
                encl.pageStateChanged.awaitUninterruptibly();
            }
            if (encl.pages.get(idx) != entry || entry.isResident()) {
                return false; // removed or already loaded: retry the access
            }
            try {
                loadSecs(current);
                eldu(entry, current);
            } catch (ErrnoException e) {
                return switch (e.errno()) {
                    case EBUSY -> true;
                    case EFAULT -> throw new EnclaveFault(EnclaveFault.Kind.INTEGRITY, addr, write, e.getMessage());
                    default -> throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, e.getMessage());
                };
            }
            encl.secsChildCnt++;
            encl.reclaimer().markReclaimable(entry.epcPage);
            entry.clearYoung(); // sgx_encl_test_and_clear_young after mapping
            return false;
        } finally {
            encl.lock.unlock();
        }
    }

    /** {@code sgx_encl_eaug_page}; true if an allocation said EBUSY. */
    private boolean eaugPage(long addr, boolean write, HostTask current) {
        if (!encl.has(Enclave.INITIALIZED)) {
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "EAUG needs an initialised enclave");
        }
        EnclavePage page = new EnclavePage(encl, addr, false, PageType.REG, SecInfo.R | SecInfo.W | SecInfo.X);
        encl.lock.lock();
        try {
            if (encl.pages.get(Pages.index(addr - encl.base)) != null) {
                return false; // created by another flow meanwhile: retry
            }
            return eaugLocked(page, write, current);
        } finally {
            encl.lock.unlock();
        }
    }

    /**
     * The body of {@code sgx_encl_eaug_page} for {@code page}, whose address has no enclave page:
     * allocate (NO_RECLAIM), grow the VA space, insert, EAUG. True if an allocation said EBUSY
     * (nothing changed); EnclaveFault SIGBUS on any other failure (nothing changed). Lock held.
     */
    private boolean eaugLocked(EnclavePage page, boolean write, HostTask current) {
        long addr = page.addr;
        long idx = Pages.index(addr - encl.base);
        EpcPage epc;
        VaPage va;
        try {
            loadSecs(current);
            epc = encl.drv.epc().allocator().allocate(page, Reclaim.SGX_NO_RECLAIM, current);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EBUSY) {
                return true;
            }
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, e.getMessage());
        }
        try {
            va = encl.grow(Reclaim.SGX_NO_RECLAIM, current);
        } catch (ErrnoException e) {
            encl.freeEpcPage(epc);
            if (e.errno() == Errno.EBUSY) {
                return true;
            }
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, e.getMessage());
        }
        if (va != null) {
            encl.vaPages.addHead(va);
        }
        encl.pages.insert(idx, page);
        try {
            encl.cpu.eaug(encl.account, epc.frame(), encl.secs.frame, addr);
        } catch (EnclsException e) {
            encl.pages.remove(idx);
            encl.shrink(va);
            encl.freeEpcPage(epc);
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "EAUG " + e.getMessage());
        }
        page.publish(epc);
        encl.secsChildCnt++;
        encl.reclaimer().markReclaimable(epc);
        return false;
    }

    // ---- the fault path for a run of pages ------------------------------------------------------

    /** Pages EAUGed by one acquisition of the enclave lock in {@link #eaugRun}. */
    static final int RUN_PAGES = 64;

    /**
     * What {@link #eaugRun} did: the first {@code ready} pages of the run now have a fresh PENDING
     * page each; then either the run went on to its end or to a page that already has an enclave
     * page ({@code failure} null, {@code retry} false), or the next page's fault had to wait for
     * EPC ({@code retry}: the caller tries that page again), or it failed ({@code failure}: what
     * the fault path of that page throws, after the caller has dealt with the ready pages).
     */
    record Run(long ready, boolean retry, EnclaveFault failure) {
        /** No page made and nothing to retry: the first page takes its own fault path. */
        static final Run NONE = new Run(0, false, null);
    }

    /**
     * The driver's #PF handler for the faults that EACCEPTs of the pages from {@code from} to
     * {@code end} one after another would take, for the leading pages that have no enclave page
     * yet (at most {@value #RUN_PAGES}): each is EAUGed exactly as {@link #handleFault} would,
     * with the same charges per page (AEX, #PF, EAUG, ERESUME), but under one acquisition of the
     * enclave lock. A page whose fault would not simply EAUG (it has an enclave page, or the
     * enclave is not in a state to EAUG) ends the run before it, untouched, for the caller's own
     * fault path; a page whose allocation fails is handled as {@link #handleFault} handles it
     * (charges, waiting for reclaim progress on EBUSY, the fault to throw otherwise).
     */
    Run eaugRun(long from, long end, boolean write, HostTask current) {
        // a first page that has an enclave page ends the run before it, as under the lock below: seen
        // without the lock, for a range of present pages (an EACCEPT of trimmed or restricted pages);
        // if it goes away meanwhile, that page's own fault path EAUGs it with the same charges
        if (encl.pages.get(Pages.index(from - encl.base)) != null) {
            return Run.NONE;
        }
        if (!encl.cpu.sgx2() || !encl.has(Enclave.INITIALIZED) || encl.has(Enclave.UNMAPPED) || !encl.tryGet()) {
            return Run.NONE;
        }
        long n = 0;
        long charged = 0;
        boolean busy = false;
        EnclaveFault failure = null;
        long gen = 0;
        long limit = Math.min(end, from + (long) RUN_PAGES * Pages.SIZE);
        EpcAllocator alloc = encl.drv.epc().allocator();
        try {
            encl.lock.lock();
            try {
                for (long addr = from; addr < limit; addr += Pages.SIZE) {
                    if (encl.pages.get(Pages.index(addr - encl.base)) != null || !alloc.plentiful(3)) {
                        break; // the page's own fault path: it exists, or EPC is short (reclaim, waits)
                    }
                    int stretch = stretch(addr, limit);
                    int ready = stretch > 1 ? eaugStretch(addr, stretch, write, current) : -1;
                    if (ready >= 0) {
                        failure = stretchFailure;
                        stretchFailure = null;
                        charged += ready + (failure != null ? 1 : 0);
                        n += ready;
                        addr += Pages.bytes(ready) - Pages.SIZE;
                        if (failure != null) {
                            break;
                        }
                        continue;
                    }
                    EnclavePage page = new EnclavePage(encl, addr, false, PageType.REG, SecInfo.R | SecInfo.W | SecInfo.X);
                    gen = alloc.progressGeneration();
                    charged++;
                    try {
                        busy = eaugLocked(page, write, current);
                    } catch (EnclaveFault f) {
                        failure = f;
                    }
                    if (busy || failure != null) {
                        break;
                    }
                    n++;
                }
            } finally {
                encl.lock.unlock();
                charge(charged);
            }
            if (busy && current.signalPending()) {
                failure = new EnclaveFault(EnclaveFault.Kind.KILLED, from + Pages.bytes(n), write, current + " has a signal pending");
            } else if (busy && !encl.drv.epc().allocator().awaitProgress(gen)) {
                failure = new EnclaveFault(EnclaveFault.Kind.SIGBUS, from + Pages.bytes(n), write, "the platform is shutting down");
            }
        } finally {
            encl.put();
        }
        return new Run(n, busy && failure == null, failure);
    }

    /**
     * How many pages from {@code from} (before {@code limit}) {@link #eaugStretch} may EAUG at once
     * (0 or 1: the page takes {@link #eaugLocked} alone): the leading pages without an enclave page
     * before the next one whose {@code sgx_encl_grow} adds a VA page, while the SECS is resident.
     * Lock held.
     */
    private int stretch(long from, long limit) {
        int slot = (int) (encl.pageCnt % VaPage.SLOTS);
        if (slot == 0 || !encl.secs.isResident()) {
            return 0;
        }
        int max = (int) Math.min(VaPage.SLOTS - slot, (limit - from) / Pages.SIZE);
        int m = 0;
        while (m < max && encl.pages.get(Pages.index(from + Pages.bytes(m) - encl.base)) == null) {
            m++;
        }
        return m;
    }

    /**
     * {@link #eaugLocked} of the {@code m} pages from {@code from} one after another, none of which
     * adds a VA page ({@link #stretch}), with their frames allocated at once
     * ({@link EpcAllocator#allocateRun}: the same frames in the same order, while the EPC is
     * plentiful and no other task allocates or frees EPC meanwhile) and put on the reclaimer's LRU
     * at once, in the same order. Each page gets the same EAUG, EPCM entry and page-table entry as
     * alone. -1 when no frame could be allocated
     * that way (the page takes its own path); otherwise the number of pages made (possibly fewer
     * than {@code m}), with the fault of a page whose EAUG failed in {@link #stretchFailure}, after
     * which nothing of that page or the ones after it is left, as {@link #eaugLocked} leaves a
     * failed page. Lock held.
     */
    private int eaugStretch(long from, int m, boolean write, HostTask current) {
        if (stretchPages == null) {
            stretchPages = new EnclavePage[RUN_PAGES];
            stretchEpcs = new EpcPage[RUN_PAGES];
        }
        EnclavePage[] run = stretchPages;
        EpcPage[] epcs = stretchEpcs;
        try {
            return eaugStretch(run, epcs, from, m, write, current);
        } finally {
            java.util.Arrays.fill(run, 0, m, null);
            java.util.Arrays.fill(epcs, 0, m, null);
        }
    }

    private int eaugStretch(EnclavePage[] run, EpcPage[] epcs, long from, int m, boolean write, HostTask current) {
        for (int i = 0; i < m; i++) {
            run[i] = new EnclavePage(encl, from + Pages.bytes(i), false, PageType.REG, SecInfo.R | SecInfo.W | SecInfo.X);
        }
        EpcAllocator alloc = encl.drv.epc().allocator();
        int k = alloc.allocateRun(run, epcs, m, current);
        if (k == 0) {
            return -1;
        }
        encl.growPages(k);
        // the frames' state, last used up to a pass ago (the EPC free list is first in, first out), loaded
        // for all pages before the loop, whose locked updates would wait for each page's misses in turn
        int warm = 0;
        for (int i = 0; i < k; i++) {
            warm += epcs[i].frame().warm();
        }
        if (warm == Integer.MIN_VALUE) {
            warmSink = warm; // rarely, and harmless: the sum is used, so the JIT keeps the loads
        }
        for (int i = 0; i < k; i++) {
            EnclavePage page = run[i];
            long idx = Pages.index(page.addr - encl.base);
            encl.pages.insert(idx, page);
            try {
                encl.cpu.eaug(encl.account, epcs[i].frame(), encl.secs.frame, page.addr);
            } catch (EnclsException e) {
                encl.pages.remove(idx);
                encl.shrinkPages(k - i);
                encl.reclaimer().markReclaimableRun(epcs, i);
                encl.freeEpcPage(epcs[i]);
                alloc.unallocateRun(epcs, i + 1, k);
                stretchFailure = new EnclaveFault(EnclaveFault.Kind.SIGBUS, page.addr, write, "EAUG " + e.getMessage());
                return i;
            }
            page.publish(epcs[i]);
            encl.secsChildCnt++;
        }
        encl.reclaimer().markReclaimableRun(epcs, k);
        return k;
    }

    /** The enclave exits and re-entries of {@code faults} #PFs handled by the driver. */
    private void charge(long faults) {
        if (faults > 0) {
            encl.account.charge(CostEvent.AEX, faults);
            encl.account.charge(CostEvent.PAGE_FAULT, faults);
            encl.account.charge(CostEvent.ERESUME, faults);
        }
    }
}
