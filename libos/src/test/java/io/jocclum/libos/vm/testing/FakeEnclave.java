package io.jocclum.libos.vm.testing;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.EpcmView;
import io.jocclum.libos.vm.UserSpaceLayout;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A stand-in for the SGX platform's in-enclave view, for testing and benchmarking the VM without
 * the real hardware model. It keeps an EPCM entry per page with the states the VM goes through:
 * absent; PENDING after the EAUG the driver performs when EACCEPT/EACCEPTCOPY faults on an
 * absent page; valid with R/W/X; PR after EMODPR until EACCEPT; TRIM + MODIFIED after EMODT until
 * EACCEPT; absent again after EREMOVE. Accesses are checked like the CPU does (valid, REG, not
 * PENDING or MODIFIED, permission) and raise {@link EnclaveFault} PAGE_FAULT otherwise; the leaf
 * preconditions of the SDM raise GENERAL_PROTECTION or return the SDM status codes; protocol
 * errors the real driver would reject (EREMOVE of a page not trimmed and accepted) throw
 * IllegalStateException so VM bugs surface. It counts every leaf and OCALL.
 *
 * <p>Not modelled: costs, eviction (EWB/ELDU), cgroups, TCS pages, measurement. An EPC capacity
 * can be set (EAUG beyond it is SIGBUS, as when the driver cannot get a page) and a page can be
 * marked corrupt, as an evicted page whose backing was tampered with: every access or ENCLU leaf
 * on it is an INTEGRITY fault and every SGX2 ioctl reaching it fails with EFAULT (the driver
 * cannot load it), until {@link #repair}.
 *
 * <p>Page contents live in 4 KB frames carved from 1 MB off-heap slabs, allocated on the first
 * non-zero write; a page without a frame reads as zero. Thread-safe: EPCM changes of a 4 MB
 * leaf are serialised on the leaf; accesses read the EPCM without locking (the VM never changes
 * a page's state while accessing it).
 */
public final class FakeEnclave implements EnclaveContext, EpcmView, AutoCloseable {
    private static final int LEAF_PAGES = 1024;
    private static final long VALID = 1L << 63;
    private static final long CORRUPT = 1L << 62;
    private static final long TYPE_MASK = 0xFF00L;
    private static final long REG_TYPE = (long) PageType.REG.encoding() << 8;
    private static final long TRIM_TYPE = (long) PageType.TRIM.encoding() << 8;

    private static final class Leaf {
        final long[] meta = new long[LEAF_PAGES];           // guarded by this for writes
        final MemorySegment[] frames = new MemorySegment[LEAF_PAGES]; // guarded by this for writes
        int valid;                                          // guarded by this
    }

    /** Counts of leaves, OCALLs and faults since creation. */
    public record Counters(long eadd, long eaug, long eaccept, long eacceptcopy, long emodpe, long emodprPages,
                           long emodtPages, long eremovePages, long ocalls, long pageFaults, long validPages) {
    }

    private final long base;
    private final long size;
    private final boolean edmm;
    private final AtomicReferenceArray<Leaf> leaves;
    private final Arena arena = Arena.ofShared();
    private final ConcurrentLinkedQueue<MemorySegment> freeFrames = new ConcurrentLinkedQueue<>();
    private final Object slabLock = new Object();
    private MemorySegment slab;   // guarded by slabLock
    private long slabUsed;        // guarded by slabLock
    private volatile long capacityPages = Long.MAX_VALUE;

    private final AtomicLong eadd = new AtomicLong();
    private final AtomicLong eaug = new AtomicLong();
    private final AtomicLong eaccept = new AtomicLong();
    private final AtomicLong eacceptcopy = new AtomicLong();
    private final AtomicLong emodpe = new AtomicLong();
    private final AtomicLong emodpr = new AtomicLong();
    private final AtomicLong emodt = new AtomicLong();
    private final AtomicLong eremove = new AtomicLong();
    private final AtomicLong ocalls = new AtomicLong();
    private final AtomicLong pageFaults = new AtomicLong();
    private final AtomicLong validPages = new AtomicLong();

    /** An initialised enclave over ELRANGE [base, base + size) with no pages; {@code edmm} = SGX2. */
    public FakeEnclave(long base, long size, boolean edmm) {
        if (!Pages.isAligned(base) || size <= 0 || !Pages.isAligned(size)) {
            throw new IllegalArgumentException("ELRANGE must be page aligned and non-empty: 0x" + Long.toHexString(base) + "+0x" + Long.toHexString(size));
        }
        this.base = base;
        this.size = size;
        this.edmm = edmm;
        this.leaves = new AtomicReferenceArray<>((int) ((size / Pages.SIZE + LEAF_PAGES - 1) / LEAF_PAGES));
    }

    /**
     * An enclave whose ELRANGE covers {@code layout}, with its reserved memory EADDed RWX as the
     * loader does (ReservedMemExecutable = 1). The platform is SGX2 exactly when the layout has
     * a user region, unless {@code sgx2} forces it on.
     */
    public static FakeEnclave forLayout(UserSpaceLayout layout, boolean sgx2) {
        long lo = layout.lowest();
        long hi = layout.highest();
        FakeEnclave f = new FakeEnclave(lo, hi - lo, sgx2 || layout.hasUserRegion());
        if (layout.reservedSize() > 0) {
            f.eadd(layout.reservedBase(), layout.reservedSize(), SecInfo.R | SecInfo.W | SecInfo.X);
        }
        return f;
    }

    /** EADD (at load): the pages become valid REG pages with {@code perms}, zero-filled. */
    public void eadd(long address, long length, long perms) {
        for (long a = address; a < address + length; a += Pages.SIZE) {
            Leaf l = leaf(a, true);
            int i = index(a);
            synchronized (l) {
                if ((l.meta[i] & VALID) != 0) {
                    throw new IllegalStateException("EADD of page 0x" + Long.toHexString(a) + " which is already valid");
                }
                l.meta[i] = VALID | REG_TYPE | perms;
                l.valid++;
            }
            validPages.incrementAndGet();
            eadd.incrementAndGet();
        }
    }

    /** EAUG beyond this many valid pages fails (SIGBUS), as when the driver has no EPC page. */
    public void setCapacityPages(long pages) {
        capacityPages = pages;
    }

    /** The next access to the page at {@code address} fails as an ELDU integrity failure would. */
    public void corrupt(long address) {
        Leaf l = leaf(address, true);
        synchronized (l) {
            l.meta[index(address)] |= CORRUPT;
        }
    }

    /** Undoes {@link #corrupt}: the page is loadable again (the host restored its backing bytes). */
    public void repair(long address) {
        Leaf l = leaf(address, true);
        synchronized (l) {
            l.meta[index(address)] &= ~CORRUPT;
        }
    }

    public Counters counters() {
        return new Counters(eadd.get(), eaug.get(), eaccept.get(), eacceptcopy.get(), emodpe.get(), emodpr.get(), emodt.get(),
                eremove.get(), ocalls.get(), pageFaults.get(), validPages.get());
    }

    // ---- EnclaveContext -------------------------------------------------------------------------

    @Override
    public long base() {
        return base;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean edmm() {
        return edmm;
    }

    private Leaf leaf(long address, boolean create) {
        long off = address - base;
        if (off < 0 || off >= size) {
            if (create) {
                throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, "outside ELRANGE");
            }
            return null;
        }
        int li = (int) (off >>> 22);
        Leaf l = leaves.get(li);
        if (l == null && create) {
            l = new Leaf();
            if (!leaves.compareAndSet(li, null, l)) {
                l = leaves.get(li);
            }
        }
        return l;
    }

    private static int index(long address) {
        return (int) (Pages.index(address) & (LEAF_PAGES - 1));
    }

    private boolean inRange(long address) {
        long off = address - base;
        return off >= 0 && off < size;
    }

    /** The frame of an accessible page (null: zero page, reads only); PAGE_FAULT otherwise. */
    private MemorySegment frame(long address, boolean write) {
        Leaf l = inRange(address) ? leaves.get((int) ((address - base) >>> 22)) : null;
        int i = index(address);
        long m = l == null ? 0 : l.meta[i];
        if ((m & (VALID | TYPE_MASK | SecInfo.PENDING | SecInfo.MODIFIED | CORRUPT)) != (VALID | REG_TYPE)
                || (m & (write ? SecInfo.W : SecInfo.R)) == 0) {
            if ((m & CORRUPT) != 0) {
                throw new EnclaveFault(EnclaveFault.Kind.INTEGRITY, address, write, "page failed its integrity check at ELDU");
            }
            pageFaults.incrementAndGet();
            throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, write, describe(m));
        }
        MemorySegment f = l.frames[i];
        if (f == null && write) {
            synchronized (l) {
                f = l.frames[i];
                if (f == null) {
                    f = allocFrame();
                    l.frames[i] = f;
                }
            }
        }
        return f;
    }

    private static String describe(long m) {
        if ((m & VALID) == 0) {
            return "no EPC page";
        }
        return "EPCM " + new SecInfo(m & 0xFFFFL);
    }

    private MemorySegment allocFrame() {
        MemorySegment f = freeFrames.poll();
        if (f != null) {
            f.fill((byte) 0);
            return f;
        }
        synchronized (slabLock) {
            if (slab == null || slabUsed == slab.byteSize()) {
                slab = arena.allocate(1 << 20, Pages.SIZE);
                slabUsed = 0;
            }
            f = slab.asSlice(slabUsed, Pages.SIZE);
            slabUsed += Pages.SIZE;
            return f;
        }
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        read(address, MemorySegment.ofArray(dst), offset, length);
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        write(address, MemorySegment.ofArray(src), offset, length);
    }

    @Override
    public void read(long address, MemorySegment dst, long dstOffset, long length) {
        long done = 0;
        while (done < length) {
            long a = address + done;
            int in = Pages.offset(a);
            long n = Math.min(length - done, Pages.SIZE - in);
            MemorySegment f = frame(a, false);
            if (f == null) {
                dst.asSlice(dstOffset + done, n).fill((byte) 0);
            } else {
                MemorySegment.copy(f, in, dst, dstOffset + done, n);
            }
            done += n;
        }
    }

    @Override
    public void write(long address, MemorySegment src, long srcOffset, long length) {
        long done = 0;
        while (done < length) {
            long a = address + done;
            int in = Pages.offset(a);
            long n = Math.min(length - done, Pages.SIZE - in);
            MemorySegment.copy(src, srcOffset + done, frame(a, true), in, n);
            done += n;
        }
    }

    @Override
    public void fill(long address, long length, byte value) {
        long done = 0;
        while (done < length) {
            long a = address + done;
            int in = Pages.offset(a);
            long n = Math.min(length - done, Pages.SIZE - in);
            if (value == 0) {
                MemorySegment f = frame(a, false);
                // permission check for a store even when the page has no frame
                frameCheckWrite(a);
                if (f != null) {
                    f.asSlice(in, n).fill((byte) 0);
                }
            } else {
                frame(a, true).asSlice(in, n).fill(value);
            }
            done += n;
        }
    }

    private void frameCheckWrite(long a) {
        Leaf l = leaves.get((int) ((a - base) >>> 22));
        long m = l.meta[index(a)];
        if ((m & SecInfo.W) == 0) {
            pageFaults.incrementAndGet();
            throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, a, true, describe(m));
        }
    }

    @Override
    public byte readByte(long address) {
        MemorySegment f = frame(address, false);
        return f == null ? 0 : f.get(ValueLayout.JAVA_BYTE, Pages.offset(address));
    }

    @Override
    public void writeByte(long address, byte value) {
        frame(address, true).set(ValueLayout.JAVA_BYTE, Pages.offset(address), value);
    }

    @Override
    public int readInt(long address) {
        if (Pages.offset(address) > Pages.SIZE - 4) {
            byte[] b = new byte[4];
            read(address, b, 0, 4);
            return MemorySegment.ofArray(b).get(LittleEndian.INT, 0);
        }
        MemorySegment f = frame(address, false);
        return f == null ? 0 : f.get(LittleEndian.INT, Pages.offset(address));
    }

    @Override
    public void writeInt(long address, int value) {
        if (Pages.offset(address) > Pages.SIZE - 4) {
            byte[] b = new byte[4];
            MemorySegment.ofArray(b).set(LittleEndian.INT, 0, value);
            write(address, b, 0, 4);
            return;
        }
        frame(address, true).set(LittleEndian.INT, Pages.offset(address), value);
    }

    @Override
    public long readLong(long address) {
        if (Pages.offset(address) > Pages.SIZE - 8) {
            byte[] b = new byte[8];
            read(address, b, 0, 8);
            return MemorySegment.ofArray(b).get(LittleEndian.LONG, 0);
        }
        MemorySegment f = frame(address, false);
        return f == null ? 0 : f.get(LittleEndian.LONG, Pages.offset(address));
    }

    @Override
    public void writeLong(long address, long value) {
        if (Pages.offset(address) > Pages.SIZE - 8) {
            byte[] b = new byte[8];
            MemorySegment.ofArray(b).set(LittleEndian.LONG, 0, value);
            write(address, b, 0, 8);
            return;
        }
        frame(address, true).set(LittleEndian.LONG, Pages.offset(address), value);
    }

    // ---- ENCLU ----------------------------------------------------------------------------------

    private void requireSgx2(String leaf, long address) {
        if (!edmm) {
            throw new EnclaveFault(EnclaveFault.Kind.INVALID_OPCODE, address, false, leaf + " needs SGX2");
        }
    }

    private static void requireAligned(long address) {
        if (!Pages.isAligned(address)) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, "address not page aligned");
        }
    }

    /** The driver's #PF path: EAUG a PENDING RW page at an absent address (caller holds the leaf). */
    private void eaugLocked(Leaf l, int i, long address) {
        if (validPages.get() >= capacityPages) {
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, address, false, "no EPC page for EAUG");
        }
        l.meta[i] = VALID | REG_TYPE | SecInfo.R | SecInfo.W | SecInfo.PENDING;
        l.frames[i] = null;
        l.valid++;
        validPages.incrementAndGet();
        eaug.incrementAndGet();
    }

    @Override
    public int eaccept(long address, SecInfo secInfo) {
        requireSgx2("EACCEPT", address);
        requireAligned(address);
        if (secInfo.reservedBitsSet()) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, "reserved SECINFO bits");
        }
        Leaf l = leaf(address, true);
        int i = index(address);
        synchronized (l) {
            long m = l.meta[i];
            requireIntact(m, address, false);
            if ((m & VALID) == 0) {
                eaugLocked(l, i, address);
                m = l.meta[i];
            }
            eaccept.incrementAndGet();
            long state = m & (SecInfo.PENDING | SecInfo.MODIFIED | SecInfo.PR);
            long want = secInfo.flags() & (SecInfo.PENDING | SecInfo.MODIFIED | SecInfo.PR);
            boolean sameType = (m & TYPE_MASK) == (secInfo.flags() & TYPE_MASK);
            boolean samePerms = (m & SecInfo.PERM_MASK) == secInfo.perms();
            if (state == 0 || state != want || !sameType || !samePerms) {
                return SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code();
            }
            l.meta[i] = m & ~(SecInfo.PENDING | SecInfo.MODIFIED | SecInfo.PR);
            return SgxStatus.SUCCESS.code();
        }
    }

    @Override
    public int eacceptcopy(long address, SecInfo secInfo, byte[] source) {
        requireSgx2("EACCEPTCOPY", address);
        requireAligned(address);
        long p = secInfo.perms();
        if (source.length < Pages.SIZE || secInfo.reservedBitsSet() || (p & SecInfo.W) != 0 && (p & SecInfo.R) == 0
                || (secInfo.flags() & TYPE_MASK) != REG_TYPE) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, "bad EACCEPTCOPY operands " + secInfo);
        }
        Leaf l = leaf(address, true);
        int i = index(address);
        synchronized (l) {
            long m = l.meta[i];
            requireIntact(m, address, true);
            if ((m & VALID) == 0) {
                eaugLocked(l, i, address);
                m = l.meta[i];
            }
            eacceptcopy.incrementAndGet();
            if ((m & TYPE_MASK) != REG_TYPE || (m & SecInfo.PENDING) == 0 || (m & (SecInfo.MODIFIED | SecInfo.PR)) != 0
                    || (m & SecInfo.PERM_MASK) != (SecInfo.R | SecInfo.W)) {
                return SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code();
            }
            boolean zero = true;
            for (int k = 0; k < Pages.SIZE && zero; k++) {
                zero = source[k] == 0;
            }
            if (!zero) {
                MemorySegment f = allocFrame();
                MemorySegment.copy(MemorySegment.ofArray(source), 0, f, 0, Pages.SIZE);
                l.frames[i] = f;
            }
            l.meta[i] = VALID | REG_TYPE | p;
            return SgxStatus.SUCCESS.code();
        }
    }

    @Override
    public void emodpe(long address, SecInfo secInfo) {
        requireSgx2("EMODPE", address);
        requireAligned(address);
        Leaf l = leaf(address, true);
        int i = index(address);
        synchronized (l) {
            long m = l.meta[i];
            requireIntact(m, address, false);
            if ((m & VALID) == 0 || (m & (SecInfo.PENDING | SecInfo.MODIFIED)) != 0) {
                pageFaults.incrementAndGet();
                throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, false, "EMODPE: " + describe(m));
            }
            if ((m & TYPE_MASK) != REG_TYPE) {
                throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, "EMODPE of a non-REG page");
            }
            l.meta[i] = m | secInfo.perms();
            emodpe.incrementAndGet();
        }
    }

    @Override
    public byte[] ereport(byte[] targetInfo, byte[] reportData) {
        throw new UnsupportedOperationException("the fake enclave has no EREPORT");
    }

    @Override
    public byte[] egetkey(byte[] keyRequest) {
        throw new UnsupportedOperationException("the fake enclave has no EGETKEY");
    }

    // ---- OCALLs: the driver's SGX2 ioctls ---------------------------------------------------------

    private void requireRange(long address, long length) {
        if (!Pages.isAligned(address) || !Pages.isAligned(length) || length <= 0 || !inRange(address) || !inRange(address + length - 1)) {
            throw new IllegalStateException("driver ioctl with a bad range 0x" + Long.toHexString(address) + "+0x" + Long.toHexString(length));
        }
    }

    /**
     * The driver loads an evicted page before EMODPR/EMODT/EREMOVE; a corrupt page fails ELDU and
     * the ioctl stops there with EFAULT (the pages before it are done), as on the real platform.
     */
    private static void requireLoadable(long m, long address, String ioctl) {
        if ((m & CORRUPT) != 0) {
            throw Errno.EFAULT.exception(ioctl + " at 0x" + Long.toHexString(address) + ": ELDU failed the integrity check");
        }
    }

    /** An ENCLU leaf on a page the driver cannot load: the #PF handler's ELDU fails (SIGBUS in Linux). */
    private static void requireIntact(long m, long address, boolean write) {
        if ((m & CORRUPT) != 0) {
            throw new EnclaveFault(EnclaveFault.Kind.INTEGRITY, address, write, "page failed its integrity check at ELDU");
        }
    }

    @Override
    public void restrictPermissions(long address, long length, long perms) {
        requireSgx2("EMODPR", address);
        requireRange(address, length);
        ocalls.incrementAndGet();
        for (long a = address; a < address + length; a += Pages.SIZE) {
            Leaf l = leaf(a, true);
            int i = index(a);
            synchronized (l) {
                long m = l.meta[i];
                requireLoadable(m, a, "SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS");
                if ((m & VALID) == 0 || (m & TYPE_MASK) != REG_TYPE || (m & (SecInfo.PENDING | SecInfo.MODIFIED)) != 0) {
                    throw new IllegalStateException("SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS on page 0x" + Long.toHexString(a) + " in state " + describe(m));
                }
                l.meta[i] = (m & ~SecInfo.PERM_MASK) | (m & perms & SecInfo.PERM_MASK) | SecInfo.PR;
                emodpr.incrementAndGet();
            }
        }
    }

    @Override
    public void modifyTypes(long address, long length, PageType type) {
        requireSgx2("EMODT", address);
        requireRange(address, length);
        if (type != PageType.TRIM && type != PageType.TCS) {
            throw new IllegalStateException("SGX_IOC_ENCLAVE_MODIFY_TYPES to " + type + " (only TRIM and TCS)");
        }
        ocalls.incrementAndGet();
        for (long a = address; a < address + length; a += Pages.SIZE) {
            Leaf l = leaf(a, true);
            int i = index(a);
            synchronized (l) {
                long m = l.meta[i];
                requireLoadable(m, a, "SGX_IOC_ENCLAVE_MODIFY_TYPES");
                if ((m & VALID) == 0 || (m & TYPE_MASK) != REG_TYPE || (m & (SecInfo.PENDING | SecInfo.MODIFIED | SecInfo.PR)) != 0) {
                    throw new IllegalStateException("SGX_IOC_ENCLAVE_MODIFY_TYPES on page 0x" + Long.toHexString(a) + " in state " + describe(m));
                }
                l.meta[i] = VALID | ((long) type.encoding() << 8) | SecInfo.MODIFIED;
                emodt.incrementAndGet();
            }
        }
    }

    @Override
    public void removePages(long address, long length) {
        requireSgx2("EREMOVE", address);
        requireRange(address, length);
        ocalls.incrementAndGet();
        for (long a = address; a < address + length; a += Pages.SIZE) {
            Leaf l = leaf(a, true);
            int i = index(a);
            synchronized (l) {
                long m = l.meta[i];
                requireLoadable(m, a, "SGX_IOC_ENCLAVE_REMOVE_PAGES");
                if ((m & VALID) == 0 || (m & TYPE_MASK) != TRIM_TYPE || (m & SecInfo.MODIFIED) != 0) {
                    throw new IllegalStateException("SGX_IOC_ENCLAVE_REMOVE_PAGES on page 0x" + Long.toHexString(a)
                            + " that is not trimmed and accepted: " + describe(m));
                }
                l.meta[i] = 0;
                MemorySegment f = l.frames[i];
                l.frames[i] = null;
                if (f != null) {
                    freeFrames.add(f);
                }
                l.valid--;
                validPages.decrementAndGet();
                eremove.incrementAndGet();
            }
        }
    }

    @Override
    public void ocall(long bytes) {
        ocalls.incrementAndGet();
    }

    // ---- EpcmView ---------------------------------------------------------------------------------

    @Override
    public Entry entry(long address) {
        Leaf l = leaf(address, false);
        if (l == null) {
            return Entry.ABSENT;
        }
        synchronized (l) {
            long m = l.meta[index(address)];
            return (m & VALID) == 0 ? Entry.ABSENT : new Entry(true, new SecInfo(m & 0xFFFFL));
        }
    }

    @Override
    public boolean pageIsZero(long address) {
        Leaf l = leaf(address, false);
        if (l == null) {
            return true;
        }
        MemorySegment f;
        synchronized (l) {
            f = l.frames[index(address)];
        }
        if (f == null) {
            return true;
        }
        for (long o = 0; o < Pages.SIZE; o += 8) {
            if (f.get(ValueLayout.JAVA_LONG_UNALIGNED, o) != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long countValid(long start, long end) {
        long n = 0;
        long a = start;
        while (a < end) {
            long leafStart = base + (((a - base) >>> 22) << 22);
            long leafEnd = leafStart + Pages.bytes(LEAF_PAGES);
            Leaf l = leaf(a, false);
            if (l != null) {
                synchronized (l) {
                    if (a == leafStart && end >= leafEnd) {
                        n += l.valid;
                    } else {
                        for (long x = a; x < Math.min(end, leafEnd); x += Pages.SIZE) {
                            if ((l.meta[index(x)] & VALID) != 0) {
                                n++;
                            }
                        }
                    }
                }
            }
            a = leafEnd;
        }
        return n;
    }

    /** Frees the page storage. */
    @Override
    public void close() {
        arena.close();
    }
}
