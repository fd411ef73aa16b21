package io.jocclum.sgx.enclave;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveControl;
import io.jocclum.sgx.cpu.EnclsException;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.cpu.SgxCpu;
import io.jocclum.sgx.epc.BackingMemory;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaim;
import io.jocclum.sgx.epc.Reclaimer;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * {@code struct sgx_encl}: one enclave as the Linux SGX driver manages it (encl.c, ioctl.c): its
 * state, the page primitives the driver shares between paths (VA pages, freeing EPC pages), the
 * reclaimer's steps, the refcount and release.
 *
 * <p>Design: the work is split the way the driver's files split it. {@link EnclaveIoctls} holds the
 * ioctls (ioctl.c), {@link EnclaveFaults} the fault path and the ELDU loads (encl.c), and
 * {@link EnclaveInspection} the read-only view of invariant checkers; they work on this object's
 * fields as the kernel's functions work on {@code struct sgx_encl}. The {@link Reclaimable} steps of
 * the reclaimer ({@link #prepareEviction}, {@link #blockForEviction}, {@link #writeBack}) follow
 * {@code sgx_reclaim_pages}.
 *
 * <p>Locking: {@code lock} is {@code encl->lock} and guards the page table's writers, the pages'
 * driver state, the VA list, the backing store and the counters. {@code pageStateChanged} is signalled
 * whenever a page stops being BEING_RECLAIMED. The refcount is {@code encl->refcount}: the file, the
 * mm and every page isolated by a reclaimer hold one; the last put releases the enclave.
 */
public final class Enclave {
    /** SGX_PAGE_MEASURE (uapi asm/sgx.h): ADD_PAGES flag, EEXTEND the added pages. */
    public static final long SGX_PAGE_MEASURE = 1;
    /** SGX_ATTR_UNPRIV_MASK (asm/sgx.h): attributes any enclave may have. */
    static final long SGX_ATTR_UNPRIV_MASK = Attributes.DEBUG | Attributes.MODE64BIT | Attributes.KSS
            | Attributes.AEXNOTIFY;

    static final int CREATED = 1;
    static final int INITIALIZED = 1 << 1;
    static final int DEBUG = 1 << 2;
    static final int IOCTL = 1 << 3;
    static final int RELEASED = 1 << 4;
    /** The file is closed and the creator's mapping is gone: new faults get SIGBUS. */
    static final int UNMAPPED = 1 << 5;

    final ReentrantLock lock = new ReentrantLock();
    final Condition pageStateChanged = lock.newCondition();
    final SgxDriver drv;
    final SgxCpu cpu;
    private final HostTask owner;
    final CostAccount account;
    final AtomicInteger refcount = new AtomicInteger(1);
    final AtomicInteger flags = new AtomicInteger();
    final List<Mm> mmList = new CopyOnWriteArrayList<>();
    final EnclavePage secs;
    final VaList vaPages = new VaList();
    long base;
    long size;
    long attributes;
    long attributesMask;
    PageTable pages;
    BackingStore backing;
    @GuardedBy("lock")
    long pageCnt;
    @GuardedBy("lock")
    int secsChildCnt;
    volatile EnclaveControl control;
    private volatile EnclaveMemory memory;
    final EnclaveFaults faults = new EnclaveFaults(this);
    private final EnclaveIoctls ioctls = new EnclaveIoctls(this);
    private final EnclaveInspection inspection = new EnclaveInspection(this);

    Enclave(SgxDriver drv, HostTask owner, CostAccount account) {
        this.drv = drv;
        this.cpu = drv.cpu();
        this.owner = owner;
        this.account = account;
        this.secs = new EnclavePage(this, 0, true, PageType.SECS, 0);
    }

    // =============================================================================================
    // ioctls
    // =============================================================================================

    /** SGX_ENCL_IOCTL: one ioctl at a time per enclave; false means EBUSY. */
    public boolean tryBeginIoctl() {
        return (flags.getAndUpdate(f -> f | IOCTL) & IOCTL) == 0;
    }

    public void endIoctl() {
        flags.getAndUpdate(f -> f & ~IOCTL);
    }

    // ---- the ioctls (EnclaveIoctls) ---------------------------------------------------------------

    /** SGX_IOC_ENCLAVE_CREATE with the 4096-byte SECS {@code secsBytes}. */
    public void create(byte[] secsBytes, HostTask current) {
        ioctls.create(secsBytes, current);
    }

    /**
     * SGX_IOC_ENCLAVE_ADD_PAGES: EADD (and EEXTEND when {@code flags} has SGX_PAGE_MEASURE) of
     * {@code length} bytes from {@code src} at {@code offset}. An error before any page, or a signal
     * before the first page (ERESTARTSYS), fails the call; otherwise {@code count} tells how far it got.
     * A count of -1 means the argument checks failed before the kernel wrote the struct back.
     */
    public IoctlOutcome addPages(MemorySegment src, long offset, long length, SecInfo secInfo, long flagsArg,
                                 HostTask current) {
        return ioctls.addPages(src, offset, length, secInfo, flagsArg, current);
    }

    /** SGX_IOC_ENCLAVE_INIT with the 1808-byte SIGSTRUCT (and the unused 304-byte EINITTOKEN). */
    public void init(byte[] sigstruct, byte[] token, HostTask current) {
        ioctls.init(sigstruct, token, current);
    }

    /** SGX_IOC_ENCLAVE_PROVISION: allows ATTRIBUTES.PROVISIONKEY. */
    public void allowProvisioning() {
        ioctls.allowProvisioning();
    }

    /** SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS. */
    public IoctlOutcome restrictPermissions(long offset, long length, long permissions, long result, long count,
                                            HostTask current) {
        return ioctls.restrictPermissions(offset, length, permissions, result, count, current);
    }

    /** SGX_IOC_ENCLAVE_MODIFY_TYPES to {@code pageType} (the PAGE_TYPE encoding). */
    public IoctlOutcome modifyTypes(long offset, long length, long pageType, long result, long count,
                                    HostTask current) {
        return ioctls.modifyTypes(offset, length, pageType, result, count, current);
    }

    /** SGX_IOC_ENCLAVE_REMOVE_PAGES: EREMOVE of trimmed pages the enclave has EACCEPTed. */
    public IoctlOutcome removePages(long offset, long length, long count, HostTask current) {
        return ioctls.removePages(offset, length, count, current);
    }

    // =============================================================================================
    // VA pages, freeing EPC pages
    // =============================================================================================

    /** {@code sgx_encl_grow}: a new VA page when the page count reaches a multiple of 512. */
    VaPage grow(Reclaim reclaim, HostTask current) {
        boolean needVa;
        lock.lock();
        try {
            needVa = pageCnt % VaPage.SLOTS == 0;
            pageCnt++;
        } finally {
            lock.unlock();
        }
        if (!needVa) {
            return null;
        }
        VaPage va = new VaPage();
        try {
            va.epcPage = drv.epc().allocator().allocate(va, reclaim, current);
        } catch (ErrnoException e) {
            lock.lock();
            try {
                pageCnt--;
            } finally {
                lock.unlock();
            }
            throw e;
        }
        try {
            cpu.epa(account, va.epcPage.frame());
        } catch (EnclsException e) {
            freeEpcPage(va.epcPage);
            lock.lock();
            try {
                pageCnt--;
            } finally {
                lock.unlock();
            }
            throw Errno.EFAULT.exception("EPA " + e.getMessage());
        }
        return va;
    }

    /** {@code sgx_encl_shrink}. */
    void shrink(VaPage va) {
        lock.lock();
        try {
            pageCnt--;
            if (va != null) {
                freeEpcPage(va.epcPage);
                if (va.prev != null || va.next != null || vaPages.first() == va) {
                    vaPages.remove(va);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #grow} of {@code n} pages at once, none of which adds a VA page (the page count stays
     * short of the next multiple of 512). Lock held.
     */
    void growPages(int n) {
        if (pageCnt % VaPage.SLOTS == 0 || pageCnt % VaPage.SLOTS + n > VaPage.SLOTS) {
            throw new IllegalStateException(n + " pages from page count " + pageCnt + " need a VA page");
        }
        pageCnt += n;
    }

    /** {@link #shrink shrink(null)} of {@code n} pages at once. */
    void shrinkPages(int n) {
        lock.lock();
        try {
            pageCnt -= n;
        } finally {
            lock.unlock();
        }
    }

    /** {@code sgx_encl_free_epc_page}: EREMOVE (after flushing accesses) and free; a failure leaks the page. */
    void freeEpcPage(EpcPage p) {
        if (eremoveToFree(p)) {
            drv.epc().allocator().free(p);
        }
    }

    /**
     * The EREMOVE of {@link #freeEpcPage} (after flushing accesses): true if {@code p} may now be
     * freed, false if EREMOVE failed (a warning; the page is leaked).
     */
    boolean eremoveToFree(EpcPage p) {
        if (p.isReclaimerTracked()) {
            drv.warn("freeing " + p + " that the reclaimer still tracks");
        }
        EpcFrame f = p.frame();
        f.fence();
        SgxStatus st;
        try {
            st = cpu.eremove(account, f);
        } finally {
            f.unfence();
        }
        if (st != SgxStatus.SUCCESS) {
            drv.warn("EREMOVE returned " + st + " for " + f + ": EPC page leaked");
            return false;
        }
        return true;
    }


    // =============================================================================================
    // the reclaimer's steps (Reclaimable)
    // =============================================================================================

    boolean tryGet() {
        for (;;) {
            int r = refcount.get();
            if (r == 0) {
                return false;
            }
            if (refcount.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    void put() {
        int r = refcount.decrementAndGet();
        if (r == 0) {
            release();
        } else if (r < 0) {
            throw new IllegalStateException("enclave refcount underflow");
        }
    }

    /** The memcg backing pages are charged to (v17 patch 11). */
    private BackingMemory chargeMemcg(Mm chargeMm) {
        if (chargeMm != null) {
            return drv.memcgs().of(chargeMm);
        }
        for (Mm mm : mmList) {
            if (mm.isLive()) {
                return drv.memcgs().of(mm);
            }
        }
        return drv.memcgs().root();
    }

    boolean prepareEviction(EnclavePage p, Mm chargeMm) {
        lock.lock();
        try {
            BackingStore.Slot b = backing.alloc(p.backingIndex(), chargeMemcg(chargeMm));
            if (b == null) {
                return false;
            }
            p.pendingBacking = b;
            p.beingReclaimed = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void blockForEviction(EnclavePage p) {
        lock.lock();
        try {
            SgxStatus st = cpu.eblock(account, p.frame);
            if (st != SgxStatus.SUCCESS) {
                drv.warn("EBLOCK returned " + st + " for " + p);
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code sgx_reclaimer_write}. */
    void writeBack(EnclavePage p) {
        lock.lock();
        try {
            BackingStore.Slot b = p.pendingBacking;
            p.pendingBacking = null;
            ewb(p, b);
            p.publish(null);
            secsChildCnt--;
            backing.put(b, true);
            if (secsChildCnt == 0 && has(INITIALIZED) && secs.isResident()) {
                BackingStore.Slot sb = backing.alloc(secs.backingIndex(), b.memcg());
                if (sb != null) {
                    ewb(secs, sb);
                    EpcPage se = secs.epcPage;
                    secs.publish(null);
                    freeEpcPage(se);
                    backing.put(sb, true);
                }
            }
            pageStateChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The most IPIs {@link #ewb} sends for one page before NOT_TRACKED is an error. */
    static final int MAX_IPIS = 1000;

    /** {@code sgx_encl_ewb}: EWB into a VA slot, with ETRACK and the IPI when the page is not yet tracked. */
    private void ewb(EnclavePage p, BackingStore.Slot b) {
        p.beingReclaimed = false;
        VaPage va = vaPages.first();
        int slot = va.allocSlot();
        if (va.isFull()) {
            vaPages.moveToTail(va);
        }
        EpcFrame f = p.frame;
        EpcFrame vaf = va.epcPage.frame();
        SgxStatus st = cpu.ewb(account, f, vaf, slot, b.contentsSlab(), b.contentsOffset(), b.pcmd().slab, b.pcmd().offset + b.pcmdOffset());
        if (st == SgxStatus.NOT_TRACKED) {
            cpu.etrack(account, secs.frame);
            st = cpu.ewb(account, f, vaf, slot, b.contentsSlab(), b.contentsOffset(), b.pcmd().slab, b.pcmd().offset + b.pcmdOffset());
            // The IPI waits for every access that held the page when it looked. An access that
            // starts afterwards can still make the page look in use for a moment (it counts a pin or
            // publishes the frame in a run, then sees BLOCKED and lets go): no translation stands
            // behind it, so, as Linux's third EWB after on_each_cpu(), the EWB must succeed; the
            // IPI is sent again until no such passing access is seen (a bounded number of times).
            for (int ipis = 0; st == SgxStatus.NOT_TRACKED && ipis < MAX_IPIS; ipis++) {
                cpu.ipi(account, f);
                st = cpu.ewb(account, f, vaf, slot, b.contentsSlab(), b.contentsOffset(), b.pcmd().slab, b.pcmd().offset + b.pcmdOffset());
            }
        }
        if (st != SgxStatus.SUCCESS) {
            va.freeSlot(slot);
            throw new IllegalStateException("EWB of " + p + " returned " + st);
        }
        p.vaPage = va;
        p.vaSlot = slot;
    }

    // =============================================================================================
    // release
    // =============================================================================================

    /** The file is closed and the creating process unmaps the enclave (process exit). */
    public void close() {
        flags.getAndUpdate(f -> f | UNMAPPED);
        boolean hadMm;
        lock.lock();
        try {
            hadMm = mmList.remove(owner.mm());
        } finally {
            lock.unlock();
        }
        if (hadMm) {
            put();
        }
        put();
    }

    /** {@code sgx_encl_release}: runs when the last reference goes. */
    private void release() {
        Reclaimer rec = reclaimer();
        lock.lock();
        try {
            flags.getAndUpdate(f -> f | RELEASED);
            if (pages != null) {
                List<EnclavePage> all = new ArrayList<>();
                pages.forEach(all::add);
                for (EnclavePage e : all) {
                    EpcPage epc = e.epcPage;
                    if (epc != null) {
                        if (!rec.unmarkReclaimable(epc)) {
                            continue; // held by a reclaimer
                        }
                        e.publish(null);
                        freeEpcPage(epc);
                        secsChildCnt--;
                    }
                }
                pages.clear();
            }
            if (secsChildCnt == 0 && secs.isResident()) {
                EpcPage se = secs.epcPage;
                secs.publish(null);
                freeEpcPage(se);
            }
            List<VaPage> vas = new ArrayList<>();
            vaPages.forEach(vas::add);
            for (VaPage v : vas) {
                vaPages.remove(v);
                freeEpcPage(v.epcPage);
            }
            if (backing != null) {
                backing.release();
            }
            if (!mmList.isEmpty()) {
                drv.warn("enclave released with a non-empty mm_list");
                mmList.clear();
            }
            if (secsChildCnt != 0 || secs.isResident()) {
                drv.warn("enclave released leaking " + secsChildCnt + " child pages"
                        + (secs.isResident() ? " and its SECS" : ""));
            }
            pageStateChanged.signalAll();
        } finally {
            lock.unlock();
        }
        drv.released(this);
    }

    // =============================================================================================
    // accessors
    // =============================================================================================

    boolean has(int f) {
        return (flags.get() & f) != 0;
    }

    Reclaimer reclaimer() {
        return drv.epc().reclaimer();
    }

    public long base() {
        return base;
    }

    public long size() {
        return size;
    }

    public boolean isCreated() {
        return has(CREATED);
    }

    public boolean isInitialized() {
        return has(INITIALIZED);
    }

    public boolean isDebug() {
        return has(DEBUG);
    }

    public boolean isReleased() {
        return has(RELEASED);
    }

    public HostTask owner() {
        return owner;
    }

    public CostAccount account() {
        return account;
    }

    public EnclaveStats stats() {
        return account.snapshot();
    }

    /** The enclave's SECS state (the latest reload), null before ECREATE. */
    public EnclaveControl control() {
        return control;
    }

    /** MRENCLAVE (after EINIT). */
    public byte[] mrEnclave() {
        return control.mrEnclave();
    }

    public BackingFile backingFile() {
        return new BackingFile(this);
    }

    BackingStore backing() {
        return backing;
    }

    SgxDriver driver() {
        return drv;
    }

    SgxCpu cpu() {
        return cpu;
    }

    PageTable pages() {
        return pages;
    }

    /** Pages the SGX2 ioctls' page loop has prefetched so far (for tests). */
    long ioctlPrefetchedPages() {
        return ioctls.prefetchedPages();
    }

    /** The in-enclave view, for software running inside the initialised enclave. */
    public EnclaveContext context() {
        if (!has(INITIALIZED)) {
            throw new IllegalStateException("enclave is not initialised; EENTER would #GP");
        }
        EnclaveMemory m = memory;
        if (m == null) {
            synchronized (this) {
                m = memory;
                if (m == null) {
                    m = new EnclaveMemory(this, owner);
                    memory = m;
                }
            }
        }
        return m;
    }

    /**
     * An ECALL through the TCS at {@code tcs}: EENTER (checking the TCS, reloading it if evicted),
     * the call, EEXIT; charges one ECALL round trip and the copy of {@code bytes} across the boundary.
     */
    public void ecall(long tcs, long bytes) {
        ((EnclaveMemory) context()).eenter(tcs);
        account.charge(CostEvent.ECALL);
        account.chargeCopy(bytes);
    }

    /**
     * Resident state of the page at {@code addr}: its EPCM entry, or null when absent or evicted.
     * Safe while the enclave runs and pages are reclaimed: the entry is the page's own at an instant
     * when it was resident. The frame the page had is read without the lock, so the entry (a
     * snapshot taken under the frame's monitor, as every EPCM update is) is kept only if it is valid
     * and still names this enclave and this address, as the access path re-checks a pinned frame:
     * a frame the page left (EWB, EREMOVE) and that now holds another page gives null, for the page
     * was out of that frame, so not resident, at some instant in between.
     */
    public EpcmEntry epcmAt(long addr) {
        if (pages == null) {
            return null;
        }
        EnclavePage p = pages.get(Pages.index(addr - base));
        EpcFrame f = p == null ? null : p.frame;
        if (f == null) {
            return null;
        }
        EpcmEntry e = f.epcmEntry();
        return e.valid() && e.linaddr() == p.addr && e.ownerEid() == control.eid() ? e : null;
    }

    /** True if the enclave has a page (resident or evicted) at {@code addr}. */
    public boolean hasPage(long addr) {
        return pages != null && addr >= base && addr - base < size && pages.get(Pages.index(addr - base)) != null;
    }

    // ---- inspection for invariant checkers (EnclaveInspection) --------------------------------------

    /**
     * The EPCM state of the enclave's page at {@code addr}, whether resident or evicted: a resident
     * page's EPCM entry; for an evicted page the entry EWB saved in its PCMD (valid, not blocked,
     * PENDING/MODIFIED/PR and permissions as they were). Null when the enclave has no page there.
     * Nothing is loaded (no ELDU, no cost): this is the view of a checker, not of the enclave.
     */
    public EpcmEntry inspectPage(long addr) {
        return inspection.inspectPage(addr);
    }

    /**
     * True if the enclave's page at {@code addr} holds only zero bytes (also true when there is no
     * page). A resident page is read without EPCM checks; an evicted one is decrypted from the
     * backing store with the platform's paging key without ELDU (false if it fails its MAC).
     */
    public boolean inspectPageIsZero(long addr) {
        return inspection.inspectPageIsZero(addr);
    }

    /** Pages of the enclave (resident or evicted) with a linear address in [start, end). */
    public long countPages(long start, long end) {
        return inspection.countPages(start, end);
    }

    /**
     * Checks this enclave's structures against the EPCM and each other (run when quiescent):
     * resident pages' EPCM entries, child counts, VA slots of evicted pages, backing pages, LRU tracking.
     */
    public void checkInvariants(Consumer<String> problems) {
        inspection.checkInvariants(problems);
    }

    /** True if the page at {@code addr} is in the EPC now (false when evicted or absent). */
    public boolean isResident(long addr) {
        if (pages == null || addr < base || addr - base >= size) {
            return false;
        }
        EnclavePage p = pages.get(Pages.index(addr - base));
        return p != null && p.isResident();
    }

    /** Resident child pages (the driver's secs_child_cnt). */
    public int residentPages() {
        lock.lock();
        try {
            return secsChildCnt;
        } finally {
            lock.unlock();
        }
    }

    /** Pages of the enclave, resident or not (excluding the SECS). */
    /** Pages of the enclave (present or evicted), read without the enclave lock (the LibOS samples it at every munmap). */
    public long pageCount() {
        PageTable t = pages;
        return t == null ? 0 : t.size();
    }

    public int vaPageCount() {
        lock.lock();
        try {
            return vaPages.size();
        } finally {
            lock.unlock();
        }
    }

    public boolean isSecsResident() {
        return secs.isResident();
    }
    @Override
    public String toString() {
        return "Enclave[" + account.name() + ", base=0x" + Long.toHexString(base) + ", size=0x" + Long.toHexString(size)
                + "]";
    }
}
