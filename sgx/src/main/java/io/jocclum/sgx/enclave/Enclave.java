package io.jocclum.sgx.enclave;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveControl;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.EnclsException;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.cpu.SgxCpu;
import io.jocclum.sgx.epc.BackingMemory;
import io.jocclum.sgx.epc.EpcAllocator;
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
 * {@code struct sgx_encl}: one enclave as the Linux SGX driver manages it (encl.c, ioctl.c), with
 * the ioctls, the fault path and release.
 *
 * <p>Design: the ioctl methods follow ioctl.c line by line (argument checks and errnos, the order of
 * allocations, the unwinding); the fault path follows {@code sgx_vma_fault}: EAUG for a missing page
 * of an initialised enclave on SGX2, ELDU of the SECS and then the page for an evicted one. Where the
 * kernel returns VM_FAULT_NOPAGE and lets the task re-fault, the model waits for the condition that
 * makes the retry useful (the reclaimer finishing with the page, or any EPC page being freed) instead
 * of spinning. The {@link Reclaimable} steps of the reclaimer ({@link #prepareEviction},
 * {@link #blockForEviction}, {@link #writeBack}) follow {@code sgx_reclaim_pages}.
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
    private final Condition pageStateChanged = lock.newCondition();
    private final SgxDriver drv;
    private final SgxCpu cpu;
    private final HostTask owner;
    private final CostAccount account;
    private final AtomicInteger refcount = new AtomicInteger(1);
    private final AtomicInteger flags = new AtomicInteger();
    private final List<Mm> mmList = new CopyOnWriteArrayList<>();
    private final EnclavePage secs;
    private final VaList vaPages = new VaList();
    private long base;
    private long size;
    private long attributes;
    private long attributesMask;
    private PageTable pages;
    private BackingStore backing;
    private long pageCnt;          // guarded by lock
    private int secsChildCnt;      // guarded by lock
    private volatile EnclaveControl control;
    private volatile EnclaveMemory memory;

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

    /** SGX_IOC_ENCLAVE_CREATE with the 4096-byte SECS {@code secsBytes}. */
    public void create(byte[] secsBytes, HostTask current) {
        if (has(CREATED)) {
            throw Errno.EINVAL.exception("enclave already created");
        }
        if (secsBytes == null || secsBytes.length < Secs.SIZE) {
            throw Errno.EFAULT.exception("SECS source shorter than 4096 bytes");
        }
        byte[] raw = java.util.Arrays.copyOf(secsBytes, Secs.SIZE);
        Secs s = Secs.parse(raw);
        if (Long.bitCount(s.size()) != 1) {
            throw Errno.EINVAL.exception("SECS.SIZE 0x" + Long.toHexString(s.size()) + " is not a power of two");
        }
        this.size = s.size();
        this.base = s.baseAddr();
        VaPage va = grow(Reclaim.SGX_DO_RECLAIM, current);
        lock.lock();
        try {
            if (va != null) {
                vaPages.addHead(va);
            }
            backing = new BackingStore(s.size());
        } finally {
            lock.unlock();
        }
        EpcPage secsEpc;
        try {
            secsEpc = drv.epc().allocator().allocate(secs, Reclaim.SGX_DO_RECLAIM, current);
        } catch (ErrnoException e) {
            shrink(va);
            throw e;
        }
        EnclaveControl c;
        try {
            c = cpu.ecreate(account, secsEpc.frame(), raw, new SecInfo(0));
        } catch (EnclsException e) {
            freeEpcPage(secsEpc);
            shrink(va);
            throw Errno.EIO.exception("ECREATE " + e.getMessage());
        }
        lock.lock();
        try {
            secs.publish(secsEpc);
            control = c;
            pages = new PageTable(s.size() >>> 12);
            attributes = s.attributes().flags();
            attributesMask = SGX_ATTR_UNPRIV_MASK;
            if (s.attributes().has(Attributes.DEBUG)) {
                flags.getAndUpdate(f -> f | DEBUG);
            }
            if (mmList.isEmpty()) {
                mmList.add(owner.mm());   // the creator maps the enclave (sgx_encl_mm_add)
                refcount.incrementAndGet();
            }
            flags.getAndUpdate(f -> f | CREATED);
        } finally {
            lock.unlock();
        }
    }

    /**
     * SGX_IOC_ENCLAVE_ADD_PAGES: EADD (and EEXTEND when {@code flags} has SGX_PAGE_MEASURE) of
     * {@code length} bytes from {@code src} at {@code offset}. An error before any page, or a signal
     * before the first page (ERESTARTSYS), fails the call; otherwise {@code count} tells how far it got.
     * A count of -1 means the argument checks failed before the kernel wrote the struct back.
     */
    public IoctlOutcome addPages(MemorySegment src, long offset, long length, SecInfo secInfo, long flagsArg,
                                 HostTask current) {
        if (!has(CREATED) || has(INITIALIZED)) {
            return new IoctlOutcome(-1, 0, Errno.EINVAL);
        }
        if (src == null) {
            return new IoctlOutcome(-1, 0, Errno.EFAULT);
        }
        if ((src.address() & 0xFFF) != 0) {
            return new IoctlOutcome(-1, 0, Errno.EINVAL);
        }
        if (validateOffsetLength(offset, length) != null) {
            return new IoctlOutcome(-1, 0, Errno.EINVAL);
        }
        if (secInfo == null) {
            return new IoctlOutcome(-1, 0, Errno.EFAULT);
        }
        if (validateSecInfo(secInfo) != null) {
            return new IoctlOutcome(-1, 0, Errno.EINVAL);
        }
        long c;
        Errno ret = null;
        for (c = 0; c < length; c += 4096) {
            if (current.signalPending()) {
                if (c == 0) {
                    ret = Errno.ERESTARTSYS;
                }
                break;
            }
            if (src.byteSize() < c + 4096) {
                ret = Errno.EFAULT; // get_user_pages() of the source failed
                break;
            }
            try {
                addPage(src.asSlice(c, 4096), offset + c, secInfo, flagsArg, current);
            } catch (ErrnoException e) {
                ret = e.errno();
                break;
            }
        }
        return new IoctlOutcome(c, 0, ret);
    }

    /** {@code sgx_encl_add_page}. */
    private void addPage(MemorySegment src, long offset, SecInfo secInfo, long flagsArg, HostTask current) {
        PageType type = secInfo.pageType();
        long prot = secInfo.perms();
        if (type == PageType.TCS) {
            prot |= SecInfo.R | SecInfo.W; // TCS pages are always RW for the kernel, EPCM perms are zero
        }
        EnclavePage page = new EnclavePage(this, base + offset, false, type, prot);
        EpcAllocator alloc = drv.epc().allocator();
        EpcPage epc = alloc.allocate(page, Reclaim.SGX_DO_RECLAIM, current);
        VaPage va;
        try {
            va = grow(Reclaim.SGX_DO_RECLAIM, current);
        } catch (ErrnoException e) {
            freeEpcPage(epc);
            throw e;
        }
        lock.lock();
        try {
            if (va != null) {
                vaPages.addHead(va);
            }
            long idx = offset >>> 12;
            if (!pages.insert(idx, page)) {
                shrink(va);
                freeEpcPage(epc);
                throw Errno.EBUSY.exception("page at offset 0x" + Long.toHexString(offset) + " already added");
            }
            try {
                cpu.eadd(account, epc.frame(), secs.frame, page.addr, secInfo, src);
            } catch (EnclsException e) {
                pages.remove(idx);
                shrink(va);
                freeEpcPage(epc);
                throw Errno.EIO.exception("EADD " + e.getMessage());
            }
            page.publish(epc);
            secsChildCnt++;
            if ((flagsArg & SGX_PAGE_MEASURE) != 0) {
                try {
                    for (int off = 0; off < 4096; off += 256) {
                        cpu.eextend(account, secs.frame, epc.frame(), off);
                    }
                } catch (EnclsException e) {
                    pages.remove(idx);
                    page.publish(null);
                    secsChildCnt--;
                    shrink(va);
                    freeEpcPage(epc);
                    throw Errno.EIO.exception("EEXTEND " + e.getMessage());
                }
            }
            reclaimer().markReclaimable(epc);
        } finally {
            lock.unlock();
        }
    }

    /** SGX_IOC_ENCLAVE_INIT with the 1808-byte SIGSTRUCT (and the unused 304-byte EINITTOKEN). */
    public void init(byte[] sigstruct, byte[] token, HostTask current) {
        if (!has(CREATED) || has(INITIALIZED)) {
            throw Errno.EINVAL.exception("enclave not created or already initialised");
        }
        if (sigstruct == null || sigstruct.length < 1808) {
            throw Errno.EFAULT.exception("SIGSTRUCT shorter than 1808 bytes");
        }
        long vendor = le(sigstruct, 16, 4);
        if (vendor != 0x0000 && vendor != 0x8086) {
            throw Errno.EINVAL.exception("SIGSTRUCT.VENDOR 0x" + Long.toHexString(vendor) + " is neither 0 nor 0x8086");
        }
        if ((attributes & ~attributesMask) != 0) {
            throw Errno.EACCES.exception("attributes 0x" + Long.toHexString(attributes & ~attributesMask)
                    + " not allowed (PROVISIONKEY needs SGX_IOC_ENCLAVE_PROVISION)");
        }
        long reservedAttrs = ~cpu.features().allowedAttributes();
        long reservedXfrm = ~cpu.features().allowedXfrm();
        long reservedMisc = ~(long) cpu.features().allowedMiscSelect() & 0xFFFFFFFFL;
        if ((le(sigstruct, 928, 8) & le(sigstruct, 944, 8) & reservedAttrs) != 0
                || (le(sigstruct, 900, 4) & le(sigstruct, 904, 4) & reservedMisc) != 0
                || (le(sigstruct, 936, 8) & le(sigstruct, 952, 8) & reservedXfrm) != 0) {
            throw Errno.EINVAL.exception("SIGSTRUCT requires attributes this platform reserves");
        }
        lock.lock();
        try {
            SgxStatus st;
            try {
                st = cpu.einit(account, java.util.Arrays.copyOf(sigstruct, 1808), secs.frame, token);
            } catch (EnclsException e) {
                throw Errno.EIO.exception("EINIT " + e.getMessage());
            }
            if (st != SgxStatus.SUCCESS) {
                throw Errno.EPERM.exception("EINIT returned " + st);
            }
            flags.getAndUpdate(f -> f | INITIALIZED);
        } finally {
            lock.unlock();
        }
    }

    /** SGX_IOC_ENCLAVE_PROVISION: allows ATTRIBUTES.PROVISIONKEY. */
    public void allowProvisioning() {
        lock.lock();
        try {
            attributesMask |= Attributes.PROVISIONKEY;
        } finally {
            lock.unlock();
        }
    }

    /** SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS. */
    public IoctlOutcome restrictPermissions(long offset, long length, long permissions, long result, long count,
                                            HostTask current) {
        Errno e = sgx2Ready();
        if (e == null) {
            e = validateOffsetLength(offset, length);
        }
        if (e == null && ((permissions & ~SecInfo.PERM_MASK) != 0
                || ((permissions & SecInfo.W) != 0 && (permissions & SecInfo.R) == 0) || result != 0 || count != 0)) {
            e = Errno.EINVAL;
        }
        if (e != null) {
            return new IoctlOutcome(count, result, e);
        }
        SecInfo si = new SecInfo(permissions & SecInfo.PERM_MASK);
        long c;
        for (c = 0; c < length; c += 4096) {
            long addr = base + offset + c;
            drv.epc().allocator().reclaimDirect(current);
            lock.lock();
            try {
                EnclavePage entry = loadPage(addr, current);
                if (entry.type != PageType.REG) {
                    return new IoctlOutcome(c, 0, Errno.EINVAL);
                }
                SgxStatus st;
                try {
                    st = cpu.emodpr(account, entry.frame, si);
                } catch (EnclsException ex) {
                    return new IoctlOutcome(c, 0, Errno.EFAULT);
                }
                if (st != SgxStatus.SUCCESS) {
                    return new IoctlOutcome(c, st.code(), Errno.EFAULT);
                }
                etrack(entry.frame);
            } catch (ErrnoException ex) {
                return new IoctlOutcome(c, 0, ex.errno() == Errno.EBUSY ? Errno.EAGAIN : Errno.EFAULT);
            } finally {
                lock.unlock();
            }
        }
        return IoctlOutcome.ok(c);
    }

    /** SGX_IOC_ENCLAVE_MODIFY_TYPES to {@code pageType} (the PAGE_TYPE encoding). */
    public IoctlOutcome modifyTypes(long offset, long length, long pageType, long result, long count,
                                    HostTask current) {
        Errno e = sgx2Ready();
        if (e == null) {
            e = validateOffsetLength(offset, length);
        }
        if (e == null && ((pageType & ~0xFFL) != 0 || result != 0 || count != 0)) {
            e = Errno.EINVAL;
        }
        if (e == null && pageType != PageType.TCS.encoding() && pageType != PageType.TRIM.encoding()) {
            e = Errno.EINVAL;
        }
        if (e != null) {
            return new IoctlOutcome(count, result, e);
        }
        PageType newType = PageType.fromEncoding((int) pageType);
        SecInfo si = new SecInfo(pageType << 8);
        long c;
        for (c = 0; c < length; c += 4096) {
            long addr = base + offset + c;
            drv.epc().allocator().reclaimDirect(current);
            lock.lock();
            EnclavePage entry = null;
            long maxProtRestore = 0;
            try {
                entry = loadPage(addr, current);
                if (!(entry.type == PageType.REG || (entry.type == PageType.TCS && newType == PageType.TRIM))) {
                    return new IoctlOutcome(c, 0, Errno.EINVAL);
                }
                maxProtRestore = entry.vmMaxProt;
                if (entry.type == PageType.REG && newType == PageType.TCS) {
                    if ((~entry.vmMaxProt & (SecInfo.R | SecInfo.W)) != 0) {
                        return new IoctlOutcome(c, 0, Errno.EPERM);
                    }
                    entry.vmMaxProt = SecInfo.R | SecInfo.W;
                    if (!reclaimer().unmarkReclaimable(entry.epcPage)) {
                        entry.vmMaxProt = maxProtRestore;
                        return new IoctlOutcome(c, 0, Errno.EAGAIN);
                    }
                    entry.frame.fence();   // sgx_zap_enclave_ptes
                    entry.frame.unfence();
                    reclaimer().markReclaimable(entry.epcPage);
                }
                SgxStatus st;
                try {
                    st = cpu.emodt(account, entry.frame, si);
                } catch (EnclsException ex) {
                    entry.vmMaxProt = maxProtRestore;
                    return new IoctlOutcome(c, 0, Errno.EFAULT);
                }
                if (st != SgxStatus.SUCCESS) {
                    entry.vmMaxProt = maxProtRestore;
                    return new IoctlOutcome(c, st.code(), Errno.EFAULT);
                }
                etrack(entry.frame);
                entry.type = newType;
            } catch (ErrnoException ex) {
                return new IoctlOutcome(c, 0, ex.errno() == Errno.EBUSY ? Errno.EAGAIN : Errno.EFAULT);
            } finally {
                lock.unlock();
            }
        }
        return IoctlOutcome.ok(c);
    }

    /** SGX_IOC_ENCLAVE_REMOVE_PAGES: EREMOVE of trimmed pages the enclave has EACCEPTed. */
    public IoctlOutcome removePages(long offset, long length, long count, HostTask current) {
        Errno e = sgx2Ready();
        if (e == null) {
            e = validateOffsetLength(offset, length);
        }
        if (e == null && count != 0) {
            e = Errno.EINVAL;
        }
        if (e != null) {
            return new IoctlOutcome(count, 0, e);
        }
        SecInfo rwx = new SecInfo(SecInfo.R | SecInfo.W | SecInfo.X);
        long c;
        for (c = 0; c < length; c += 4096) {
            long addr = base + offset + c;
            drv.epc().allocator().reclaimDirect(current);
            lock.lock();
            try {
                EnclavePage entry = loadPage(addr, current);
                if (entry.type != PageType.TRIM) {
                    return new IoctlOutcome(c, 0, Errno.EPERM);
                }
                // EMODPR is a no-op probe: #PF once the trimmed page is accepted
                boolean pageFault;
                try {
                    cpu.emodpr(account, entry.frame, rwx);
                    pageFault = false;
                } catch (EnclsException ex) {
                    pageFault = ex.trap() == EnclsException.Trap.PF;
                }
                if (!pageFault) {
                    return new IoctlOutcome(c, 0, Errno.EPERM);
                }
                if (!reclaimer().unmarkReclaimable(entry.epcPage)) {
                    return new IoctlOutcome(c, 0, Errno.EBUSY);
                }
                EpcPage epc = entry.epcPage;
                entry.publish(null);
                freeEpcPage(epc);
                secsChildCnt--;
                pages.remove((addr - base) >>> 12);
                shrink(null);
            } catch (ErrnoException ex) {
                return new IoctlOutcome(c, 0, ex.errno() == Errno.EBUSY ? Errno.EAGAIN : Errno.EFAULT);
            } finally {
                lock.unlock();
            }
        }
        return IoctlOutcome.ok(c);
    }

    private Errno sgx2Ready() {
        if (!cpu.sgx2()) {
            return Errno.ENODEV;
        }
        if (!has(INITIALIZED)) {
            return Errno.EINVAL;
        }
        return null;
    }

    /** {@code sgx_validate_offset_length}. */
    private Errno validateOffsetLength(long offset, long length) {
        if ((offset & 0xFFF) != 0) {
            return Errno.EINVAL;
        }
        if (length == 0 || (length & 0xFFF) != 0) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(offset + length, offset) < 0) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(offset + length - 4096, size) >= 0) {
            return Errno.EINVAL;
        }
        return null;
    }

    /** {@code sgx_validate_secinfo}. */
    private static Errno validateSecInfo(SecInfo s) {
        long perm = s.flags() & SecInfo.PERM_MASK;
        int pt = s.pageTypeEncoding();
        if (pt != PageType.REG.encoding() && pt != PageType.TCS.encoding()) {
            return Errno.EINVAL;
        }
        if ((perm & SecInfo.W) != 0 && (perm & SecInfo.R) == 0) {
            return Errno.EINVAL;
        }
        if (pt == PageType.TCS.encoding() && perm != 0) {
            return Errno.EINVAL;
        }
        if ((s.flags() & ~(SecInfo.PERM_MASK | 0xFF00L)) != 0) {
            return Errno.EINVAL;
        }
        return null;
    }

    /** {@code sgx_enclave_etrack}: ETRACK, then the IPI that flushes the modified page's translations. */
    private void etrack(EpcFrame page) {
        cpu.etrack(account, secs.frame);
        boolean waited = page.fence();
        page.unfence();
        if (waited) {
            account.charge(CostEvent.AEX);
            account.charge(CostEvent.ERESUME);
        }
    }

    // =============================================================================================
    // VA pages, page loading
    // =============================================================================================

    /** {@code sgx_encl_grow}: a new VA page when the page count reaches a multiple of 512. */
    private VaPage grow(Reclaim reclaim, HostTask current) {
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
    private void shrink(VaPage va) {
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

    /** {@code sgx_encl_free_epc_page}: EREMOVE (after flushing accesses) and free; a failure leaks the page. */
    private void freeEpcPage(EpcPage p) {
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
            return;
        }
        drv.epc().allocator().free(p);
    }

    /** {@code sgx_encl_load_page}: the page at {@code addr}, reloaded if evicted. Lock held. */
    private EnclavePage loadPage(long addr, HostTask current) {
        EnclavePage entry = pages.get((addr - base) >>> 12);
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
        secsChildCnt++;
        reclaimer().markReclaimable(entry.epcPage);
        return entry;
    }

    /** {@code sgx_encl_load_secs}. Lock held. */
    private void loadSecs(HostTask current) {
        if (!secs.isResident()) {
            eldu(secs, current);
        }
    }

    /** {@code sgx_encl_eldu}: allocate (NO_RECLAIM), ELDU, free the VA slot, truncate the backing. Lock held. */
    private void eldu(EnclavePage p, HostTask current) {
        EpcPage epc = drv.epc().allocator().allocate(p, Reclaim.SGX_NO_RECLAIM, current);
        BackingStore.Slot b = backing.lookup(p.backingIndex());
        if (b == null) {
            freeEpcPage(epc);
            throw Errno.EFAULT.exception("backing page of " + p + " is missing");
        }
        SgxStatus st;
        try {
            st = cpu.eldu(account, epc.frame(), p.isSecs ? 0 : p.addr, p.isSecs ? null : secs.frame, b.contents().data,
                    b.pcmd().data, b.pcmdOffset(), p.vaPage.epcPage.frame(), p.vaSlot, false);
        } catch (EnclsException e) {
            freeEpcPage(epc);
            throw Errno.EFAULT.exception("ELDU " + e.getMessage());
        }
        if (st != SgxStatus.SUCCESS) {
            freeEpcPage(epc);
            throw Errno.EFAULT.exception("ELDU of " + p + " returned " + st);
        }
        p.vaPage.freeSlot(p.vaSlot);
        vaPages.moveToHead(p.vaPage);
        p.vaPage = null;
        p.vaSlot = -1;
        backing.truncateAfterLoad(b);
        if (p.isSecs) {
            control = epc.frame().secs();
        }
        p.publish(epc);
    }

    // =============================================================================================
    // the fault path
    // =============================================================================================

    /**
     * {@code sgx_vma_fault} for an enclave access at {@code addr} by {@code current} that found no
     * usable translation. Returns when the access should be retried; throws {@link EnclaveFault}
     * SIGBUS when the kernel would send SIGBUS, INTEGRITY when ELDU found the backing page tampered
     * with (Linux: SIGBUS too).
     */
    void handleFault(long addr, boolean write, HostTask current) {
        if (has(UNMAPPED) || !tryGet()) {
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "the enclave has been released");
        }
        account.charge(CostEvent.AEX);
        account.charge(CostEvent.PAGE_FAULT);
        try {
            long gen = drv.epc().allocator().progressGeneration();
            long idx = (addr - base) >>> 12;
            boolean busy;
            if (cpu.sgx2() && pages.get(idx) == null) {
                busy = eaugPage(addr & ~0xFFFL, write, current);
            } else {
                busy = loadForFault(idx, addr, write, current);
            }
            if (busy && current.signalPending()) {
                throw new EnclaveFault(EnclaveFault.Kind.KILLED, addr, write, current + " has a signal pending");
            }
            if (busy && !drv.epc().allocator().awaitProgress(gen)) {
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "the platform is shutting down");
            }
        } finally {
            account.charge(CostEvent.ERESUME);
            put();
        }
    }

    /** The ELDU part of the fault path; true if the allocation said EBUSY (retry after progress). */
    private boolean loadForFault(long idx, long addr, boolean write, HostTask current) {
        lock.lock();
        try {
            EnclavePage entry = pages.get(idx);
            if (entry == null) {
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "no enclave page at this address");
            }
            while (entry.isResident() && entry.beingReclaimed) {
                pageStateChanged.awaitUninterruptibly();
            }
            if (pages.get(idx) != entry || entry.isResident()) {
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
            secsChildCnt++;
            reclaimer().markReclaimable(entry.epcPage);
            entry.young = false; // sgx_encl_test_and_clear_young after mapping
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** {@code sgx_encl_eaug_page}; true if an allocation said EBUSY. */
    private boolean eaugPage(long addr, boolean write, HostTask current) {
        if (!has(INITIALIZED)) {
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "EAUG needs an initialised enclave");
        }
        EnclavePage page = new EnclavePage(this, addr, false, PageType.REG, SecInfo.R | SecInfo.W | SecInfo.X);
        lock.lock();
        try {
            long idx = (addr - base) >>> 12;
            if (pages.get(idx) != null) {
                return false; // created by another flow meanwhile: retry
            }
            EpcPage epc;
            VaPage va;
            try {
                loadSecs(current);
                epc = drv.epc().allocator().allocate(page, Reclaim.SGX_NO_RECLAIM, current);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EBUSY) {
                    return true;
                }
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, e.getMessage());
            }
            try {
                va = grow(Reclaim.SGX_NO_RECLAIM, current);
            } catch (ErrnoException e) {
                freeEpcPage(epc);
                if (e.errno() == Errno.EBUSY) {
                    return true;
                }
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, e.getMessage());
            }
            if (va != null) {
                vaPages.addHead(va);
            }
            pages.insert(idx, page);
            try {
                cpu.eaug(account, epc.frame(), secs.frame, addr);
            } catch (EnclsException e) {
                pages.remove(idx);
                shrink(va);
                freeEpcPage(epc);
                throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, addr, write, "EAUG " + e.getMessage());
            }
            page.publish(epc);
            secsChildCnt++;
            reclaimer().markReclaimable(epc);
            return false;
        } finally {
            lock.unlock();
        }
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
                BackingStore.Slot sb = backing.alloc(secs.backingIndex(), b.contents().memcg);
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
        SgxStatus st = cpu.ewb(account, f, vaf, slot, b.contents().data, b.pcmd().data, b.pcmdOffset());
        if (st == SgxStatus.NOT_TRACKED) {
            cpu.etrack(account, secs.frame);
            st = cpu.ewb(account, f, vaf, slot, b.contents().data, b.pcmd().data, b.pcmdOffset());
            if (st == SgxStatus.NOT_TRACKED) {
                cpu.ipi(account, f);
                st = cpu.ewb(account, f, vaf, slot, b.contents().data, b.pcmd().data, b.pcmdOffset());
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

    private boolean has(int f) {
        return (flags.get() & f) != 0;
    }

    private Reclaimer reclaimer() {
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

    /** Resident state of the page at {@code addr}: its EPCM entry, or null when absent or evicted. */
    public EpcmEntry epcmAt(long addr) {
        if (pages == null) {
            return null;
        }
        EnclavePage p = pages.get((addr - base) >>> 12);
        EpcFrame f = p == null ? null : p.frame;
        return f == null ? null : f.epcmEntry();
    }

    /** True if the enclave has a page (resident or evicted) at {@code addr}. */
    public boolean hasPage(long addr) {
        return pages != null && addr >= base && addr - base < size && pages.get((addr - base) >>> 12) != null;
    }

    // ---- inspection for invariant checkers (changes nothing; call when quiescent) ---------------

    /**
     * The EPCM state of the enclave's page at {@code addr}, whether resident or evicted: a resident
     * page's EPCM entry; for an evicted page the entry EWB saved in its PCMD (valid, not blocked,
     * PENDING/MODIFIED/PR and permissions as they were). Null when the enclave has no page there.
     * Nothing is loaded (no ELDU, no cost): this is the view of a checker, not of the enclave.
     */
    public EpcmEntry inspectPage(long addr) {
        if (pages == null || addr < base || addr - base >= size) {
            return null;
        }
        EnclavePage q = pages.get((addr - base) >>> 12);
        EpcFrame rf = q == null ? null : q.frame;
        if (rf != null) {
            return rf.epcmEntry(); // resident: no lock needed on a quiescent enclave
        }
        lock.lock();
        try {
            EnclavePage p = pages.get((addr - base) >>> 12);
            if (p == null) {
                return null;
            }
            EpcFrame f = p.frame;
            if (f != null) {
                return f.epcmEntry();
            }
            BackingStore.Slot b = backing.lookup(p.backingIndex());
            if (b == null) {
                return null;
            }
            long si = io.jocclum.sgx.arch.Pcmd.secInfoFlags(b.pcmd().data, b.pcmdOffset());
            return new EpcmEntry(true, PageType.fromEncoding((int) ((si >>> 8) & 0xFF)), si & SecInfo.PERM_MASK,
                    (si & SecInfo.PENDING) != 0, (si & SecInfo.MODIFIED) != 0, (si & SecInfo.PR) != 0, false,
                    p.addr, control.eid());
        } finally {
            lock.unlock();
        }
    }

    /**
     * True if the enclave's page at {@code addr} holds only zero bytes (also true when there is no
     * page). A resident page is read without EPCM checks; an evicted one is decrypted from the
     * backing store with the platform's paging key without ELDU (false if it fails its MAC).
     */
    public boolean inspectPageIsZero(long addr) {
        if (pages == null || addr < base || addr - base >= size) {
            return true;
        }
        EnclavePage q = pages.get((addr - base) >>> 12);
        if (q == null) {
            return true;
        }
        EpcFrame rf = q.frame;
        if (rf != null) {
            return rf.contentIsZero();
        }
        lock.lock();
        try {
            EnclavePage p = pages.get((addr - base) >>> 12);
            if (p == null) {
                return true;
            }
            EpcFrame f = p.frame;
            if (f != null) {
                return f.contentIsZero();
            }
            BackingStore.Slot b = backing.lookup(p.backingIndex());
            if (b == null || p.vaPage == null) {
                return false;
            }
            byte[] plain = new byte[4096];
            if (!cpu.inspectEvicted(b.contents().data, b.pcmd().data, b.pcmdOffset(), p.vaPage.epcPage.frame(), p.vaSlot,
                    p.addr, control.eid(), MemorySegment.ofArray(plain))) {
                return false;
            }
            for (byte x : plain) {
                if (x != 0) {
                    return false;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Pages of the enclave (resident or evicted) with a linear address in [start, end). */
    public long countPages(long start, long end) {
        if (pages == null) {
            return 0;
        }
        long from = Math.max(0, start - base) >>> 12;
        long to = (Math.min(size, Math.max(0, end - base)) + 0xFFF) >>> 12;
        long[] n = {0};
        lock.lock();
        try {
            pages.forEachInRange(from, to, p -> n[0]++);
        } finally {
            lock.unlock();
        }
        return n[0];
    }

    /** True if the page at {@code addr} is in the EPC now (false when evicted or absent). */
    public boolean isResident(long addr) {
        if (pages == null || addr < base || addr - base >= size) {
            return false;
        }
        EnclavePage p = pages.get((addr - base) >>> 12);
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
    public long pageCount() {
        lock.lock();
        try {
            return pages == null ? 0 : pages.size();
        } finally {
            lock.unlock();
        }
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

    /**
     * Checks this enclave's structures against the EPCM and each other (run when quiescent):
     * resident pages' EPCM entries, child counts, VA slots of evicted pages, backing pages, LRU tracking.
     */
    public void checkInvariants(Consumer<String> problems) {
        lock.lock();
        try {
            if (!has(CREATED) || has(RELEASED)) {
                return;
            }
            String me = "enclave " + account.name() + ": ";
            int[] resident = {0};
            long[] evicted = {0};
            java.util.Set<Long> usedSlots = new java.util.HashSet<>();
            pages.forEach(p -> {
                if (p.isResident()) {
                    resident[0]++;
                    EpcmEntry e = p.frame.epcmEntry();
                    if (p.frame != p.epcPage.frame()) {
                        problems.accept(me + p + " frame translation does not match its EPC page");
                    }
                    if (!e.valid() || e.linaddr() != p.addr || e.ownerEid() != control.eid() || e.type() != p.type) {
                        problems.accept(me + p + " disagrees with its EPCM entry " + e);
                    }
                    if (p.beingReclaimed || e.blocked()) {
                        problems.accept(me + p + " is being reclaimed while quiescent");
                    }
                    if (p.epcPage.owner() != p) {
                        problems.accept(me + p + " is not the owner of its EPC page");
                    }
                    if (!p.epcPage.isReclaimerTracked()) {
                        problems.accept(me + p + " is resident but not on an LRU");
                    }
                    if (p.vaPage != null) {
                        problems.accept(me + p + " is resident but holds a VA slot");
                    }
                } else {
                    evicted[0]++;
                    checkEvicted(p, usedSlots, problems, me);
                }
            });
            if (!secs.isResident()) {
                checkEvicted(secs, usedSlots, problems, me);
                if (resident[0] != 0) {
                    problems.accept(me + "SECS is evicted but " + resident[0] + " children are resident");
                }
            } else if (secs.frame.secs() == null) {
                problems.accept(me + "SECS frame does not hold a valid SECS");
            } else if (secs.frame.secs().children() != resident[0]) {
                problems.accept(me + "SECS child count " + secs.frame.secs().children() + " != resident pages " + resident[0]);
            }
            if (secsChildCnt != resident[0]) {
                problems.accept(me + "secs_child_cnt " + secsChildCnt + " != resident pages " + resident[0]);
            }
            // sgx_encl_grow adds a VA page whenever page_cnt is a multiple of 512; REMOVE_PAGES lowers
            // page_cnt (sgx_encl_shrink(encl, NULL)) but frees no VA page, so after EAUG/REMOVE cycles
            // an enclave may hold more VA pages than its page count needs, never fewer
            long neededVa = (pageCnt + VaPage.SLOTS - 1) / VaPage.SLOTS;
            if (vaPages.size() < neededVa) {
                problems.accept(me + vaPages.size() + " VA pages for " + pageCnt + " pages, at least " + neededVa + " needed");
            }
            if (pageCnt != pages.size() + 1) {
                problems.accept(me + "page_cnt " + pageCnt + " != pages + SECS " + (pages.size() + 1));
            }
            int[] slotsUsed = {0};
            vaPages.forEach(v -> {
                slotsUsed[0] += v.used();
                EpcmEntry e = v.epcPage.frame().epcmEntry();
                if (!e.valid() || e.type() != PageType.VA) {
                    problems.accept(me + "VA page frame is not a valid VA page: " + e);
                }
                if (v.epcPage.isReclaimerTracked()) {
                    problems.accept(me + "a VA page is on an LRU");
                }
                for (int i = 0; i < VaPage.SLOTS; i++) {
                    long version = v.epcPage.frame().vaSlot(i);
                    if (v.isUsed(i) != (version != 0)) {
                        problems.accept(me + "VA slot " + i + " bitmap says " + v.isUsed(i) + " but version is " + version);
                    }
                }
            });
            if (slotsUsed[0] != usedSlots.size()) {
                problems.accept(me + slotsUsed[0] + " VA slots in use but " + usedSlots.size() + " evicted pages");
            }
            long expectedBacking = 0;
            java.util.Set<Long> pcmdPages = new java.util.HashSet<>();
            for (Long idx : backing.fileIndexes()) {
                if (idx <= (size >>> 12)) {
                    expectedBacking++;
                } else {
                    pcmdPages.add(idx);
                }
            }
            long evictedTotal = evicted[0] + (secs.isResident() ? 0 : 1);
            if (expectedBacking != evictedTotal) {
                problems.accept(me + expectedBacking + " contents pages in the backing store for " + evictedTotal
                        + " evicted pages");
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkEvicted(EnclavePage p, java.util.Set<Long> usedSlots, Consumer<String> problems, String me) {
        if (p.vaPage == null || p.vaSlot < 0) {
            problems.accept(me + p + " is evicted without a VA slot");
            return;
        }
        if (!p.vaPage.isUsed(p.vaSlot)) {
            problems.accept(me + p + " points at a free VA slot");
        }
        if (!usedSlots.add(p.vaPage.epcPage.frame().pfn() * VaPage.SLOTS + p.vaSlot)) {
            problems.accept(me + p + " shares its VA slot with another page");
        }
        if (!backing.hasPage(p.backingIndex()) || !backing.hasPage(backing.pcmdOffset(p.backingIndex()) / 4096)) {
            problems.accept(me + p + " is evicted but its backing pages are missing");
        }
    }

    private static long le(byte[] b, int at, int len) {
        long v = 0;
        for (int i = len - 1; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    @Override
    public String toString() {
        return "Enclave[" + account.name() + ", base=0x" + Long.toHexString(base) + ", size=0x" + Long.toHexString(size)
                + "]";
    }
}
