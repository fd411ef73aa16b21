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
import io.jocclum.sgx.cpu.Epc;
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
 * lookup) to the number of the page's current EPC frame, pins the frame (which also checks the EPCM
 * entry; a multi-page access publishes a run of frames instead), copies and unpins: no lock and no map lookup on a resident page, and no object loaded per
 * page: the translation, the frame's EPCM word, pin state, owner, linear address, host page and
 * accessed bit are elements of primitive arrays (the page table's leaves, the EPC's
 * {@code FrameChunk}s), so a run of consecutive pages walks a few cache lines. A missing, evicted or being-evicted page
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
    /** Pages checked and copied at once by a multi-page access (see {@link #eachPage}). */
    private static final int RUN = Epc.MAX_RUN;
    /**
     * Each thread's run of pages: their translations from index 0, their host pages' handles from
     * index {@value #RUN}. Reused rather than allocated per access: a fresh array is
     * memory the copies have just pushed out of the caches, and zeroing it would stall.
     */
    private static final ThreadLocal<long[]> RUNS = ThreadLocal.withInitial(() -> new long[2 * RUN]);

    private final Enclave encl;
    private final HostTask task;
    private final SgxCpu cpu;
    private final CostAccount account;
    private final PageTable pages;
    private final long base;
    private final long size;
    private final long eid;
    private final Epc epc;
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
        this.epc = cpu.epc();
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

    /** The number of a pinned frame whose EPCM allows the access at {@code address}. */
    private long pin(long address, boolean write) {
        for (;;) {
            long pfn = tryPin(address, write);
            if (pfn >= 0) {
                return pfn;
            }
            encl.faults.handleFault(address, write, task);
        }
    }

    /**
     * The number of the frame of the page at {@code address}, pinned, if it is present and its EPCM
     * allows the access; -1 when the access needs the fault path (page absent, evicted or being
     * evicted). A successful pin sets the accessed bit.
     */
    private long tryPin(long address, boolean write) {
        long index = Pages.index(address - base);
        PageTable.Leaf leaf = pages.leaf(index);
        long t = leaf == null ? Epc.NO_TRANSLATION : PageTable.translation(leaf, index);
        return pinPage(t, address, write, true, false) < 0 ? -1 : Epc.frameNumber(t);
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
     * One page's part of an access through the pinned frame {@code pfn}: {@code n} bytes from
     * {@code in} within the page. With {@code materialize} false a frame that was never written has
     * no host page: a read reads zeros, a fill (of zeros) stores nothing.
     */
    private void accessPage(long pfn, int in, boolean write, boolean materialize, PageAccess op, Object buf, long off,
                            int n) {
        if (materialize) {
            long h = epc.pinnedHostForStore(pfn, in, n);
            op.access(epc.hostSlab(h), Epc.hostOffset(h) + in, buf, off, n);
            return;
        }
        long h = epc.pinnedHost(pfn);
        if (h == HostPagePool.NONE) {
            if (!write) {
                op.access(epc.zeroPage(), in, buf, off, n);
            }
        } else if (write) {
            epc.zeroPinned(pfn, h, in, n); // a fill of zeros: only where the page was stored to
        } else {
            op.access(epc.hostSlab(h), Epc.hostOffset(h) + in, buf, off, n);
        }
    }

    /**
     * An access of {@code length} bytes at {@code address}, page by page: each page's frame is pinned
     * for {@code op} (faulting the page in when needed) and unpinned after it; the caller's side
     * advances from {@code off} of {@code buf}. {@code materialize}: give a never-written frame its
     * host page (a store of data; false for reads and fills of zeros).
     *
     * <p>An access of several pages takes up to {@value #RUN} present pages at a time (a run):
     * it publishes their frames in a run slot of the EPC and fences once ({@link Epc#beginRun}),
     * checks each frame with plain loads (all of the run in one call, {@link Epc#checkRunPages}; a
     * page that does not pass alone with {@link Epc#checkRun}), copies, and ends the run with a
     * release store, instead of an atomic pin and unpin per page (an atomic update waits until
     * the CPU's earlier stores are done, so it stalls behind the copies). When every slot is
     * taken it pins the run's frames one by one instead. Pages whose host pages lie one after the
     * other in one slab of the host page pool are copied with one copy. A page that needs the
     * fault path is taken alone, with nothing else held (the fault handler may have to evict a
     * page to make room), and so is a page whose frame is fenced while a run is in flight. An
     * EPCM violation at a page ends the access after the pages before it, as a fault in the
     * middle of a copy does.
     */
    private void eachPage(long address, long length, boolean write, boolean materialize, PageAccess op, Object buf,
                          long off) {
        checkRange(address, length, write);
        int first = Pages.offset(address);
        if (length <= Pages.SIZE - first) {
            if (length > 0) {
                long pfn = pin(address, write);
                try {
                    accessPage(pfn, first, write, materialize, op, buf, off, (int) length);
                } finally {
                    epc.unpin(pfn);
                }
            }
            return;
        }
        int max = (int) Math.min(RUN, Pages.countUp(first + length));
        long[] run = RUNS.get(); // eachPage does not nest: an op copies, it does not access the enclave
        int slot = epc.claimRuns(); // -1: every slot taken, pin frame by frame
        try {
            long done = 0;
            while (done < length) {
                long at = address + done;
                int m = translations(run, max, at, length - done);
                boolean inFlight = m > 0 && slot >= 0;
                if (inFlight) {
                    epc.beginRun(slot, run, m);
                }
                int k = 0;
                EnclaveFault violation = null;
                try {
                    try {
                        // the pages that pass at once; the rest one by one, which tells a fault from a
                        // violation. Inside the try: giving a page its host memory may fail, and the
                        // run must end all the same
                        if (inFlight) {
                            k = epc.checkRunPages(run, m, RUN, write, materialize);
                        }
                        for (long page = k == 0 ? at : Pages.down(at) + Pages.bytes(k); k < m;
                             k++, page = Pages.down(at) + Pages.bytes(k)) {
                            // with frames held, a fenced frame is not waited for (its fencer may wait for ours)
                            long h = slot >= 0 ? held(run[k], page, write, false, materialize, true)
                                    : pinPage(run[k], page, write, k == 0, materialize);
                            if (h < 0) {
                                break;
                            }
                            run[RUN + k] = h;
                        }
                    } catch (EnclaveFault e) {
                        violation = e;
                    }
                    if (k == 0 && violation == null) {
                        if (inFlight) {
                            inFlight = false;
                            epc.endRun(slot);
                        }
                        // the next page needs the fault path: alone, nothing else held
                        int n = (int) Math.min(length - done, Pages.SIZE - Pages.offset(at));
                        long pfn = pin(at, write);
                        try {
                            accessPage(pfn, Pages.offset(at), write, materialize, op, buf, off + done, n);
                        } finally {
                            epc.unpin(pfn);
                        }
                        done += n;
                        continue;
                    }
                    if (inFlight && k < m) {
                        epc.truncateRun(slot, k);
                    }
                    done = write && !materialize ? zeroRun(run, k, address, done, length)
                            : copyRun(run, k, address, done, length, write, op, buf, off);
                } finally {
                    if (inFlight) {
                        epc.endRun(slot);
                    } else if (slot < 0) {
                        for (int i = 0; i < k; i++) {
                            epc.unpin(Epc.frameNumber(run[i]));
                        }
                    }
                }
                if (violation != null) {
                    throw violation;
                }
            }
        } finally {
            if (slot >= 0) {
                epc.releaseRuns(slot);
            }
        }
    }

    /**
     * Reads into {@code run[0, m)} the page table's translations of the up to {@code max} pages
     * from {@code at} on that the next {@code rest} bytes touch, stopping before the first page
     * without one; returns {@code m}. A leaf is walked to once per leaf, not once per page.
     */
    private int translations(long[] run, int max, long at, long rest) {
        int m = 0;
        PageTable.Leaf leaf = null;
        long leafOf = -1;
        for (long ahead = 0; m < max && ahead < rest; m++) {
            long index = Pages.index(at + ahead - base);
            if (leafOf < 0 || !PageTable.sameLeaf(index, leafOf)) {
                leaf = pages.leaf(index);
                leafOf = index;
            }
            long t = leaf == null ? Epc.NO_TRANSLATION : PageTable.translation(leaf, index);
            if (t == Epc.NO_TRANSLATION) {
                break;
            }
            run[m] = t;
            ahead += Math.min(rest - ahead, Pages.SIZE - Pages.offset(at + ahead));
        }
        return m;
    }

    /**
     * Pins the frame of translation {@code t} (from the page table, for the page at {@code address})
     * for the access, if it still holds that page, and sets its accessed bit: -1 when the page needs
     * the fault path (or, with {@code wait} false, its frame is fenced for a moment), else the
     * handle of its host page (materialised if {@code materialize}; {@link HostPagePool#NONE} for a
     * frame never written). An EPCM violation is a #PF, which exits the enclave.
     */
    private long pinPage(long t, long address, boolean write, boolean wait, boolean materialize) {
        if (t == Epc.NO_TRANSLATION) {
            return -1;
        }
        return held(t, address, write, wait, materialize, false);
    }

    /**
     * {@link Epc#checkRun} of a page of a run in flight ({@code inRun}), else {@link Epc#pinTranslated};
     * an EPCM violation is a #PF, which exits the enclave.
     */
    private long held(long t, long address, boolean write, boolean wait, boolean materialize, boolean inRun) {
        try {
            return inRun ? epc.checkRun(t, address, write, materialize) : epc.pinTranslated(t, address, write, wait, materialize);
        } catch (EnclaveFault epcmFault) {
            account.charge(CostEvent.AEX); // the #PF exits the enclave to the LibOS's handler
            throw epcmFault;
        }
    }

    /**
     * The copies of the {@code k} pinned frames of {@code run} (see {@link #RUNS}), which hold the
     * pages from {@code address + done} on: one copy per stretch of frames whose host pages follow
     * each other in one slab (handles 4096 apart). Returns the new {@code done}.
     */
    private long copyRun(long[] run, int k, long address, long done, long length, boolean write, PageAccess op,
                         Object buf, long off) {
        for (int i = 0; i < k; ) {
            int in = Pages.offset(address + done);
            int n = (int) Math.min(length - done, Pages.SIZE - in);
            long h = run[RUN + i];
            if (h == HostPagePool.NONE) {
                if (!write) {
                    op.access(epc.zeroPage(), in, buf, off + done, n);
                }
                done += n;
                i++;
                continue;
            }
            long next = h + Pages.SIZE;
            long total = n;
            for (i++; i < k && done + total < length; i++) {
                if (run[RUN + i] != next) {
                    break;
                }
                total += Math.min(length - done - total, Pages.SIZE);
                next += Pages.SIZE;
            }
            op.access(epc.hostSlab(h), Epc.hostOffset(h) + in, buf, off + done, (int) total);
            done += total;
        }
        return done;
    }

    /**
     * {@link #copyRun} for a fill of zeros: page by page, only the lines of each page that were
     * stored to (see {@link Epc#zeroPinned}); a frame never written is all zero already.
     */
    private long zeroRun(long[] run, int k, long address, long done, long length) {
        for (int i = 0; i < k; i++) {
            int in = Pages.offset(address + done);
            int n = (int) Math.min(length - done, Pages.SIZE - in);
            long h = run[RUN + i];
            if (h != HostPagePool.NONE) {
                epc.zeroPinned(Epc.frameNumber(run[i]), h, in, n);
            }
            done += n;
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
        long pfn = pin(address, false);
        try {
            long h = epc.pinnedHost(pfn);
            return h == HostPagePool.NONE ? 0 : epc.hostSlab(h).get(ValueLayout.JAVA_BYTE, Epc.hostOffset(h) + Pages.offset(address));
        } finally {
            epc.unpin(pfn);
        }
    }

    @Override
    public void writeByte(long address, byte value) {
        checkRange(address, 1, true);
        long pfn = pin(address, true);
        try {
            long h = epc.pinnedHostForStore(pfn, Pages.offset(address), 1);
            epc.hostSlab(h).set(ValueLayout.JAVA_BYTE, Epc.hostOffset(h) + Pages.offset(address), value);
        } finally {
            epc.unpin(pfn);
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
            long pfn = pin(address, false);
            try {
                long h = epc.pinnedHost(pfn);
                if (h == HostPagePool.NONE) {
                    return 0;
                }
                MemorySegment slab = epc.hostSlab(h);
                long at = Epc.hostOffset(h) + in;
                return size == 4 ? slab.get(LittleEndian.INT, at) : slab.get(LittleEndian.LONG, at);
            } finally {
                epc.unpin(pfn);
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
            long pfn = pin(address, true);
            try {
                long h = epc.pinnedHostForStore(pfn, (int) in, size);
                MemorySegment slab = epc.hostSlab(h);
                long at = Epc.hostOffset(h) + in;
                if (size == 4) {
                    slab.set(LittleEndian.INT, at, (int) value);
                } else {
                    slab.set(LittleEndian.LONG, at, value);
                }
            } finally {
                epc.unpin(pfn);
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
            return cpu.eaccept(f.pinnedOwner(), f, address, secInfo);
        } finally {
            f.unpin();
        }
    }

    @Override
    public int eacceptcopy(long address, SecInfo secInfo, byte[] source) {
        return eacceptcopy(address, secInfo, source, source == null ? null : MemorySegment.ofArray(source), null);
    }

    /**
     * {@link #eacceptcopy(long, SecInfo, byte[])} with {@code source} already viewed as {@code segment}
     * and, if not null, known to be all zero or not ({@code zero}).
     */
    private int eacceptcopy(long address, SecInfo secInfo, byte[] source, MemorySegment segment, Boolean zero) {
        requireSgx2(address, "EACCEPTCOPY");
        if (!Pages.isAligned(address) || source == null || source.length != Pages.SIZE) {
            throw new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, true,
                    "EACCEPTCOPY needs an aligned address and a 4096-byte source page");
        }
        EpcFrame f = pinOwned(address, true);
        try {
            return cpu.eacceptcopy(f.pinnedOwner(), f, address, secInfo, segment, zero);
        } finally {
            f.unpin();
        }
    }

    @Override
    public int eacceptRange(long address, long length, SecInfo secInfo, LongConsumer accepted) {
        // EACCEPT of a fresh EAUGed page with another SECINFO fails (#GP or a status) at the first
        // page: the loop EAUGs that page alone, so the range takes the loop's path
        boolean eaug = secInfo != null && SgxCpu.eacceptFitsEauged(secInfo);
        return acceptRange(address, length, false, eaug, a -> eaccept(a, secInfo), accepted);
    }

    @Override
    public int eacceptcopyRange(long address, long length, SecInfo secInfo, byte[] source, LongConsumer accepted) {
        // one view of the source, and one look at whether it is all zero, for the whole range
        MemorySegment segment = source == null ? null : MemorySegment.ofArray(source);
        Boolean zero = source == null || source.length != Pages.SIZE ? null : segment.mismatch(epc.zeroPage()) == -1;
        // a bad source is a #GP before the first page's fault, a bad SECINFO one after it: the loop's path
        boolean eaug = zero != null && secInfo != null && SgxCpu.eacceptcopySecInfoValid(secInfo);
        return acceptRange(address, length, true, eaug, a -> eacceptcopy(a, secInfo, source, segment, zero), accepted);
    }

    /**
     * The loop of {@code leaf} over the pages of a range, with the driver's EAUGs of the pages that
     * have no enclave page yet done a run at a time ({@link EnclaveFaults#eaugRun}) before their
     * leaves: the same EAUGs, faults and charges as the leaves' own fault path, in fewer lock
     * acquisitions. A page the run leaves out takes the leaf's own fault path. Runs are EAUGed only
     * if {@code eaug} says the leaf succeeds on a fresh EAUGed page (otherwise the loop would stop
     * at the first such page, after EAUGing it alone: every page takes the leaf's own fault path).
     * The charges of the range are deferred to its end ({@link CostAccount#deferCharges}).
     */
    private int acceptRange(long address, long length, boolean write, boolean eaug, LongToIntFunction leaf,
                            LongConsumer accepted) {
        boolean deferred = account.deferCharges(); // the leaves' and faults' charges, added once per event at the end
        try {
            return acceptRange0(address, length, write, eaug, leaf, accepted);
        } finally {
            if (deferred) {
                account.addDeferred();
            }
        }
    }

    private int acceptRange0(long address, long length, boolean write, boolean eaug, LongToIntFunction leaf,
                             LongConsumer accepted) {
        long end = address + length;
        long a = address;
        while (a < end) {
            EnclaveFaults.Run run = eaug && cpu.sgx2() && Pages.isAligned(a) && a >= base && end - base <= size && end > a
                    ? encl.faults.eaugRun(a, end, write, task) : EnclaveFaults.Run.NONE;
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
            cpu.emodpe(f.pinnedOwner(), f, Pages.down(address), secInfo);
        } finally {
            f.unpin();
        }
    }

    /**
     * The loop of {@link #emodpe} with its charges deferred to the end ({@link CostAccount#deferCharges})
     * and each stretch of {@value EnclaveIoctls#LOCK_RUN_PAGES} pages' state loaded first
     * ({@link PageTable#prefetch}), so that their cache misses overlap.
     */
    @Override
    public void emodpeRange(long address, long length, SecInfo secInfo) {
        boolean deferred = account.deferCharges();
        try {
            int k = 0;
            for (long a = address; a < address + length; a += Pages.SIZE) {
                if (k-- == 0 && a >= base && a - base < size) {
                    k = (int) Math.min(EnclaveIoctls.LOCK_RUN_PAGES, (address + length - a) / Pages.SIZE) - 1;
                    pages.prefetch(Pages.index(a - base), k + 1);
                }
                emodpe(a, secInfo);
            }
        } finally {
            if (deferred) {
                account.addDeferred();
            }
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
