package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveFault;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.StampedLock;

/**
 * The memory of one process in the shared user space (Occlum {@code process_vm.rs} plus the
 * process-facing half of {@code vm_manager.rs}): the memory syscalls with Linux semantics and
 * errnos, the brk heap, the stack and program images, and exit. Its VMAs live in a
 * {@link VmaTree} (O(log n), where Occlum scans a hash set of chunks); where new mappings go is
 * the {@link Placer}'s business, mremap's moves and in-place growth the {@link Remapper}'s.
 * This class validates arguments in Linux's order, takes the lock, and unmaps: write back,
 * clean (zero or give EPC back), and return address space to its chunk.
 *
 * <p>Locking: {@link #lock} (write) for every syscall; guest accesses ({@link GuestMemory}) hold
 * it for reading, so a page cannot be freed, cleaned and handed to another process while an
 * access to it is under way. Fields below are guarded by {@link #lock}. Order: this lock, arena
 * locks (by id), the address-space lock, commit-tracker stripes.
 */
public final class ProcessVm {
    /** x86_64 TASK_SIZE_MAX with 4-level paging: (1 << 47) - PAGE_SIZE (arch/x86/include/asm/page_64_types.h). */
    public static final long TASK_SIZE = (1L << 47) - Pages.SIZE;
    /** Default vm.mmap_min_addr on x86 (mm/Kconfig DEFAULT_MMAP_MIN_ADDR = 65536). */
    public static final long MMAP_MIN_ADDR = 65536;
    /** Flags accepted with MAP_SHARED_VALIDATE (include/linux/mman.h LEGACY_MAP_MASK, plus MAP_FIXED_NOREPLACE). */
    static final int VALIDATE_MASK = Mman.MAP_SHARED | Mman.MAP_PRIVATE | Mman.MAP_FIXED | Mman.MAP_ANONYMOUS
            | Mman.MAP_DENYWRITE | Mman.MAP_EXECUTABLE | Mman.MAP_UNINITIALIZED | Mman.MAP_GROWSDOWN | Mman.MAP_LOCKED
            | Mman.MAP_NORESERVE | Mman.MAP_POPULATE | Mman.MAP_NONBLOCK | Mman.MAP_STACK | Mman.MAP_HUGETLB
            | Mman.MAP_32BIT | Mman.MAP_ABOVE4G | Mman.MAP_HUGE_2MB | Mman.MAP_HUGE_1GB | Mman.MAP_FIXED_NOREPLACE;
    static final int RWX = Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC;
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;

    final UserSpace space;
    final int pid;
    final StampedLock lock = new StampedLock();
    private final AddressSpace as;
    private final VmEpc epc;
    private final long trimThreshold;

    /** The VMAs. */
    @GuardedBy("lock")
    final VmaTree vmas;
    final Placer placer;
    private final Remapper remapper;
    private final Syncer syncer;
    @GuardedBy("lock")
    private Chunk heap;
    @GuardedBy("lock")
    private long brk;
    @GuardedBy("lock")
    private long stackStart;
    @GuardedBy("lock")
    private long stackEnd;
    @GuardedBy("lock")
    private boolean exited;

    /** The kernel heap this process's VMA bookkeeping is charged to. */
    private final KernelHeap kernelHeap;
    private final Object vmaCharge = new Object();
    /** VMAs charged to the kernel heap (reserved ones included). */
    @GuardedBy("vmaCharge")
    private long vmasCharged;

    /** When an unmap gives EPC back. */
    enum GiveBack { NEVER, BY_SPAN, BY_VMA_SIZE }

    ProcessVm(UserSpace space, int pid) {
        this.space = space;
        this.pid = pid;
        this.as = space.addressSpace;
        this.epc = space.epc;
        this.trimThreshold = space.config.trimThresholdBytes();
        this.vmas = new VmaTree(as, pid);
        this.placer = new Placer(this);
        this.remapper = new Remapper(this);
        this.syncer = new Syncer(this);
        this.kernelHeap = space.kernelHeap();
    }

    // ==== kernel heap: VMA bookkeeping ===============================================================

    /** Charges the VMAs a new process starts with; ENOMEM when the kernel heap cannot hold them. */
    void chargeInitialVmas() {
        synchronized (vmaCharge) {
            long n = vmaCount();
            kernelHeap.charge(KernelHeap.Kind.VMA, n);
            vmasCharged += n;
        }
    }

    /**
     * Runs a memory call that may add up to {@code maxNew} VMAs: room for them is reserved in the
     * kernel heap first (ENOMEM, and the call does not run, when there is none, as Linux's
     * map_count limit fails a call before it changes anything), and afterwards the charge is
     * settled to the VMAs there are.
     */
    public <T> T withVmaCharge(int maxNew, java.util.function.Supplier<T> call) {
        synchronized (vmaCharge) {
            kernelHeap.charge(KernelHeap.Kind.VMA, maxNew);
            vmasCharged += maxNew;
        }
        try {
            return call.get();
        } finally {
            settleVmas();
        }
    }

