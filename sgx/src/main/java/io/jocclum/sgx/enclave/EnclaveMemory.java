package io.jocclum.sgx.enclave;

import io.jocclum.api.Errno;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveControl;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.SgxCpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-enclave view of an initialised enclave: what the LibOS runs against.
 *
 * <p>Design: an access translates the address through the enclave's page table (a lock-free radix
 * lookup) to the page's current EPC frame, pins the frame (which also checks the EPCM entry), does
 * one bulk copy within the page, and unpins: no lock and no map lookup on a resident page. A missing,
 * evicted or being-evicted page takes the driver's fault path ({@link EnclaveFaults#handleFault}: ELDU,
 * or EAUG on SGX2) and the access is retried; an EPCM violation is a #PF for the enclave. Accesses
 * spanning pages are done page by page. The ENCLU leaves translate their operand the same way. The
 * SGX2 OCALLs issue the driver's ioctls as the untrusted runtime does, resuming after partial
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
        EnclavePage p = pages.get(Pages.index(address - base));
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
     * One page's part of an access: {@code n} bytes at {@code in} of the pinned frame, and the
     * caller's side at {@code off} of {@code buf} (a {@code byte[]} or a {@link MemorySegment}).
     * The implementations below capture nothing, so an access allocates nothing.
     */
    @FunctionalInterface
    private interface PageAccess {
        void access(EpcFrame frame, int in, Object buf, long off, int n, byte value);
    }

    private static final PageAccess READ_ARRAY = (f, in, buf, off, n, v) ->
            MemorySegment.copy(f.pinnedContent(false), ValueLayout.JAVA_BYTE, in, (byte[]) buf, (int) off, n);
    private static final PageAccess WRITE_ARRAY = (f, in, buf, off, n, v) ->
            MemorySegment.copy((byte[]) buf, (int) off, f.pinnedContent(true), ValueLayout.JAVA_BYTE, in, n);
    private static final PageAccess READ_SEGMENT = (f, in, buf, off, n, v) ->
            MemorySegment.copy(f.pinnedContent(false), in, (MemorySegment) buf, off, n);
    private static final PageAccess WRITE_SEGMENT = (f, in, buf, off, n, v) ->
            MemorySegment.copy((MemorySegment) buf, off, f.pinnedContent(true), in, n);
    private static final PageAccess FILL = (f, in, buf, off, n, v) -> {
        if (v != 0 || f.isMaterialized()) { // zeros into a zero page: nothing to store
            f.pinnedContent(true).asSlice(in, n).fill(v);
        }
    };

    /**
     * An access of {@code length} bytes at {@code address}, page by page: each page's frame is pinned
     * for {@code op} (faulting the page in when needed) and unpinned after it; the caller's side
     * advances from {@code off} of {@code buf}.
     *
     * <p>An access of several pages pins up to {@value #RUN} present pages ahead, then copies them
     * all, then unpins them: a pin and an unpin are atomic updates, and an atomic update waits
     * until the CPU's earlier stores are done, so pinning and unpinning between the pages' copies
     * would stall every copy. A page that needs the fault path is taken alone, with nothing else
     * pinned (the fault handler may have to evict a page to make room), and so is a page whose frame
     * is fenced while others are pinned. An EPCM violation at a
     * page ends the access after the pages before it, as a fault in the middle of a copy does.
     */
    private void eachPage(long address, long length, boolean write, PageAccess op, Object buf, long off, byte value) {
        checkRange(address, length, write);
        int first = Pages.offset(address);
        if (length <= Pages.SIZE - first) {
            if (length > 0) {
                EpcFrame f = pin(address, write);
                try {
                    op.access(f, first, buf, off, (int) length, value);
                } finally {
                    f.unpin();
                }
            }
            return;
        }
        EpcFrame[] run = new EpcFrame[(int) Math.min(RUN, Pages.countUp(first + length))];
        long done = 0;
        while (done < length) {
            touchAhead(address + done, Math.min(length - done, Pages.bytes(run.length)));
            int k = 0;
            long ahead = done;
            EnclaveFault violation = null;
            try {
                while (k < run.length && ahead < length) {
                    long at = address + ahead;
                    // with frames pinned, a fenced frame is not waited for (its fencer may wait for ours)
                    EpcFrame f = tryPin(at, write, k == 0);
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
                    op.access(f, Pages.offset(at), buf, off + done, n, value);
                } finally {
                    f.unpin();
                }
                done += n;
                continue;
            }
            try {
                for (int i = 0; i < k; i++) {
                    long at = address + done;
                    int n = (int) Math.min(length - done, Pages.SIZE - Pages.offset(at));
                    op.access(run[i], Pages.offset(at), buf, off + done, n, value);
                    done += n;
                }
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
     * Reads the page-table entries and frames of the pages of [address, address + length) without
     * pinning them: independent loads, whose cache misses the CPU overlaps, so that the pins that
     * follow (atomic updates, each waiting for the loads before it) find them cached.
     */
    private void touchAhead(long address, long length) {
        long sum = 0;
        for (long a = Pages.down(address); a < address + length; a += Pages.SIZE) {
            EnclavePage p = pages.get(Pages.index(a - base));
            EpcFrame f = p == null ? null : p.frame;
            if (f != null) {
                sum += f.touch() + (p.young ? 1 : 0);
            }
        }
        if (sum == Long.MIN_VALUE) {
            Thread.onSpinWait(); // uses the loads' results, so the compiler keeps them
        }
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        eachPage(address, length, false, READ_ARRAY, dst, offset, (byte) 0);
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        eachPage(address, length, true, WRITE_ARRAY, src, offset, (byte) 0);
    }

    @Override
    public void read(long address, MemorySegment dst, long dstOffset, long length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        eachPage(address, length, false, READ_SEGMENT, dst, dstOffset, (byte) 0);
    }

    @Override
    public void write(long address, MemorySegment src, long srcOffset, long length) {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        eachPage(address, length, true, WRITE_SEGMENT, src, srcOffset, (byte) 0);
    }

    @Override
    public void fill(long address, long length, byte value) {
        eachPage(address, length, true, FILL, null, 0, value);
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
