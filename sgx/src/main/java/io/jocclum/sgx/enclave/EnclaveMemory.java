package io.jocclum.sgx.enclave;

import io.jocclum.api.Errno;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveControl;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.HostPagePool;
import io.jocclum.sgx.cpu.SgxCpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.function.LongToIntFunction;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-enclave view of an initialised enclave: what the LibOS runs against.
 *
 * <p>Design: an access translates the address through the enclave's page table (a lock-free radix
 * lookup) to the page's current EPC frame, pins the frame (which also checks the EPCM entry), copies
 * and unpins: no lock and no map lookup on a resident page. A missing, evicted or being-evicted page
 * takes the driver's fault path ({@link EnclaveFaults#handleFault}: ELDU, or EAUG on SGX2) and the
 * access is retried; an EPCM violation is a #PF for the enclave. Accesses spanning pages pin up to
 * {@value #RUN} pages at a time and copy each stretch of them whose host pages are adjacent in one
 * slab of the host page pool with one copy (see {@link #eachPage}). The ENCLU leaves translate
 * their operand the same way. The SGX2 OCALLs issue the driver's ioctls as the untrusted runtime does, resuming after partial
 * progress and retrying EAGAIN (a page being reclaimed) and REMOVE_PAGES' EBUSY (a page isolated
 * by the reclaimer), as the SGX SDK's {@code trim_range_commit} loop does.
 *
 * <p>Thread-safe; {@code ocallLock} serialises the runtime's ioctls (the driver allows one at a time).
 */
final class EnclaveMemory implements EnclaveContext {
    /** Pages pinned at once by a multi-page access (see {@link #eachPage}). */
    private static final int RUN = 16;

    private final Enclave encl;
    private final HostTask task;
    private final SgxCpu cpu;
    private final CostAccount account;
    private final PageTable pages;
    private final long base;
    private final long size;
    private final long eid;
    private final ReentrantLock ocallLock = new ReentrantLock();

    EnclaveMemory(Enclave encl, HostTask task) {
        this.encl = encl;
        this.task = task;
        this.cpu = encl.cpu();
        this.account = encl.account();
        this.pages = encl.pages();
        this.base = encl.base();
        this.size = encl.size();
        this.eid = encl.control().eid();
    }

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
        return cpu.sgx2();
    }

    // ---- translation ---------------------------------------------------------------------------

    private void checkRange(long address, long length, boolean write) {
        if (length < 0 || address < base || address - base > size || length > size - (address - base)) {
            throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, write,
                    "access of " + length + " bytes outside ELRANGE [0x" + Long.toHexString(base) + ", 0x"
                            + Long.toHexString(base + size) + ")");
        }
    }

    /** A pinned frame whose EPCM allows the access at {@code address}. */
    private EpcFrame pin(long address, boolean write) {
        for (;;) {
            EpcFrame f = tryPin(address, write, true);
            if (f != null) {
                return f;
            }
            encl.faults.handleFault(address, write, task);
        }
    }

    /**
     * The frame of the page at {@code address}, pinned, if it is present and its EPCM allows the
     * access; null when the access needs the fault path (page absent, evicted or being evicted),
     * or, with {@code wait} false, when the frame is fenced for a moment.
     */
    private EpcFrame tryPin(long address, boolean write, boolean wait) {
        return tryPin(pages.get(Pages.index(address - base)), address, write, wait);
    }

    /** {@link #tryPin(long, boolean, boolean)} of page {@code p} (null: not in the page table), the page at {@code address}. */
    private EpcFrame tryPin(EnclavePage p, long address, boolean write, boolean wait) {
        if (p == null) {
            return null;
        }
        EpcFrame f = p.frame;
        boolean pinned;
        try {
            pinned = f != null && f.pinForAccess(eid, address, write, wait);
        } catch (EnclaveFault epcmFault) {
            account.charge(CostEvent.AEX); // the #PF exits the enclave to the LibOS's handler
            throw epcmFault;
        }
        if (!pinned) {
            return null;
        }
        if (!p.young) {
            p.young = true;
        }
        return f;
    }

    /** A pinned frame holding the page at {@code address} (any EPCM state): an ENCLU operand. */
    private EpcFrame pinOwned(long address, boolean write) {
        checkRange(address, 1, write);
        long pageAddr = Pages.down(address);
        long idx = Pages.index(address - base);
        for (;;) {
            EnclavePage p = pages.get(idx);
            if (p != null) {
                EpcFrame f = p.frame;
                if (f != null && f.pinOwned(eid, pageAddr)) {
                    return f;
                }
            }
            encl.faults.handleFault(address, write, task);
        }
    }

    // ---- memory ----------------------------------------------------------------------------------

    /**
     * A copy between host memory and the caller: {@code n} bytes at {@code at} of {@code host} (a
     * slab of the host page pool, or the page of zeros for a read of a never-written page), and the
     * caller's side at {@code off} of {@code buf} (a {@code byte[]}, a {@link MemorySegment}, or
     * for a fill the {@code Byte} value). The implementations below capture nothing, so an access
     * allocates nothing.
     */
    @FunctionalInterface
    private interface PageAccess {
        void access(MemorySegment host, long at, Object buf, long off, int n);
    }

    private static final PageAccess READ_ARRAY = (h, at, buf, off, n) ->
            MemorySegment.copy(h, ValueLayout.JAVA_BYTE, at, (byte[]) buf, (int) off, n);
    private static final PageAccess WRITE_ARRAY = (h, at, buf, off, n) ->
            MemorySegment.copy((byte[]) buf, (int) off, h, ValueLayout.JAVA_BYTE, at, n);
    private static final PageAccess READ_SEGMENT = (h, at, buf, off, n) ->
            MemorySegment.copy(h, at, (MemorySegment) buf, off, n);
    private static final PageAccess WRITE_SEGMENT = (h, at, buf, off, n) ->
            MemorySegment.copy((MemorySegment) buf, off, h, at, n);
    private static final PageAccess FILL = (h, at, buf, off, n) -> h.asSlice(at, n).fill((Byte) buf);

    /**
     * One page's part of an access through the pinned frame {@code f}: {@code n} bytes from
     * {@code in} within the page. With {@code materialize} false a frame that was never written has
     * no host page: a read reads zeros, a fill (of zeros) stores nothing.
     */
    private static void accessPage(EpcFrame f, int in, boolean write, boolean materialize, PageAccess op,
                                   Object buf, long off, int n) {
        HostPagePool.Page p = f.pinnedPage(materialize);
        if (p != null) {
            op.access(p.slab(), p.offset() + in, buf, off, n);
        } else if (!write) {
            op.access(f.zeroPage(), in, buf, off, n);
        }
    }

    /**
     * An access of {@code length} bytes at {@code address}, page by page: each page's frame is pinned
     * for {@code op} (faulting the page in when needed) and unpinned after it; the caller's side
     * advances from {@code off} of {@code buf}. {@code materialize}: give a never-written frame its
     * host page (a store of data; false for reads and fills of zeros).
     *
     * <p>An access of several pages pins up to {@value #RUN} present pages ahead, then copies them
     * all, then unpins them: a pin and an unpin are atomic updates, and an atomic update waits
     * until the CPU's earlier stores are done, so pinning and unpinning between the pages' copies
     * would stall every copy. Pinned pages whose host pages lie one after the other in one slab of
     * the host page pool are copied with one copy. A page that needs the fault path is taken alone,
     * with nothing else pinned (the fault handler may have to evict a page to make room), and so is
     * a page whose frame is fenced while others are pinned. An EPCM violation at a page ends the
     * access after the pages before it, as a fault in the middle of a copy does.
     */
    private void eachPage(long address, long length, boolean write, boolean materialize, PageAccess op, Object buf,
                          long off) {
        checkRange(address, length, write);
        int first = Pages.offset(address);
        if (length <= Pages.SIZE - first) {
            if (length > 0) {
                EpcFrame f = pin(address, write);
                try {
                    accessPage(f, first, write, materialize, op, buf, off, (int) length);
                } finally {
                    f.unpin();
                }
            }
            return;
        }
        EpcFrame[] run = new EpcFrame[(int) Math.min(RUN, Pages.countUp(first + length))];
        long done = 0;
        while (done < length) {
            int k = 0;
            long ahead = done;
            EnclaveFault violation = null;
            Object[] leaf = null;
            long leafOf = -1;
            try {
                while (k < run.length && ahead < length) {
                    long at = address + ahead;
                    long index = Pages.index(at - base);
                    if (leafOf < 0 || !PageTable.sameLeaf(index, leafOf)) {
                        leaf = pages.leaf(index);
                        leafOf = index;
                    }
                    // with frames pinned, a fenced frame is not waited for (its fencer may wait for ours)
                    EpcFrame f = tryPin(leaf == null ? null : PageTable.entry(leaf, index), at, write, k == 0);
                    if (f == null) {
                        break;
                    }
                    run[k++] = f;
                    ahead += Math.min(length - ahead, Pages.SIZE - Pages.offset(at));
                }
            } catch (EnclaveFault e) {
                violation = e;
            }
            if (k == 0 && violation == null) {
                // the next page needs the fault path: alone, nothing else pinned
                long at = address + done;
                int n = (int) Math.min(length - done, Pages.SIZE - Pages.offset(at));
                EpcFrame f = pin(at, write);
                try {
                    accessPage(f, Pages.offset(at), write, materialize, op, buf, off + done, n);
                } finally {
                    f.unpin();
                }
                done += n;
                continue;
            }
            try {
                done = copyRun(run, k, address, done, length, write, materialize, op, buf, off);
            } finally {
                for (int i = 0; i < k; i++) {
                    run[i].unpin();
                    run[i] = null;
                }
            }
            if (violation != null) {
                throw violation;
            }
        }
    }

    /**
     * The copies of the {@code k} pinned frames of {@code run}, which hold the pages from
     * {@code address + done} on: one copy per stretch of frames whose host pages follow each other
     * in one slab. Returns the new {@code done}.
     */
    private static long copyRun(EpcFrame[] run, int k, long address, long done, long length, boolean write,
                                boolean materialize, PageAccess op, Object buf, long off) {
        for (int i = 0; i < k; ) {
            int in = Pages.offset(address + done);
            int n = (int) Math.min(length - done, Pages.SIZE - in);
            HostPagePool.Page p = run[i].pinnedPage(materialize);
            if (p == null) {
                accessPage(run[i], in, write, false, op, buf, off + done, n);
                done += n;
                i++;
                continue;
            }
            MemorySegment slab = p.slab();
            long next = p.offset() + Pages.SIZE;
            long total = n;
            for (i++; i < k && done + total < length; i++) {
                HostPagePool.Page q = run[i].pinnedPage(materialize);
                if (q == null || q.slab() != slab || q.offset() != next) {
                    break;
                }
                total += Math.min(length - done - total, Pages.SIZE);
                next += Pages.SIZE;
            }
            op.access(slab, p.offset() + in, buf, off + done, (int) total);
            done += total;
        }
        return done;
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        eachPage(address, length, false, false, READ_ARRAY, dst, offset);
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        eachPage(address, length, true, true, WRITE_ARRAY, src, offset);
    }

    @Override
    public void read(long address, MemorySegment dst, long dstOffset, long length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        eachPage(address, length, false, false, READ_SEGMENT, dst, dstOffset);
    }

    @Override
    public void write(long address, MemorySegment src, long srcOffset, long length) {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        eachPage(address, length, true, true, WRITE_SEGMENT, src, srcOffset);
    }

    @Override
    public void fill(long address, long length, byte value) {
        eachPage(address, length, true, value != 0, FILL, value, 0); // a Byte: no allocation
    }

    @Override
    public byte readByte(long address) {
        checkRange(address, 1, false);
        EpcFrame f = pin(address, false);
        try {
            return f.pinnedContent(false).get(ValueLayout.JAVA_BYTE, Pages.offset(address));
        } finally {
            f.unpin();
        }
    }

    @Override
    public void writeByte(long address, byte value) {
        checkRange(address, 1, true);
        EpcFrame f = pin(address, true);
        try {
            f.pinnedContent(true).set(ValueLayout.JAVA_BYTE, Pages.offset(address), value);
        } finally {
            f.unpin();
        }
    }

    @Override
    public int readInt(long address) {
        return (int) readLittleEndian(address, 4);
    }

    @Override
    public void writeInt(long address, int value) {
        writeLittleEndian(address, 4, value);
    }

    @Override
    public long readLong(long address) {
        return readLittleEndian(address, 8);
    }

    @Override
    public void writeLong(long address, long value) {
        writeLittleEndian(address, 8, value);
    }

    /** The little-endian int ({@code size} 4) or long (8) at {@code address}, which may span two pages. */
    private long readLittleEndian(long address, int size) {
        checkRange(address, size, false);
        long in = Pages.offset(address);
        if (in <= Pages.SIZE - size) {
            EpcFrame f = pin(address, false);
            try {
                MemorySegment page = f.pinnedContent(false);
                return size == 4 ? page.get(LittleEndian.INT, in) : page.get(LittleEndian.LONG, in);
            } finally {
                f.unpin();
            }
        }
        MemorySegment bytes = MemorySegment.ofArray(new byte[8]);
        read(address, bytes, 0, size);
        return size == 4 ? bytes.get(LittleEndian.INT, 0) : bytes.get(LittleEndian.LONG, 0);
    }

    /** Stores the low {@code size} (4 or 8) bytes of {@code value} little-endian at {@code address}. */
    private void writeLittleEndian(long address, int size, long value) {
        checkRange(address, size, true);
        long in = Pages.offset(address);
        if (in <= Pages.SIZE - size) {
            EpcFrame f = pin(address, true);
            try {
                MemorySegment page = f.pinnedContent(true);
                if (size == 4) {
                    page.set(LittleEndian.INT, in, (int) value);
                } else {
                    page.set(LittleEndian.LONG, in, value);
                }
            } finally {
                f.unpin();
            }
            return;
        }
        MemorySegment bytes = MemorySegment.ofArray(new byte[8]);
        bytes.set(LittleEndian.LONG, 0, value);
        write(address, bytes, 0, size);
    }

    // ---- ENCLU ---------------------------------------------------------------------------------------

    private void requireSgx2(long address, String leaf) {
        if (!cpu.sgx2()) {
            throw new EnclaveFault(EnclaveFault.Kind.INVALID_OPCODE, address, false, leaf + " on an SGX1 CPU");
        }
    }

    @Override
    public int eaccept(long address, SecInfo secInfo) {
        requireSgx2(address, "EACCEPT");
        if (!Pages.isAligned(address)) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, "EACCEPT of an unaligned address");
        }
        EpcFrame f = pinOwned(address, false);
        try {
            return cpu.eaccept(f.owner(), f, address, secInfo);
        } finally {
            f.unpin();
        }
    }

    @Override
    public int eacceptcopy(long address, SecInfo secInfo, byte[] source) {
        requireSgx2(address, "EACCEPTCOPY");
        if (!Pages.isAligned(address) || source == null || source.length != Pages.SIZE) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, true,
                    "EACCEPTCOPY needs an aligned address and a 4096-byte source page");
        }
        EpcFrame f = pinOwned(address, true);
        try {
            return cpu.eacceptcopy(f.owner(), f, address, secInfo, MemorySegment.ofArray(source));
        } finally {
            f.unpin();
        }
    }

    @Override
    public int eacceptRange(long address, long length, SecInfo secInfo, LongConsumer accepted) {
        return acceptRange(address, length, false, a -> eaccept(a, secInfo), accepted);
    }

    @Override
    public int eacceptcopyRange(long address, long length, SecInfo secInfo, byte[] source, LongConsumer accepted) {
        return acceptRange(address, length, true, a -> eacceptcopy(a, secInfo, source), accepted);
    }

    /**
     * The loop of {@code leaf} over the pages of a range, with the driver's EAUGs of the pages that
     * have no enclave page yet done a run at a time ({@link EnclaveFaults#eaugRun}) before their
     * leaves: the same EAUGs, faults and charges as the leaves' own fault path, in fewer lock
     * acquisitions. A page the run leaves out takes the leaf's own fault path.
     */
    private int acceptRange(long address, long length, boolean write, LongToIntFunction leaf, LongConsumer accepted) {
        long end = address + length;
        long a = address;
        while (a < end) {
            EnclaveFaults.Run run = cpu.sgx2() && Pages.isAligned(a) && a >= base && end - base <= size && end > a
                    ? encl.faults.eaugRun(a, end, write, task) : new EnclaveFaults.Run(0, false, null);
            long stop = a + Pages.bytes(run.ready());
            for (; a < stop; a += Pages.SIZE) {
                int st = leaf.applyAsInt(a);
                if (st != SgxStatus.SUCCESS.code()) {
                    return st;
                }
                accepted.accept(a);
            }
            if (run.failure() != null) {
                throw run.failure();
            }
            if (run.ready() == 0 && !run.retry()) {
                int st = leaf.applyAsInt(a);
                if (st != SgxStatus.SUCCESS.code()) {
                    return st;
                }
                accepted.accept(a);
                a += Pages.SIZE;
            }
        }
        return SgxStatus.SUCCESS.code();
    }

    @Override
    public void emodpe(long address, SecInfo secInfo) {
        requireSgx2(address, "EMODPE");
        EpcFrame f = pinOwned(address, false);
        try {
            cpu.emodpe(f.owner(), f, Pages.down(address), secInfo);
        } finally {
            f.unpin();
        }
    }

    @Override
    public byte[] ereport(byte[] targetInfo, byte[] reportData) {
        return cpu.ereport(self(), targetInfo, reportData);
    }

    @Override
    public byte[] egetkey(byte[] keyRequest) {
        return cpu.egetkey(self(), keyRequest);
    }

    private EnclaveControl self() {
        EnclaveControl c = encl.control();
        if (encl.isReleased()) {
            throw new EnclaveFault(EnclaveFault.Kind.SIGBUS, base, false, "the enclave has been released");
        }
        return c;
    }

    /**
     * EENTER's checks on the TCS operand (loading it through the fault path if it was evicted): a
     * valid, accepted TCS page of this enclave, else #GP.
     */
    void eenter(long tcs) {
        if (!Pages.isAligned(tcs)) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, tcs, false, "EENTER: TCS is not page aligned");
        }
        EpcFrame f = pinOwned(tcs, false);
        try {
            io.jocclum.sgx.cpu.EpcmEntry e = f.epcmEntry();
            if (e.type() != PageType.TCS || e.pending() || e.modified()) {
                throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, tcs, false,
                        "EENTER: 0x" + Long.toHexString(tcs) + " is not an accepted TCS page (" + e.type() + ")");
            }
        } finally {
            f.unpin();
        }
    }

    // ---- OCALLs ------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface RangeIoctl {
        IoctlOutcome run(long offset, long length);
    }

    private void rangeOcall(String name, long address, long length, RangeIoctl ioctl) {
        account.charge(CostEvent.OCALL);
        checkRange(address, length, false);
        long offset = address - base;
        long done = 0;
        ocallLock.lock();
        try {
            while (true) {
                if (!encl.tryBeginIoctl()) {
                    throw Errno.EBUSY.exception(name + ": another ioctl is in progress on the enclave");
                }
                IoctlOutcome o;
                try {
                    o = ioctl.run(offset + done, length - done);
                } finally {
                    encl.endIoctl();
                }
                done += o.count();
                if (o.error() == null) {
                    return;
                }
                if (o.error() == Errno.EBUSY) {
                    // REMOVE_PAGES: the reclaimer has the page isolated; it is written back shortly
                    // and the retry loads and removes it (the SDK's untrusted runtime retries too)
                    Thread.yield();
                } else if (o.error() != Errno.EAGAIN) {
                    throw o.error().exception(name + " at 0x" + Long.toHexString(base + offset + done)
                            + (o.result() != 0 ? " (SGX error " + o.result() + ")" : ""));
                }
            }
        } finally {
            ocallLock.unlock();
        }
    }

    @Override
    public void restrictPermissions(long address, long length, long perms) {
        rangeOcall("SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS", address, length,
                (o, l) -> encl.restrictPermissions(o, l, perms, 0, 0, task));
    }

    @Override
    public void modifyTypes(long address, long length, PageType type) {
        rangeOcall("SGX_IOC_ENCLAVE_MODIFY_TYPES", address, length,
                (o, l) -> encl.modifyTypes(o, l, type.encoding(), 0, 0, task));
    }

    @Override
    public void removePages(long address, long length) {
        rangeOcall("SGX_IOC_ENCLAVE_REMOVE_PAGES", address, length, (o, l) -> encl.removePages(o, l, 0, task));
    }

    @Override
    public void ocall(long bytes) {
        account.charge(CostEvent.OCALL);
        account.chargeCopy(bytes);
    }
}
