package io.jocclum.sgx.enclave;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveControl;
import io.jocclum.sgx.cpu.EnclsException;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.epc.EpcAllocator;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaim;

import java.lang.foreign.MemorySegment;

/**
 * The enclave ioctls of the Linux SGX driver (arch/x86/kernel/cpu/sgx/ioctl.c) on one {@link Enclave}:
 * SGX_IOC_ENCLAVE_CREATE, ADD_PAGES, INIT and PROVISION, and the SGX2 RESTRICT_PERMISSIONS,
 * MODIFY_TYPES and REMOVE_PAGES.
 *
 * <p>Design: each method follows its ioctl.c function line by line (argument checks and errnos, the
 * order of allocations, the unwinding). The state they change is the enclave's, under its
 * {@code lock}; the SGX2 ioctls load evicted pages through {@link EnclaveFaults#loadPage}, as
 * ioctl.c calls {@code sgx_encl_load_page} of encl.c.
 */
final class EnclaveIoctls {
    private final Enclave encl;
    /**
     * Pages the page loop of the SGX2 ioctls has prefetched ({@link PageTable#prefetch}), for
     * tests; written under the enclave lock, once per prefetched stretch.
     */
    private long prefetchedPages;

    EnclaveIoctls(Enclave encl) {
        this.encl = encl;
    }

