package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Loads and stores at guest addresses of one process, the way its code (USER) or the LibOS on
 * behalf of a syscall (KERNEL) touches memory: address to VMA (cached), permission check
 * (SIGSEGV / EFAULT), then the enclave access; an EDMM page that is not committed yet faults,
 * is committed through the platform and the access is retried; an unrecoverable platform fault
 * is SIGBUS (or EFAULT in kernel mode).
 *
 * <p>Bulk copies translate once per VMA run, commit the whole run's missing pages in one pass
 * (an access of known extent needs no fault-by-fault discovery) and copy with one platform call,
 * so they run close to the speed of the platform's own copy.
 *
 * <p>Each access holds the process's lock for reading, so a concurrent munmap waits until the
 * access is done and a freed page can never be written afterwards. An accessor caches its last
 * translation and is meant for one thread; sharing one between threads is safe but thrashes
 * the cache. Failures: {@link GuestFault} in USER mode, {@code ErrnoException(EFAULT)} in KERNEL
 * mode. Multi-byte values are little-endian.
 */
public final class GuestMemory {
    private static final int MAX_RETRIES = 4;

    private final ProcessVm vm;
    private final AccessMode mode;
    private final EnclaveContext ctx;
    private final VmEpc epc;
    private final VmConfig config;
    private final VmCounters counters;

    // translation cache: only read and written by the accessing thread while it holds the read lock
    private Vma cached;
    private long cachedGeneration = -1;
    private long lastDirtyPage = -1;

    GuestMemory(ProcessVm vm, AccessMode mode) {
        this.vm = vm;
        this.mode = mode;
        this.ctx = vm.space.ctx;
        this.epc = vm.space.epc;
        this.config = vm.space.config;
        this.counters = vm.space.counters;
    }

    public AccessMode mode() {
        return mode;
    }

    public int pid() {
        return vm.pid;
    }

    // ---- single values ------------------------------------------------------------------------