    /** Brings the kernel heap's charge for this process's VMAs to the number there are (none once exited). */
    public void settleVmas() {
        synchronized (vmaCharge) {
            long now = vmaCount();
            kernelHeap.settle(KernelHeap.Kind.VMA, now - vmasCharged);
            vmasCharged = now;
        }
    }

    public int pid() {
        return pid;
    }

    // ==== lifecycle ==================================================================================

    /** Builds images, heap and stack; on failure everything built so far is released. */
    void build(ProcessVmSpec spec) {
        long stamp = lock.writeLock();
        try {
            for (ProcessVmSpec.ImageSpec img : spec.images()) {
                long size = Pages.up(img.size());
                Chunk c = placer.allocSingle(size);
                Piece p = new Piece(c.start, c.end, c);
                try {
                    epc.commitEagerly(c.region, c.start, c.end);
                    if (img.fileSize() > 0) {
                        epc.fillFromFile(c.region, c.start, img.fileSize(), img.content(), img.fileOffset());
                    }
                    epc.transition(c.region, c.start, c.end, VmEpc.base(c.region), VmEpc.epcm(c.region, img.prot() & RWX));
                } catch (RuntimeException e) {
                    rollback(List.of(p));
                    throw syscallFailure(e);
                }
                vmas.install(List.of(p), img.prot() & RWX, Mman.MAP_PRIVATE, null, 0, Vma.Kind.IMAGE);
            }
            if (spec.heapSize() > 0) {
                heap = as.allocate(spec.heapSize(), Chunk.Kind.HEAP, pid, null);
                if (heap == null) {
                    throw Errno.ENOMEM.exception("no room for a heap of " + spec.heapSize() + " bytes");
                }
                brk = heap.start;
            }
            Chunk c = placer.allocSingle(spec.stackSize());
            Piece p = new Piece(c.start, c.end, c);
            try {
                materialize(p, RW, null, true);
            } catch (RuntimeException e) {
                rollback(List.of(p));
                throw syscallFailure(e);
            }
            vmas.install(List.of(p), RW, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_GROWSDOWN | Mman.MAP_STACK, null, 0, Vma.Kind.STACK);
            stackStart = c.start;
            stackEnd = c.end;
        } catch (RuntimeException e) {
            exitLocked();
            throw e;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Releases all of this process's memory (process exit, or the old image at execve): shared
     * file mappings are written back (errors ignored, as at Linux exit), every page is cleaned,
     * chunks go back. Idempotent.
     */
    public void exit() {
        long stamp = lock.writeLock();
        try {
            exitLocked();
        } finally {
            lock.unlockWrite(stamp);
        }
        space.forget(this);
        settleVmas();
    }

    private void exitLocked() {
        if (exited) {
            return;
        }
        if (!vmas.isEmpty()) {
            removeRange(vmas.lowest(), vmas.highest(), false, GiveBack.BY_VMA_SIZE);
        }
        if (heap != null) {
            epc.giveBackFree(heap.region, heap.start, heap.end);
            as.release(heap);
            heap = null;
        }
        exited = true;
        vmas.generation++;
    }

    public boolean exited() {
        long stamp = lock.readLock();
        try {
            return exited;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    void ensureAlive() {
        if (exited) {
            throw new IllegalStateException("process " + pid + " has exited; its memory is gone");
        }
    }

    // ==== mmap =======================================================================================

    /**
     * mmap(2). {@code file} is the open file for a file mapping (the syscall layer resolved the
     * fd); it is ignored with MAP_ANONYMOUS. Returns the mapping's address.
     */
    public long mmap(long addr, long length, int prot, int flags, MappableFile file, long offset) {
        if (!Pages.isAligned(offset)) {
            throw Errno.EINVAL.exception("offset 0x" + Long.toHexString(offset) + " is not page aligned");
        }
        boolean anon = (flags & Mman.MAP_ANONYMOUS) != 0;
        if (!anon && file == null) {
            throw Errno.EBADF.exception("file mapping without an open file");
        }
        if (length == 0) {
            throw Errno.EINVAL.exception("length 0");
        }
        long len = Pages.up(length);
        if (len == 0 || Long.compareUnsigned(len, TASK_SIZE) > 0) {
            throw Errno.ENOMEM.exception("length 0x" + Long.toHexString(length) + " larger than the address space");
        }
        if (!anon && (offset < 0 || offset > Long.MAX_VALUE - len)) {
            throw Errno.EOVERFLOW.exception("offset + length overflows the file size limit");
        }
        boolean noreplace = (flags & Mman.MAP_FIXED_NOREPLACE) != 0;
        boolean fixed = noreplace || (flags & Mman.MAP_FIXED) != 0;
        if (fixed) {
            if (!Pages.isAligned(addr)) {
                throw Errno.EINVAL.exception("MAP_FIXED address 0x" + Long.toHexString(addr) + " is not page aligned");
            }
            if (Long.compareUnsigned(addr, MMAP_MIN_ADDR) < 0) {
                throw Errno.EPERM.exception("MAP_FIXED below vm.mmap_min_addr");
            }
            if (Long.compareUnsigned(addr, TASK_SIZE - len) > 0) {
                throw Errno.ENOMEM.exception("MAP_FIXED range beyond TASK_SIZE");
            }
        }
        int type = flags & Mman.MAP_TYPE;
        if (type != Mman.MAP_SHARED && type != Mman.MAP_PRIVATE && type != Mman.MAP_SHARED_VALIDATE) {
            throw Errno.EINVAL.exception("mapping type 0x" + Integer.toHexString(type) + " is not MAP_SHARED, MAP_PRIVATE or MAP_SHARED_VALIDATE");
        }
        boolean shared = type != Mman.MAP_PRIVATE;
        FileBacking fb = null;
        if (!anon) {
            if (type == Mman.MAP_SHARED_VALIDATE && (flags & ~VALIDATE_MASK) != 0) {
                throw Errno.EOPNOTSUPP.exception("MAP_SHARED_VALIDATE with unsupported flags 0x" + Integer.toHexString(flags & ~VALIDATE_MASK));
            }
            if (shared && (prot & Mman.PROT_WRITE) != 0 && !file.writable()) {
                throw Errno.EACCES.exception("MAP_SHARED with PROT_WRITE on a file not open for writing");
            }
            if (!file.readable()) {
                throw Errno.EACCES.exception("file not open for reading");
            }
            fb = new FileBacking(file, offset, shared);
        }
        int p = prot & RWX;
        int kept = (flags & (Mman.MAP_ANONYMOUS | Mman.MAP_GROWSDOWN | Mman.MAP_STACK | Mman.MAP_LOCKED))
                | (shared ? Mman.MAP_SHARED : Mman.MAP_PRIVATE);
        boolean populate = (flags & Mman.MAP_LOCKED) != 0
                || (flags & Mman.MAP_POPULATE) != 0 && (flags & Mman.MAP_NONBLOCK) == 0;
        long hint = fixed ? 0 : Pages.down(addr);

        long stamp = lock.writeLock();
        try {
            ensureAlive();
            if (fb != null && shared && !fixed) {
                SharedSegment seg = space.shared.attachFile(pid, file, offset, len, hint);
                if (seg != null) {
                    return mapSegment(seg, offset, len, p, kept, fb);
                }
                // the file's shared pages cannot hold this range: the process gets its own copy (Occlum's fallback)
            }
            List<Piece> pieces;
            if (fixed) {
                pieces = placer.placeFixed(addr, len, noreplace);
            } else {
                pieces = hint != 0 && Long.compareUnsigned(hint, MMAP_MIN_ADDR) >= 0 ? placer.placeHint(hint, len) : null;
                if (pieces == null) {
                    pieces = placer.placeAny(len, (flags & Mman.MAP_32BIT) != 0);
                }
            }
            long start = pieces.getFirst().start();
            try {
                for (Piece piece : pieces) {
                    materialize(piece, p, fb == null ? null : fb.advance(piece.start() - start), populate);
                }
            } catch (RuntimeException e) {
                rollback(pieces);
                throw syscallFailure(e);
            }
            vmas.install(pieces, p, kept, fb, start, Vma.Kind.MMAP);
            space.counters.mmaps.increment();
            return start;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Maps file offsets [off, off + len) of segment {@code seg}, to which this process is already
     * attached, at the segment's address for them. Parts this process maps already stay as they
     * are (one address per page: a second mapping of the same pages is the same mapping, with
     * the protection it has, as in Occlum); the rest get new VMAs.
     */
    private long mapSegment(SharedSegment seg, long off, long len, int prot, int flags, FileBacking fb) {
        long s = seg.addressOf(off);
        long e = s + len;
        long x = s;
        for (Vma v : vmas.in(s, e)) {
            if (v.start > x) {
                vmas.install(seg.pieces(x, v.start), prot, flags, fb.advance(x - s), x, Vma.Kind.MMAP);
            }
            x = v.end;
        }
        if (x < e) {
            vmas.install(seg.pieces(x, e), prot, flags, fb.advance(x - s), x, Vma.Kind.MMAP);
        }
        space.counters.mmaps.increment();
        return s;
    }

    /**
     * Attaches the whole of {@code seg} (a System V segment) with {@code prot}: EINVAL if this
     * process maps any of its addresses already, EIDRM if the segment is gone. Returns its address.
     */
    public long attachSegment(SharedSegment seg, int prot) {
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            if (!vmas.in(seg.start, seg.end).isEmpty()) {
                throw Errno.EINVAL.exception("the segment at 0x" + Long.toHexString(seg.start) + " is attached to this process already");
            }
            if (!space.shared.attach(seg, pid)) {
                throw Errno.EIDRM.exception("the segment was removed");
            }
            vmas.install(seg.pieces(seg.start, seg.end), prot & RWX, Mman.MAP_SHARED, null, seg.start, Vma.Kind.MMAP);
            return seg.start;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * shmdt: detaches the segment of {@code owner} mapped at exactly {@code addr} (its start);
     * EINVAL if none is.
     */
    public SharedSegment detachSegment(long addr, java.util.function.Predicate<SharedSegment> owned) {
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            Vma v = vmas.find(addr);
            if (v == null || !v.inSegment() || v.chunk.segment.start != addr || !owned.test(v.chunk.segment)) {
                throw Errno.EINVAL.exception("no System V segment is attached at 0x" + Long.toHexString(addr));
            }
            SharedSegment seg = v.chunk.segment;
            removeRange(seg.start, seg.end, false, GiveBack.NEVER);
            return seg;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Prepares a fresh piece (zero, committed pages at base permissions) for a VMA: with file
     * content or eager population every page is committed and filled; then the VMA's EPCM
     * permissions are applied to the committed pages.
     */
    void materialize(Piece p, int prot, FileBacking fb, boolean eager) {
        UserMemoryKind r = p.chunk().region;
        if (fb != null || eager) {
            epc.commitEagerly(r, p.start(), p.end());
            if (fb != null) {
                epc.fillFromFile(r, p.start(), p.end() - p.start(), fb.file(), fb.offset());
            }
        }
        epc.transition(r, p.start(), p.end(), VmEpc.base(r), VmEpc.epcm(r, prot));
    }

    /** Undoes {@link #materialize} of pieces that never got VMAs: cleans them and gives their space back. */
    void rollback(List<Piece> pieces) {
        for (Piece p : pieces) {
            UserMemoryKind r = p.chunk().region;
            epc.zero(r, p.start(), p.end());
            if (r == UserMemoryKind.USER_REGION && p.end() - p.start() >= trimThreshold) {
                epc.trim(p.start(), p.end());
            }
            switch (p.chunk().kind) {
                case SINGLE -> as.release(p.chunk());
                case MULTI -> {
                    Arena ar = p.chunk().arena;
                    ar.lock.lock();
                    try {
                        ar.freeLocked(p.chunk(), p.start(), p.end());
                    } finally {
                        ar.lock.unlock();
                    }
                }
                case HEAP -> {
                }
            }
        }
        vmas.generation++;
    }

    /** Platform failures during a syscall become errnos: no EPC left is ENOMEM, a lost page EFAULT. */
    static RuntimeException syscallFailure(RuntimeException e) {
        if (e instanceof EnclaveFault f) {
            if (f.kind() == EnclaveFault.Kind.SIGBUS) {
                return Errno.ENOMEM.exception("the platform has no EPC page: " + f.getMessage());
            }
            if (f.kind() == EnclaveFault.Kind.INTEGRITY) {
                return Errno.EFAULT.exception("a page the call must read cannot be brought back by the platform: " + f.getMessage());
            }
            return new IllegalStateException("platform fault while mapping memory", f);
        }
        return e;
    }

    // ==== munmap =====================================================================================

    /** munmap(2). */
    public void munmap(long addr, long length) {
        if (!Pages.isAligned(addr) || Long.compareUnsigned(addr, TASK_SIZE) > 0 || Long.compareUnsigned(length, TASK_SIZE - addr) > 0) {
            throw Errno.EINVAL.exception("munmap of 0x" + Long.toHexString(addr) + "+0x" + Long.toHexString(length));
        }
        long len = Pages.up(length);
        if (len == 0) {
            throw Errno.EINVAL.exception("length 0");
        }
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            removeRange(addr, addr + len, false, GiveBack.BY_SPAN);
            space.counters.munmaps.increment();
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Removes this process's mappings in [s, e): shared file parts are written back (errors
     * ignored, as munmap never fails on them in Linux), pages are cleaned (zeroed, or given back
     * per {@code gb}), remaining parts of cut VMAs stay. With {@code keep}, the address space
     * stays this process's (MAP_FIXED reuses it) instead of going back to the free spaces.
     */
    void removeRange(long s, long e, boolean keep, GiveBack gb) {
        List<Vma> hit = vmas.in(s, e);
        if (hit.isEmpty()) {
            return;
        }
        vmas.generation++;
        boolean spanLarge = e - s >= trimThreshold;
        List<long[]> trims = List.of();
        List<SharedSegment> segments = List.of();
        for (Vma v : hit) {
            long is = Math.max(s, v.start);
            long ie = Math.min(e, v.end);
            if (v.inSegment()) {
                // the pages stay: they are the segment's (other processes may map them)
                try {
                    v.chunk.segment.writeBack(is, ie);
                } catch (ErrnoException ignored) {
                    // as below: munmap and exit never report write-back errors
                }
                if (!segments.contains(v.chunk.segment)) {
                    segments = segments.isEmpty() ? new ArrayList<>() : segments;
                    segments.add(v.chunk.segment);
                }
                continue;
            }
            int prot = v.prot;
            if (v.sharedFile()) {
                if (epc.edmm && VmEpc.hw(prot) == 0) {
                    epc.transition(v.region, is, ie, VmEpc.epcm(v.region, prot), VmEpc.base(v.region));
                    prot = RW;
                }
                try {
                    epc.writeBack(v, is, ie);
                } catch (ErrnoException ignored) {
                    // Linux munmap/exit never report write-back errors; the data is lost like a failed writeback
                }
            }
            boolean give = v.region == UserMemoryKind.USER_REGION && switch (gb) {
                case NEVER -> false;
                case BY_SPAN -> spanLarge;
                case BY_VMA_SIZE -> v.size() >= trimThreshold;
            };
            if (give) {
                if (!trims.isEmpty() && trims.getLast()[1] == is) {
                    trims.getLast()[1] = ie;
                } else {
                    if (trims.isEmpty()) {
                        trims = new ArrayList<>();
                    }
                    trims.add(new long[] {is, ie});
                }
            } else {
                epc.scrub(v.region, is, ie, prot, false);
            }
        }
        for (long[] t : trims) {
            epc.trim(t[0], t[1]);
        }
        // the lists are made only when needed: a munmap of (part of) one VMA of an arena chunk, the
        // common case, allocates none of them
        List<Chunk> removed = null;
        List<Chunk> added = null;
        List<long[]> freed = null;
        Chunk soleChunk = null;   // the one arena free when there is only one
        long soleStart = 0;
        long soleEnd = 0;
        List<ArenaFree> arenaFrees = null;
        for (Vma v : hit) {
            long is = Math.max(s, v.start);
            long ie = Math.min(e, v.end);
            // a left part keeps the VMA's start: it takes the VMA's place in the tree
            switch (v.chunk.kind) {
                case SINGLE -> {
                    if (removed == null) {
                        removed = new ArrayList<>(hit.size());
                        added = new ArrayList<>(2);
                        freed = new ArrayList<>(1);
                    }
                    removed.add(v.chunk);
                    if (v.start < is) {
                        Chunk lc = new Chunk(v.start, is, Chunk.Kind.SINGLE, v.region, pid, null);
                        added.add(lc);
                        vmas.replace(v, v.slice(v.start, is, lc));
                    } else {
                        vmas.retire(v);
                    }
                    if (ie < v.end) {
                        Chunk rc = new Chunk(ie, v.end, Chunk.Kind.SINGLE, v.region, pid, null);
                        added.add(rc);
                        vmas.put(v.slice(ie, v.end, rc));
                    }
                    if (keep) {
                        added.add(new Chunk(is, ie, Chunk.Kind.SINGLE, v.region, pid, null));
                    } else {
                        freed.add(new long[] {is, ie});
                    }
                }
                case MULTI, HEAP, SHARED -> {
                    if (v.start < is) {
                        vmas.replace(v, v.slice(v.start, is, v.chunk));
                    } else {
                        vmas.retire(v);
                    }
                    if (ie < v.end) {
                        vmas.put(v.slice(ie, v.end, v.chunk));
                    }
                    if (!keep && v.chunk.kind == Chunk.Kind.MULTI) {
                        if (soleChunk == null && arenaFrees == null) {
                            soleChunk = v.chunk;
                            soleStart = is;
                            soleEnd = ie;
                        } else {
                            if (arenaFrees == null) {
                                arenaFrees = new ArrayList<>(hit.size());
                                arenaFrees.add(new ArenaFree(soleChunk, soleStart, soleEnd));
                                soleChunk = null;
                            }
                            arenaFrees.add(new ArenaFree(v.chunk, is, ie));
                        }
                    }
                }
            }
        }
        if (removed != null) {
            as.replace(removed, added, freed);
        }
        for (SharedSegment seg : segments) {
            if (vmas.in(seg.start, seg.end).isEmpty()) {
                space.shared.detach(seg, pid);
            }
        }
        if (soleChunk != null) {
            Arena arena = soleChunk.arena;
            arena.lock.lock();
            try {
                arena.freeLocked(soleChunk, soleStart, soleEnd);
            } finally {
                arena.lock.unlock();
            }
            return;
        }
        if (arenaFrees == null) {
            return;
        }
        arenaFrees.sort(Comparator.comparingInt(x -> x.chunk().arena.id));
        Arena locked = null;
        try {
            for (ArenaFree f : arenaFrees) {
                Chunk c = f.chunk();
                if (locked != c.arena) {
                    if (locked != null) {
                        locked.lock.unlock();
                    }
                    locked = c.arena;
                    locked.lock.lock();
                }
                locked.freeLocked(c, f.start(), f.end());
            }
        } finally {
            if (locked != null) {
                locked.lock.unlock();
            }
        }
    }

    /** A range [start, end) of arena chunk {@code chunk} to free after the VMAs are removed. */
    private record ArenaFree(Chunk chunk, long start, long end) {
    }

    // ==== mprotect ===================================================================================

    /** mprotect(2): all or nothing (Linux changes the VMAs before a hole, then fails). */
    public void mprotect(long addr, long length, int prot) {
        int grows = prot & (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP);
        prot &= ~grows;
        if (grows == (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)) {
            throw Errno.EINVAL.exception("PROT_GROWSDOWN and PROT_GROWSUP together");
        }
        if (!Pages.isAligned(addr)) {
            throw Errno.EINVAL.exception("address 0x" + Long.toHexString(addr) + " is not page aligned");
        }
        if (length == 0) {
            return;
        }
        long len = Pages.up(length);
        long end = addr + len;
        if (len == 0 || Long.compareUnsigned(end, addr) <= 0) {
            throw Errno.ENOMEM.exception("range wraps around");
        }
        if ((prot & ~(RWX | Mman.PROT_SEM)) != 0) {
            throw Errno.EINVAL.exception("unknown prot bits 0x" + Integer.toHexString(prot & ~(RWX | Mman.PROT_SEM)));
        }
        int p = prot & RWX;
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            List<Vma> hit = vmas.in(addr, end);
            if (hit.isEmpty()) {
                throw Errno.ENOMEM.exception("nothing mapped at 0x" + Long.toHexString(addr));
            }
            long start = addr;
            if ((grows & Mman.PROT_GROWSDOWN) != 0) {
                if ((hit.getFirst().flags & Mman.MAP_GROWSDOWN) == 0) {
                    throw Errno.EINVAL.exception("PROT_GROWSDOWN on a mapping that does not grow down");
                }
                start = hit.getFirst().start;
            } else if ((grows & Mman.PROT_GROWSUP) != 0) {
                throw Errno.EINVAL.exception("PROT_GROWSUP: no mapping grows up on x86_64");
            }
            long x = start;
            for (Vma v : hit) {
                if (v.start > x) {
                    throw Errno.ENOMEM.exception("unmapped hole at 0x" + Long.toHexString(x));
                }
                x = v.end;
                if (v.sharedFile() && (p & Mman.PROT_WRITE) != 0 && !v.file.file().writable()) {
                    throw Errno.EACCES.exception("PROT_WRITE on a shared mapping of a file not open for writing");
                }
            }
            if (x < end) {
                throw Errno.ENOMEM.exception("unmapped hole at 0x" + Long.toHexString(x));
            }
            List<Chunk> removed = new ArrayList<>();
            List<Chunk> added = new ArrayList<>();
            for (Vma v : hit) {
                if (v.prot == p) {
                    continue;
                }
                long is = Math.max(start, v.start);
                long ie = Math.min(end, v.end);
                if (!v.inSegment()) {
                    epc.transition(v.region, is, ie, VmEpc.epcm(v.region, v.prot), VmEpc.epcm(v.region, p));
                }
                vmas.retire(v);
                List<long[]> parts = new ArrayList<>();
                if (v.start < is) {
                    parts.add(new long[] {v.start, is, v.prot});
                }
                parts.add(new long[] {is, ie, p});
                if (ie < v.end) {
                    parts.add(new long[] {ie, v.end, v.prot});
                }
                if (v.chunk.kind == Chunk.Kind.SINGLE) {
                    removed.add(v.chunk);
                }
                for (long[] part : parts) {
                    Chunk c = v.chunk;
                    if (c.kind == Chunk.Kind.SINGLE) {
                        c = new Chunk(part[0], part[1], Chunk.Kind.SINGLE, v.region, pid, null);
                        added.add(c);
                    }
                    Vma n = v.slice(part[0], part[1], c);
                    vmas.put((int) part[2] == v.prot ? n : n.withProt((int) part[2], c));
                }
            }
            if (!removed.isEmpty()) {
                as.replace(removed, added, List.of());
            }
            vmas.generation++;
            vmas.mergeAround(start, end);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    // ==== mremap =====================================================================================

    /** mremap(2). Returns the (possibly new) address. */
    public long mremap(long oldAddr, long oldSize, long newSize, int flags, long newAddr) {
        if ((flags & ~(Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP)) != 0) {
            throw Errno.EINVAL.exception("unknown mremap flags 0x" + Integer.toHexString(flags));
        }
        boolean maymove = (flags & Mman.MREMAP_MAYMOVE) != 0;
        boolean fixed = (flags & Mman.MREMAP_FIXED) != 0;
        boolean dontunmap = (flags & Mman.MREMAP_DONTUNMAP) != 0;
        if (fixed && !maymove) {
            throw Errno.EINVAL.exception("MREMAP_FIXED without MREMAP_MAYMOVE");
        }
        if (dontunmap && (!maymove || oldSize != newSize)) {
            throw Errno.EINVAL.exception("MREMAP_DONTUNMAP needs MREMAP_MAYMOVE and equal sizes");
        }
        if (!Pages.isAligned(oldAddr)) {
            throw Errno.EINVAL.exception("old address 0x" + Long.toHexString(oldAddr) + " is not page aligned");
        }
        long oldLen = Pages.up(oldSize);
        long newLen = Pages.up(newSize);
        if (newLen == 0) {
            throw Errno.EINVAL.exception("new size 0");
        }
        if (oldLen == 0) {
            throw Errno.EINVAL.exception("old size 0 (duplicating a shared mapping is not supported)");
        }
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            Vma at = vmas.find(oldAddr);
            if (at == null) {
                throw Errno.EFAULT.exception("nothing mapped at 0x" + Long.toHexString(oldAddr));
            }
            if (at.inSegment() && at.file == null && (fixed || dontunmap || Long.compareUnsigned(newLen, oldLen) > 0)) {
                throw Errno.EINVAL.exception("a System V segment cannot move or grow: every process maps it at 0x"
                        + Long.toHexString(at.chunk.segment.start));
            }
            if (fixed || dontunmap) {
                return remapper.remapTo(oldAddr, oldLen, newLen, fixed, dontunmap, newAddr);
            }
            if (Long.compareUnsigned(oldLen, newLen) >= 0) {
                if (oldLen != newLen) {
                    removeRange(oldAddr + newLen, oldAddr + oldLen, false, GiveBack.BY_SPAN);
                }
                return oldAddr;
            }
            List<Vma> run = vmas.run(oldAddr, oldAddr + oldLen);
            if (run == null) {
                throw Errno.EFAULT.exception("old range is not inside one mapping");
            }
            Vma last = run.getLast();
            if (oldAddr + oldLen == last.end && remapper.growInPlace(last, newLen - oldLen)) {
                return oldAddr;
            }
            if (!maymove) {
                throw Errno.ENOMEM.exception("cannot grow in place and MREMAP_MAYMOVE not given");
            }
            List<Piece> dest = placer.placeAny(newLen, false);
            return remapper.move(run, oldAddr, oldLen, newLen, dest, false);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    // ==== brk ========================================================================================

    /** brk(2): returns the new break, or the current one when the request cannot be met (never an error). */
    public long brk(long addr) {
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            if (heap == null || Long.compareUnsigned(addr, heap.start) < 0 || Long.compareUnsigned(addr, heap.end) > 0) {
                return brk;
            }
            long newTop = Pages.up(addr);
            long oldTop = Pages.up(brk);
            if (newTop == oldTop) {
                brk = addr;
                return addr;
            }
            if (addr < brk) {
                removeRange(newTop, oldTop, false, GiveBack.BY_SPAN);
                brk = addr;
                return addr;
            }
            // Linux keeps a guard page between the break and the next mapping (do_brk checks vm_start_gap)
            if (!vmas.in(oldTop, Math.min(heap.end, newTop + Pages.SIZE)).isEmpty()) {
                return brk;
            }
            Piece p = new Piece(oldTop, newTop, heap);
            materialize(p, RW, null, false);
            vmas.install(List.of(p), RW, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, null, oldTop, Vma.Kind.HEAP);
            brk = addr;
            return addr;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Start of the heap (initial break), 0 without a heap. */
    public long heapStart() {
        long stamp = lock.readLock();
        try {
            return heap == null ? 0 : heap.start;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** The current break. */
    public long currentBrk() {
        long stamp = lock.readLock();
        try {
            return brk;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** [start, end) of the main stack; the initial stack pointer is the end. */
    public long stackStart() {
        long stamp = lock.readLock();
        try {
            return stackStart;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    public long stackEnd() {
        long stamp = lock.readLock();
        try {
            return stackEnd;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    // ==== msync, fsync =====================================================================================

    /**
     * msync(2): writes the modified pages of shared file mappings in the range back to their
     * files; see {@link Syncer#msync}.
     */
    public void msync(long addr, long length, int flags) {
        syncer.msync(addr, length, flags);
    }

    /** fsync/fdatasync of a file: see {@link Syncer#syncFile}. */
    public void syncFile(Object identity) {
        syncer.syncFile(identity);
    }

    // ==== madvise ====================================================================================

    /** madvise(2). */
    public void madvise(long addr, long length, int advice) {
        if (!validAdvice(advice)) {
            throw Errno.EINVAL.exception("advice " + advice + " is not supported");
        }
        if (!Pages.isAligned(addr)) {
            throw Errno.EINVAL.exception("address 0x" + Long.toHexString(addr) + " is not page aligned");
        }
        long len = Pages.up(length);
        if (length != 0 && len == 0) {
            throw Errno.EINVAL.exception("length wraps around");
        }
        long end = addr + len;
        if (Long.compareUnsigned(end, addr) < 0) {
            throw Errno.EINVAL.exception("range wraps around");
        }
        if (len == 0) {
            return;
        }
        if (advice == Mman.MADV_HWPOISON || advice == Mman.MADV_SOFT_OFFLINE) {
            throw Errno.EPERM.exception("memory-failure injection needs CAP_SYS_ADMIN");
        }
        long stamp = lock.writeLock();
        try {
            ensureAlive();
            List<Vma> hit = vmas.in(addr, end);
            long x = addr;
            boolean hole = false;
            for (Vma v : hit) {
                hole |= v.start > x;
                x = v.end;
            }
            hole |= x < end;
            for (Vma v : hit) {
                long is = Math.max(addr, v.start);
                long ie = Math.min(end, v.end);
                switch (advice) {
                    case Mman.MADV_DONTNEED, Mman.MADV_DONTNEED_LOCKED -> {
                        if (advice == Mman.MADV_DONTNEED && (v.flags & Mman.MAP_LOCKED) != 0) {
                            throw Errno.EINVAL.exception("MADV_DONTNEED on a locked mapping");
                        }
                        dropContents(v, is, ie, v.prot, end - addr >= trimThreshold);
                    }
                    case Mman.MADV_FREE -> {
                        if (v.file != null) {
                            throw Errno.EINVAL.exception("MADV_FREE on a file mapping");
                        }
                        dropContents(v, is, ie, v.prot, end - addr >= trimThreshold);
                    }
                    case Mman.MADV_REMOVE -> {
                        if (v.file == null || (v.flags & Mman.MAP_LOCKED) != 0) {
                            throw Errno.EINVAL.exception("MADV_REMOVE needs an unlocked file mapping");
                        }
                        if (!v.sharedFile() || !v.writable()) {
                            throw Errno.EACCES.exception("MADV_REMOVE needs a shared writable mapping");
                        }
                        throw Errno.EOPNOTSUPP.exception("the file system cannot punch holes");
                    }
                    case Mman.MADV_WILLNEED, Mman.MADV_POPULATE_READ, Mman.MADV_POPULATE_WRITE -> {
                        boolean ok = advice == Mman.MADV_POPULATE_WRITE ? v.writable() : v.readable();
                        if (!ok) {
                            if (advice != Mman.MADV_WILLNEED) {
                                throw Errno.EFAULT.exception("populating a mapping that does not allow the access");
                            }
                            continue;
                        }
                        if (epc.edmm && v.region == UserMemoryKind.USER_REGION) {
                            try {
                                space.counters.pagesCommittedEagerly.add(epc.commit(is, ie, VmEpc.epcm(v.region, v.epcmProt())));
                            } catch (EnclaveFault f) {
                                if (advice == Mman.MADV_WILLNEED) {
                                    continue;
                                }
                                throw Errno.ENOMEM.exception("no EPC to populate: " + f.getMessage());
                            }
                        }
                    }
                    default -> {
                        // access-pattern, fork, KSM, THP, dump and reclaim hints: nothing to do here
                    }
                }
            }
            vmas.generation++;
            if (hole) {
                throw Errno.ENOMEM.exception("part of the range is not mapped");
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private static boolean validAdvice(int a) {
        return a >= Mman.MADV_NORMAL && a <= Mman.MADV_DONTNEED
                || a >= Mman.MADV_FREE && a <= Mman.MADV_COLLAPSE
                || a == Mman.MADV_HWPOISON || a == Mman.MADV_SOFT_OFFLINE;
    }

    void dropContents(Vma v, long s, long e, int protNow) {
        dropContents(v, s, e, protNow, false);
    }

    /**
     * MADV_DONTNEED semantics for [s, e) of {@code v} whose EPCM currently matches
     * {@code protNow}: private anonymous memory reads as zero afterwards (its EPC given back when
     * {@code giveBack}), a private file mapping is re-read from the file, a shared file mapping
     * keeps its contents (they are the file's).
     */
    private void dropContents(Vma v, long s, long e, int protNow, boolean giveBack) {
        if (v.sharedFile() || v.inSegment()) {
            return;
        }
        UserMemoryKind r = v.region;
        if (v.file == null && r == UserMemoryKind.USER_REGION && giveBack) {
            epc.trim(s, e);
            return;
        }
        long now = VmEpc.epcm(r, protNow);
        long target = VmEpc.epcm(r, v.prot);
        epc.transition(r, s, e, now, VmEpc.base(r));
        epc.zero(r, s, e);
        if (v.file != null) {
            epc.commitEagerly(r, s, e);
            epc.fillFromFile(r, s, e - s, v.file.file(), v.file.offset() + (s - v.start));
        }
        epc.transition(r, s, e, VmEpc.base(r), target);
    }

    // ==== inspection =================================================================================

    /** This process's mappings in address order (a snapshot). */
    public List<Mapping> mappings() {
        long stamp = lock.readLock();
        try {
            List<Mapping> out = new ArrayList<>(vmas.size());
            for (Vma v : vmas.values()) {
                String name = v.file != null ? v.file.file().path() : v.inSegment() ? v.chunk.segment.label : null;
                out.add(new Mapping(v.start, v.end, v.prot, v.flags, v.kind.name().toLowerCase(java.util.Locale.ROOT),
                        v.file == null ? null : v.file.file().identity(), v.file == null ? 0 : v.file.offset(), name));
            }
            return out;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Number of VMAs (an optimistic read of one field: every memory call reads it to settle its kernel-heap charge). */
    public int vmaCount() {
        long optimistic = lock.tryOptimisticRead();
        if (optimistic != 0) {
            int n = vmas.size();
            if (lock.validate(optimistic)) {
                return n;
            }
        }
        long stamp = lock.readLock();
        try {
            return vmas.size();
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** A new accessor for guest memory; give each guest thread its own (it caches a translation). */
    public GuestMemory memory(AccessMode mode) {
        return new GuestMemory(this, mode);
    }

    /** For the invariant checker: the VMAs (caller holds the lock). */
    List<Vma> vmasLocked() {
        return vmas.values();
    }

    /** The VMA containing {@code address}, or null (caller holds the lock in either mode). */
    Vma find(long address) {
        return vmas.find(address);
    }

    Chunk heapLocked() {
        return heap;
    }

    boolean exitedLocked() {
        return exited;
    }

    @Override
    public String toString() {
        return "ProcessVm[pid " + pid + "]";
    }
}