    /** {@code sgx_ioc_enclave_create}: see {@link Enclave#create}. */
    void create(byte[] secsBytes, HostTask current) {
        if (encl.has(Enclave.CREATED)) {
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
        encl.size = s.size();
        encl.base = s.baseAddr();
        VaPage va = encl.grow(Reclaim.SGX_DO_RECLAIM, current);
        encl.lock.lock();
        try {
            if (va != null) {
                encl.vaPages.addHead(va);
            }
            encl.backing = new BackingStore(s.size(), encl.drv.shmem());
        } finally {
            encl.lock.unlock();
        }
        EpcPage secsEpc;
        try {
            secsEpc = encl.drv.epc().allocator().allocate(encl.secs, Reclaim.SGX_DO_RECLAIM, current);
        } catch (ErrnoException e) {
            encl.shrink(va);
            throw e;
        }
        EnclaveControl c;
        try {
            c = encl.cpu.ecreate(encl.account, secsEpc.frame(), raw, new SecInfo(0));
        } catch (EnclsException e) {
            encl.freeEpcPage(secsEpc);
            encl.shrink(va);
            throw Errno.EIO.exception("ECREATE " + e.getMessage());
        }
        encl.lock.lock();
        try {
            encl.secs.publish(secsEpc);
            encl.control = c;
            encl.pages = new PageTable(Pages.count(s.size()));
            encl.attributes = s.attributes().flags();
            encl.attributesMask = Enclave.SGX_ATTR_UNPRIV_MASK;
            if (s.attributes().has(Attributes.DEBUG)) {
                encl.flags.getAndUpdate(f -> f | Enclave.DEBUG);
            }
            if (encl.mmList.isEmpty()) {
                encl.mmList.add(encl.owner().mm());   // the creator maps the enclave (sgx_encl_mm_add)
                encl.refcount.incrementAndGet();
            }
            encl.flags.getAndUpdate(f -> f | Enclave.CREATED);
        } finally {
            encl.lock.unlock();
        }
    }

    /** {@code sgx_ioc_enclave_add_pages}: see {@link Enclave#addPages}. */
    IoctlOutcome addPages(MemorySegment src, long offset, long length, SecInfo secInfo, long flagsArg,
                          HostTask current) {
        if (!encl.has(Enclave.CREATED) || encl.has(Enclave.INITIALIZED)) {
            return new IoctlOutcome(-1, 0, Errno.EINVAL);
        }
        if (src == null) {
            return new IoctlOutcome(-1, 0, Errno.EFAULT);
        }
        if (!Pages.isAligned(src.address())) {
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
        for (c = 0; c < length; c += Pages.SIZE) {
            if (current.signalPending()) {
                if (c == 0) {
                    ret = Errno.ERESTARTSYS;
                }
                break;
            }
            if (src.byteSize() < c + Pages.SIZE) {
                ret = Errno.EFAULT; // get_user_pages() of the source failed
                break;
            }
            try {
                addPage(src.asSlice(c, Pages.SIZE), offset + c, secInfo, flagsArg, current);
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
        EnclavePage page = new EnclavePage(encl, encl.base + offset, false, type, prot);
        EpcAllocator alloc = encl.drv.epc().allocator();
        EpcPage epc = alloc.allocate(page, Reclaim.SGX_DO_RECLAIM, current);
        VaPage va;
        try {
            va = encl.grow(Reclaim.SGX_DO_RECLAIM, current);
        } catch (ErrnoException e) {
            encl.freeEpcPage(epc);
            throw e;
        }
        encl.lock.lock();
        try {
            if (va != null) {
                encl.vaPages.addHead(va);
            }
            long idx = Pages.index(offset);
            if (!encl.pages.insert(idx, page)) {
                encl.shrink(va);
                encl.freeEpcPage(epc);
                throw Errno.EBUSY.exception("page at offset 0x" + Long.toHexString(offset) + " already added");
            }
            try {
                encl.cpu.eadd(encl.account, epc.frame(), encl.secs.frame, page.addr, secInfo, src);
            } catch (EnclsException e) {
                encl.pages.remove(idx);
                encl.shrink(va);
                encl.freeEpcPage(epc);
                throw Errno.EIO.exception("EADD " + e.getMessage());
            }
            page.publish(epc);
            encl.secsChildCnt++;
            if ((flagsArg & Enclave.SGX_PAGE_MEASURE) != 0) {
                try {
                    for (int off = 0; off < Pages.SIZE; off += 256) {
                        encl.cpu.eextend(encl.account, encl.secs.frame, epc.frame(), off);
                    }
                } catch (EnclsException e) {
                    encl.pages.remove(idx);
                    page.publish(null);
                    encl.secsChildCnt--;
                    encl.shrink(va);
                    encl.freeEpcPage(epc);
                    throw Errno.EIO.exception("EEXTEND " + e.getMessage());
                }
            }
            encl.reclaimer().markReclaimable(epc);
        } finally {
            encl.lock.unlock();
        }
    }

    /** {@code sgx_ioc_enclave_init}: see {@link Enclave#init}. */
    void init(byte[] sigstruct, byte[] token, HostTask current) {
        if (!encl.has(Enclave.CREATED) || encl.has(Enclave.INITIALIZED)) {
            throw Errno.EINVAL.exception("enclave not created or already initialised");
        }
        if (sigstruct == null || sigstruct.length < 1808) {
            throw Errno.EFAULT.exception("SIGSTRUCT shorter than 1808 bytes");
        }
        long vendor = LittleEndian.get(sigstruct, 16, 4);
        if (vendor != 0x0000 && vendor != 0x8086) {
            throw Errno.EINVAL.exception("SIGSTRUCT.VENDOR 0x" + Long.toHexString(vendor) + " is neither 0 nor 0x8086");
        }
        if ((encl.attributes & ~encl.attributesMask) != 0) {
            throw Errno.EACCES.exception("attributes 0x" + Long.toHexString(encl.attributes & ~encl.attributesMask)
                    + " not allowed (PROVISIONKEY needs SGX_IOC_ENCLAVE_PROVISION)");
        }
        long reservedAttrs = ~encl.cpu.features().allowedAttributes();
        long reservedXfrm = ~encl.cpu.features().allowedXfrm();
        long reservedMisc = ~(long) encl.cpu.features().allowedMiscSelect() & 0xFFFFFFFFL;
        if ((LittleEndian.getLong(sigstruct, 928) & LittleEndian.getLong(sigstruct, 944) & reservedAttrs) != 0
                || (LittleEndian.get(sigstruct, 900, 4) & LittleEndian.get(sigstruct, 904, 4) & reservedMisc) != 0
                || (LittleEndian.getLong(sigstruct, 936) & LittleEndian.getLong(sigstruct, 952) & reservedXfrm) != 0) {
            throw Errno.EINVAL.exception("SIGSTRUCT requires attributes this platform reserves");
        }
        encl.lock.lock();
        try {
            SgxStatus st;
            try {
                st = encl.cpu.einit(encl.account, java.util.Arrays.copyOf(sigstruct, 1808), encl.secs.frame, token);
            } catch (EnclsException e) {
                throw Errno.EIO.exception("EINIT " + e.getMessage());
            }
            if (st != SgxStatus.SUCCESS) {
                throw Errno.EPERM.exception("EINIT returned " + st);
            }
            encl.flags.getAndUpdate(f -> f | Enclave.INITIALIZED);
        } finally {
            encl.lock.unlock();
        }
    }

    /** {@code sgx_ioc_enclave_provision}: see {@link Enclave#allowProvisioning}. */
    void allowProvisioning() {
        encl.lock.lock();
        try {
            encl.attributesMask |= Attributes.PROVISIONKEY;
        } finally {
            encl.lock.unlock();
        }
    }

    /** {@code sgx_ioc_enclave_restrict_permissions}: see {@link Enclave#restrictPermissions}. */
    IoctlOutcome restrictPermissions(long offset, long length, long permissions, long result, long count,
                                     HostTask current) {
        Errno e = sgx2Ready(offset, length);
        if (e == null && ((permissions & ~SecInfo.PERM_MASK) != 0
                || ((permissions & SecInfo.W) != 0 && (permissions & SecInfo.R) == 0) || result != 0 || count != 0)) {
            e = Errno.EINVAL;
        }
        if (e != null) {
            return new IoctlOutcome(count, result, e);
        }
        SecInfo si = new SecInfo(permissions & SecInfo.PERM_MASK);
        return forEachPage(offset, length, current, (entry, addr, c) -> {
            if (entry.type != PageType.REG) {
                return new IoctlOutcome(c, 0, Errno.EINVAL);
            }
            SgxStatus st;
            try {
                st = encl.cpu.emodpr(encl.account, entry.frame, si);
            } catch (EnclsException ex) {
                return new IoctlOutcome(c, 0, Errno.EFAULT);
            }
            if (st != SgxStatus.SUCCESS) {
                return new IoctlOutcome(c, st.code(), Errno.EFAULT);
            }
            etrack(entry.frame);
            return null;
        });
    }

    /** {@code sgx_ioc_enclave_modify_types}: see {@link Enclave#modifyTypes}. */
    IoctlOutcome modifyTypes(long offset, long length, long pageType, long result, long count, HostTask current) {
        Errno e = sgx2Ready(offset, length);
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
        return forEachPage(offset, length, current, (entry, addr, c) -> {
            if (!(entry.type == PageType.REG || (entry.type == PageType.TCS && newType == PageType.TRIM))) {
                return new IoctlOutcome(c, 0, Errno.EINVAL);
            }
            long maxProtRestore = entry.vmMaxProt;
            if (entry.type == PageType.REG && newType == PageType.TCS) {
                if ((~entry.vmMaxProt & (SecInfo.R | SecInfo.W)) != 0) {
                    return new IoctlOutcome(c, 0, Errno.EPERM);
                }
                entry.vmMaxProt = SecInfo.R | SecInfo.W;
                if (!encl.reclaimer().unmarkReclaimable(entry.epcPage)) {
                    entry.vmMaxProt = maxProtRestore;
                    return new IoctlOutcome(c, 0, Errno.EAGAIN);
                }
                entry.frame.fence();   // sgx_zap_enclave_ptes
                entry.frame.unfence();
                encl.reclaimer().markReclaimable(entry.epcPage);
            }
            SgxStatus st;
            try {
                st = encl.cpu.emodt(encl.account, entry.frame, si);
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
            return null;
        });
    }

    /** {@code sgx_ioc_enclave_remove_pages}: see {@link Enclave#removePages}. */
    IoctlOutcome removePages(long offset, long length, long count, HostTask current) {
        Errno e = sgx2Ready(offset, length);
        if (e == null && count != 0) {
            e = Errno.EINVAL;
        }
        if (e != null) {
            return new IoctlOutcome(count, 0, e);
        }
        SecInfo rwx = new SecInfo(SecInfo.R | SecInfo.W | SecInfo.X);
        FreeRun freed = new FreeRun();
        return forEachPage(offset, length, current, freed, (entry, addr, c) -> {
            if (entry.type != PageType.TRIM) {
                return new IoctlOutcome(c, 0, Errno.EPERM);
            }
            // EMODPR is a no-op probe: #PF once the trimmed page is accepted
            boolean pageFault;
            try {
                pageFault = encl.cpu.emodprFaults(encl.account, entry.frame, rwx);
            } catch (EnclsException ex) {
                pageFault = ex.trap() == EnclsException.Trap.PF;
            }
            if (!pageFault) {
                return new IoctlOutcome(c, 0, Errno.EPERM);
            }
            if (!encl.reclaimer().unmarkReclaimable(entry.epcPage)) {
                return new IoctlOutcome(c, 0, Errno.EBUSY);
            }
            EpcPage epc = entry.epcPage;
            entry.publish(null);
            freed.add(epc);
            encl.secsChildCnt--;
            encl.pages.remove(Pages.index(addr - encl.base));
            return null;
        });
    }

    /**
     * The tail of {@code sgx_encl_free_epc_page} and {@code sgx_encl_shrink} for the pages REMOVE_PAGES
     * removes under one acquisition of the lock: each page is EREMOVEd at once; the frees to the EPC
     * free list (in the same order) and the enclave's page count follow as one step before the lock
     * is dropped ({@link #forEachPage}), which keeps the lock for a run only while the EPC is plentiful.
     */
    private final class FreeRun implements Runnable {
        private final EpcPage[] pages = new EpcPage[LOCK_RUN_PAGES];
        private int toFree;
        private int removed;

        void add(EpcPage p) {
            if (encl.eremoveToFree(p)) {
                pages[toFree++] = p;
            }
            removed++;
        }

        @Override
        public void run() {
            encl.drv.epc().allocator().freeAll(pages, toFree);
            java.util.Arrays.fill(pages, 0, toFree, null);
            toFree = 0;
            encl.shrinkPages(removed);
            removed = 0;
        }
    }

    /** One page's step of an SGX2 ioctl, under the lock: null to go on, else the outcome to stop with. */
    @FunctionalInterface
    private interface PageStep {
        IoctlOutcome apply(EnclavePage entry, long addr, long count);
    }

    /** Pages an SGX2 ioctl handles under one acquisition of the enclave lock, at most. */
    static final int LOCK_RUN_PAGES = 64;

    /**
     * The page loop of the SGX2 ioctls: for each page of [offset, offset + length), direct reclaim,
     * then under the lock {@code sgx_encl_load_page} and {@code step}. An error stops the loop with
     * EAGAIN when the page was being reclaimed (EBUSY), else EFAULT, and the count done so far.
     *
     * <p>ioctl.c takes and drops the lock around each page; here the lock is kept from one page to
     * the next (at most {@value #LOCK_RUN_PAGES} pages) while direct reclaim would have nothing to do
     * ({@link EpcAllocator#directReclaimIdle}): the same steps, in fewer lock acquisitions. The
     * leaves' charges are deferred to the end of the loop ({@link io.jocclum.sgx.cost.CostAccount#deferCharges}).
     * The state of each stretch of {@value #LOCK_RUN_PAGES} pages is loaded at once when the loop
     * reaches it ({@link PageTable#prefetch}), so that their cache misses overlap: once per stretch,
     * also when direct reclaim has work and the lock is taken again for every page.
     */
    private IoctlOutcome forEachPage(long offset, long length, HostTask current, PageStep step) {
        return forEachPage(offset, length, current, null, step);
    }

    /**
     * {@link #forEachPage(long, long, HostTask, PageStep)} that runs {@code beforeUnlock} (if not
     * null) each time it is about to drop the enclave lock: the end of the steps of one run.
     */
    private IoctlOutcome forEachPage(long offset, long length, HostTask current, Runnable beforeUnlock, PageStep step) {
        boolean deferred = encl.account.deferCharges(); // the leaves' charges, added once per event at the end
        try {
            return forEachPage0(offset, length, current, beforeUnlock, step);
        } finally {
            if (deferred) {
                encl.account.addDeferred();
            }
        }
    }

    private IoctlOutcome forEachPage0(long offset, long length, HostTask current, Runnable beforeUnlock, PageStep step) {
        EpcAllocator alloc = encl.drv.epc().allocator();
        long c;
        boolean locked = false;
        int held = 0;
        long prefetched = 0; // the pages below offset + prefetched were prefetched
        try {
            for (c = 0; c < length; c += Pages.SIZE) {
                long addr = encl.base + offset + c;
                if (!locked || held == LOCK_RUN_PAGES || !alloc.directReclaimIdle()) {
                    if (locked) {
                        unlock(beforeUnlock);
                        locked = false;
                    }
                    alloc.reclaimDirect(current);
                    encl.lock.lock();
                    locked = true;
                    held = 0;
                }
                if (c == prefetched) {
                    int n = (int) Math.min(LOCK_RUN_PAGES, (length - c) / Pages.SIZE);
                    encl.pages.prefetch(Pages.index(offset + c), n);
                    prefetched += Pages.bytes(n);
                    prefetchedPages += n;
                }
                held++;
                try {
                    IoctlOutcome stop = step.apply(encl.faults.loadPage(addr, current), addr, c);
                    if (stop != null) {
                        return stop;
                    }
                } catch (ErrnoException ex) {
                    return new IoctlOutcome(c, 0, ex.errno() == Errno.EBUSY ? Errno.EAGAIN : Errno.EFAULT);
                }
            }
        } finally {
            if (locked) {
                unlock(beforeUnlock);
            }
        }
        return IoctlOutcome.ok(c);
    }

    /** See {@link #prefetchedPages}. */
    long prefetchedPages() {
        encl.lock.lock();
        try {
            return prefetchedPages;
        } finally {
            encl.lock.unlock();
        }
    }

    private void unlock(Runnable beforeUnlock) {
        try {
            if (beforeUnlock != null) {
                beforeUnlock.run();
            }
        } finally {
            encl.lock.unlock();
        }
    }

    /** The checks every SGX2 ioctl starts with: an SGX2 CPU, an initialised enclave, a valid range. */
    private Errno sgx2Ready(long offset, long length) {
        if (!encl.cpu.sgx2()) {
            return Errno.ENODEV;
        }
        if (!encl.has(Enclave.INITIALIZED)) {
            return Errno.EINVAL;
        }
        return validateOffsetLength(offset, length);
    }

    /** {@code sgx_validate_offset_length}. */
    private Errno validateOffsetLength(long offset, long length) {
        if (!Pages.isAligned(offset)) {
            return Errno.EINVAL;
        }
        if (length == 0 || !Pages.isAligned(length)) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(offset + length, offset) < 0) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(offset + length - Pages.SIZE, encl.size) >= 0) {
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
        encl.cpu.etrack(encl.account, encl.secs.frame);
        boolean waited = page.fence();
        page.unfence();
        if (waited) {
            encl.account.charge(CostEvent.AEX);
            encl.account.charge(CostEvent.ERESUME);
        }
    }

}