    public byte readByte(long address) {
        long stamp = vm.lock.readLock();
        try {
            Vma v = translate(address, 1, false);
            for (int attempt = 0; ; attempt++) {
                try {
                    return ctx.readByte(address);
                } catch (EnclaveFault f) {
                    resolve(v, f, false, attempt);
                }
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    public void writeByte(long address, byte value) {
        long stamp = vm.lock.readLock();
        try {
            Vma v = translate(address, 1, true);
            for (int attempt = 0; ; attempt++) {
                try {
                    ctx.writeByte(address, value);
                    return;
                } catch (EnclaveFault f) {
                    resolve(v, f, true, attempt);
                }
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    public int readInt(long address) {
        long stamp = vm.lock.readLock();
        try {
            Vma v = translate(address, 4, false);
            if (v == null) {
                return (int) readAcross(address, 4);
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    return ctx.readInt(address);
                } catch (EnclaveFault f) {
                    resolve(v, f, false, attempt);
                }
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    public void writeInt(long address, int value) {
        long stamp = vm.lock.readLock();
        try {
            Vma v = translate(address, 4, true);
            if (v == null) {
                writeAcross(address, value, 4);
                return;
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    ctx.writeInt(address, value);
                    return;
                } catch (EnclaveFault f) {
                    resolve(v, f, true, attempt);
                }
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    public long readLong(long address) {
        long stamp = vm.lock.readLock();
        try {
            Vma v = translate(address, 8, false);
            if (v == null) {
                return readAcross(address, 8);
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    return ctx.readLong(address);
                } catch (EnclaveFault f) {
                    resolve(v, f, false, attempt);
                }
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    public void writeLong(long address, long value) {
        long stamp = vm.lock.readLock();
        try {
            Vma v = translate(address, 8, true);
            if (v == null) {
                writeAcross(address, value, 8);
                return;
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    ctx.writeLong(address, value);
                    return;
                } catch (EnclaveFault f) {
                    resolve(v, f, true, attempt);
                }
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    /** A value that straddles two VMAs: byte-wise through the bulk path (caller holds the read lock). */
    private long readAcross(long address, int n) {
        byte[] b = new byte[n];
        bulk(address, b, 0, n, false);
        return LittleEndian.get(b, 0, n);
    }

    private void writeAcross(long address, long value, int n) {
        byte[] b = new byte[n];
        LittleEndian.put(b, 0, value, n);
        bulk(address, b, 0, n, true);
    }

    /**
     * How many bytes from {@code address} on (at most {@code length}) the mappings allow for a read
     * or a write: what copy_to_user/copy_from_user could copy before an inaccessible page. Looks
     * at the VMAs only (commits nothing, faults on nothing); a read of a stream calls it first so
     * that it takes from the stream only bytes it can store, as Linux leaves the rest in a pipe.
     */
    public long accessiblePrefix(long address, long length, boolean write) {
        long stamp = vm.lock.readLock();
        try {
            long done = 0;
            while (done < length) {
                long pos = address + done;
                Vma v = pos < 0 ? null : vm.find(pos);
                if (v == null || (write ? !v.writable() : !v.readable())) {
                    break;
                }
                done += Math.min(length - done, v.end - pos);
            }
            return done;
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    // ---- bulk ---------------------------------------------------------------------------------

    public void read(long address, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        copy(address, dst, offset, length, false);
    }

    public void write(long address, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        copy(address, src, offset, length, true);
    }

    /** Reads {@code length} guest bytes into {@code dst} at {@code offset}. */
    public void read(long address, MemorySegment dst, long offset, long length) {
        copy(address, dst, offset, length, false);
    }

    /** Writes {@code length} bytes of {@code src} at {@code offset} to guest memory. */
    public void write(long address, MemorySegment src, long offset, long length) {
        copy(address, src, offset, length, true);
    }

    /** Fills {@code dst} from its position to its limit and advances its position to the limit. */
    public void read(long address, ByteBuffer dst) {
        int n = dst.remaining();
        if (dst.hasArray()) {
            copy(address, dst.array(), dst.arrayOffset() + dst.position(), n, false);
        } else {
            copy(address, MemorySegment.ofBuffer(dst), 0, n, false);
        }
        dst.position(dst.limit());
    }

    /** Writes {@code src} from its position to its limit and advances its position to the limit. */
    public void write(long address, ByteBuffer src) {
        int n = src.remaining();
        if (src.hasArray()) {
            copy(address, src.array(), src.arrayOffset() + src.position(), n, true);
        } else {
            copy(address, MemorySegment.ofBuffer(src), 0, n, true);
        }
        src.position(src.limit());
    }

    /** Stores {@code length} copies of {@code value} (memset). */
    public void fill(long address, long length, byte value) {
        if (length == 0) {
            return;
        }
        long stamp = vm.lock.readLock();
        try {
            long done = 0;
            while (done < length) {
                long pos = address + done;
                Vma v = runAt(pos, true);
                long n = Math.min(length - done, v.end - pos);
                prepareRun(v, pos, n, true);
                long cur = pos;
                for (int attempt = 0; ; attempt++) {
                    try {
                        ctx.fill(cur, pos + n - cur, value);
                        break;
                    } catch (EnclaveFault f) {
                        resolve(v, f, true, attempt);
                        cur = resumeAt(f, cur, pos + n);
                    }
                }
                done += n;
            }
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    /**
     * A copy between guest memory and {@code buf}, a {@code byte[]} (copied as it is: no segment
     * made per call) or a {@link MemorySegment}.
     */
    private void copy(long address, Object buf, long offset, long length, boolean write) {
        if (length == 0) {
            return;
        }
        long size = buf instanceof byte[] a ? a.length : ((MemorySegment) buf).byteSize();
        if (length < 0 || offset < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " of a " + size + "-byte buffer");
        }
        long stamp = vm.lock.readLock();
        try {
            bulk(address, buf, offset, length, write);
        } finally {
            vm.lock.unlockRead(stamp);
        }
    }

    /** Caller holds the read lock. */
    private void bulk(long address, Object buf, long offset, long length, boolean write) {
        long done = 0;
        while (done < length) {
            long pos = address + done;
            Vma v = runAt(pos, write);
            long n = Math.min(length - done, v.end - pos);
            prepareRun(v, pos, n, write);
            long cur = pos;
            for (int attempt = 0; ; attempt++) {
                try {
                    long k = pos + n - cur;
                    long o = offset + done + (cur - pos);
                    if (buf instanceof byte[] a) {
                        if (write) {
                            ctx.write(cur, a, (int) o, (int) k);
                        } else {
                            ctx.read(cur, a, (int) o, (int) k);
                        }
                    } else if (write) {
                        ctx.write(cur, (MemorySegment) buf, o, k);
                    } else {
                        ctx.read(cur, (MemorySegment) buf, o, k);
                    }
                    break;
                } catch (EnclaveFault f) {
                    resolve(v, f, write, attempt);
                    cur = resumeAt(f, cur, pos + n);
                }
            }
            done += n;
        }
    }

    /** After a fault at a later page of a run, the pages before it are done: continue there. */
    private static long resumeAt(EnclaveFault f, long cur, long end) {
        long page = Pages.down(f.address());
        return page > cur && page < end ? page : cur;
    }

    /** The VMA holding {@code pos}, permission checked (no write marking: the run is marked by prepareRun). */
    private Vma runAt(long pos, boolean write) {
        Vma v = cached;
        if (v == null || cachedGeneration != vm.vmas.generation || pos < v.start || pos >= v.end) {
            v = vm.find(pos);
            if (v == null) {
                throw fault(new GuestSignal.Segv(pos, false, write), "no mapping");
            }
            cache(v);
        }
        if (write ? !v.writable() : !v.readable()) {
            throw fault(new GuestSignal.Segv(pos, true, write), "mapping does not allow the access");
        }
        return v;
    }

    /** A bulk run: commit what is missing (EDMM user region), mark reserved pages dirty and shared-file pages modified. */
    private void prepareRun(Vma v, long pos, long n, boolean write) {
        if (epc.edmm && v.region == UserMemoryKind.USER_REGION) {
            long s = Pages.down(pos);
            long e = Pages.up(pos + n);
            if (!epc.tracker.allCommitted(s, e)) {
                try {
                    long k = epc.commit(s, e, VmEpc.epcm(v.region, v.epcmProt()));
                    counters.faults.increment();
                    counters.pagesCommittedOnFault.add(k);
                } catch (EnclaveFault f) {
                    throw platformFailure(f, write);
                }
            }
        }
        if (write) {
            if (v.region == UserMemoryKind.RESERVED) {
                epc.dirty.mark(pos, pos + n);
            }
            if (v.modified != null) {
                v.modified.set(Pages.index(pos - v.start), Pages.index(pos + n - 1 - v.start) + 1);
            } else if (v.inSegment()) {
                SharedSegment.stored(v.chunk, pos, n);
            }
        }
    }

    /**
     * Translation of a single value of {@code n} bytes: the VMA, permission checked and the
     * write noted; null when the value straddles the VMA's end (the caller takes the bulk path).
     */
    private Vma translate(long address, int n, boolean write) {
        Vma v = cached;
        if (v == null || cachedGeneration != vm.vmas.generation || address < v.start || address >= v.end) {
            v = vm.find(address);
            if (v == null) {
                throw fault(new GuestSignal.Segv(address, false, write), "no mapping");
            }
            cache(v);
        }
        if (write ? !v.writable() : !v.readable()) {
            throw fault(new GuestSignal.Segv(address, true, write), "mapping does not allow the access");
        }
        if (address + n > v.end || address + n < address) {
            return null;
        }
        if (write) {
            if (v.region == UserMemoryKind.RESERVED) {
                long page = Pages.index(address);
                if (page != lastDirtyPage || Pages.index(address + n - 1) != page) {
                    epc.dirty.mark(address, address + n);
                    lastDirtyPage = Pages.index(address + n - 1) == page ? page : -1;
                }
            }
            if (v.modified != null) {
                v.modified.set(Pages.index(address - v.start), Pages.index(address + n - 1 - v.start) + 1);
            } else if (v.inSegment()) {
                SharedSegment.stored(v.chunk, address, n);
            }
        }
        return v;
    }

    private void cache(Vma v) {
        cached = v;
        cachedGeneration = vm.vmas.generation;
        lastDirtyPage = -1;
    }

    /**
     * Handles a platform fault of an access to {@code v}: an uncommitted EDMM page is committed
     * (with a window that grows with sequential locality) and the caller retries; a page another
     * thread just committed is retried; anything else ends the access.
     */
    private void resolve(Vma v, EnclaveFault f, boolean write, int attempt) {
        switch (f.kind()) {
            case PAGE_FAULT -> {
                long page = Pages.down(f.address());
                if (attempt < MAX_RETRIES && epc.edmm && v.region == UserMemoryKind.USER_REGION && page >= v.start && page < v.end) {
                    if (!epc.tracker.isCommitted(page)) {
                        long[] w = v.stream.windowFor(page, v.start, v.end, config.faultWindowInitialPages(), config.faultWindowMaxPages());
                        try {
                            long k = epc.commit(w[0], w[1], VmEpc.epcm(v.region, v.epcmProt()));
                            counters.faults.increment();
                            counters.pagesCommittedOnFault.add(k);
                        } catch (EnclaveFault g) {
                            throw platformFailure(g, write);
                        }
                        return;
                    }
                    if (attempt == 0) {
                        counters.spuriousFaults.increment();
                        return;
                    }
                }
                throw fault(new GuestSignal.Segv(f.address(), true, write), "the platform refused the access: " + f.getMessage());
            }
            case SIGBUS, INTEGRITY, KILLED -> throw platformFailure(f, write);
            case GENERAL_PROTECTION, INVALID_OPCODE ->
                    throw new IllegalStateException("platform fault during a guest access (a LibOS bug)", f);
        }
    }

    private RuntimeException platformFailure(EnclaveFault f, boolean write) {
        return switch (f.kind()) {
            case INTEGRITY -> fault(new GuestSignal.Bus(f.address(), GuestSignal.BUS_OBJERR), f.getMessage());
            case SIGBUS -> fault(new GuestSignal.Bus(f.address(), GuestSignal.BUS_ADRERR), f.getMessage());
            // the enclave's host task has a fatal signal pending (the driver gave up waiting for
            // EPC): the access cannot complete; the host process is going away anyway
            case KILLED -> fault(new GuestSignal.Bus(f.address(), GuestSignal.BUS_ADRERR), "host task killed: " + f.getMessage());
            case PAGE_FAULT -> fault(new GuestSignal.Segv(f.address(), true, write), f.getMessage());
            case GENERAL_PROTECTION, INVALID_OPCODE ->
                    new IllegalStateException("platform fault during a guest access (a LibOS bug)", f);
        };
    }

    private RuntimeException fault(GuestSignal s, String detail) {
        if (mode == AccessMode.KERNEL) {
            return Errno.EFAULT.exception("0x" + Long.toHexString(s.address()) + ": " + detail);
        }
        counters.signals.increment();
        return new GuestFault(s, detail);
    }
}
