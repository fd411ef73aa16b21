package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.Pages;

import java.util.List;

/**
 * mremap's machinery (Occlum's table of optional mmap plus optional munmap, done here without
 * its bugs): growing a mapping in place when the space right after it is free in its chunk (or
 * globally for a single-VMA chunk), and moving a mapping by copying only its possibly non-zero
 * pages, filling a file-backed growth from the file, then unmapping the source or, with
 * MREMAP_DONTUNMAP, dropping its contents. Failures leave the source as it was.
 *
 * <p>Called with the process's write lock held.
 */
final class Remapper {
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;

    private final ProcessVm vm;
    private final AddressSpace as;
    private final VmEpc epc;
    private final int pid;
    private final long trimThreshold;

    Remapper(ProcessVm vm) {
        this.vm = vm;
        this.as = vm.space.addressSpace;
        this.epc = vm.space.epc;
        this.pid = vm.pid;
        this.trimThreshold = vm.space.config.trimThresholdBytes();
    }

    long remapTo(long oldAddr, long oldLen, long newLen, boolean fixed, boolean dontunmap, long newAddr) {
        long copyLen = Math.min(oldLen, newLen);
        if (fixed) {
            if (!Pages.isAligned(newAddr)) {
                throw Errno.EINVAL.exception("new address 0x" + Long.toHexString(newAddr) + " is not page aligned");
            }
            if (Long.compareUnsigned(newLen, ProcessVm.TASK_SIZE) > 0 || Long.compareUnsigned(newAddr, ProcessVm.TASK_SIZE - newLen) > 0) {
                throw Errno.EINVAL.exception("new range beyond TASK_SIZE");
            }
            if (oldAddr + oldLen > newAddr && newAddr + newLen > oldAddr) {
                throw Errno.EINVAL.exception("old and new ranges overlap");
            }
        }
        List<Vma> run = vm.vmas.run(oldAddr, oldAddr + copyLen);
        if (run == null) {
            throw Errno.EFAULT.exception("old range is not inside one mapping");
        }
        List<Piece> dest = fixed ? vm.placer.placeFixed(newAddr, newLen, false) : vm.placer.placeAny(newLen, false);
        if (oldLen > newLen) {
            vm.removeRange(oldAddr + newLen, oldAddr + oldLen, false, ProcessVm.GiveBack.BY_SPAN);
        }
        // placeFixed may have cut VMAs next to the old range; look it up again
        run = vm.vmas.run(oldAddr, oldAddr + copyLen);
        return move(run, oldAddr, copyLen, newLen, dest, dontunmap);
    }

    /** Grows {@code last} at its end by {@code delta} bytes if the space right after it is free in its chunk (or, for a single-VMA chunk, globally). */
    boolean growInPlace(Vma last, long delta) {
        long s = last.end;
        long e = s + delta;
        if (Long.compareUnsigned(e, s) <= 0 || Long.compareUnsigned(e, ProcessVm.TASK_SIZE) > 0) {
            return false;
        }
        Chunk c = last.chunk;
        Piece ext;
        switch (c.kind) {
            case MULTI -> {
                if (e > c.end) {
                    return false;
                }
                c.arena.lock.lock();
                try {
                    if (!c.arena.allocExactLocked(c, s, e)) {
                        return false;
                    }
                } finally {
                    c.arena.lock.unlock();
                }
                ext = new Piece(s, e, c);
            }
            case SINGLE -> {
                if (as.layout.regionOf(s) != last.region) {
                    return false;
                }
                Chunk x = as.allocateExact(s, e, Chunk.Kind.SINGLE, pid, null);
                if (x == null) {
                    return false;
                }
                ext = new Piece(s, e, x);
            }
            case HEAP -> {
                if (e > c.end || !vm.vmas.in(s, e).isEmpty()) {
                    return false;
                }
                ext = new Piece(s, e, c);
            }
            case SHARED -> {
                // a view of a file's shared pages grows over the next pages of the file (the segment grows if need be)
                SharedSegment seg = c.segment;
                if (last.file == null || !vm.vmas.in(s, e).isEmpty() || !vm.space.shared.grow(seg, e)) {
                    return false;
                }
                vm.vmas.install(seg.pieces(s, e), last.prot, last.flags, last.file.advance(s - last.start), s, last.kind);
                return true;
            }
            default -> throw new IllegalStateException();
        }
        try {
            vm.materialize(ext, last.prot, last.file == null ? null : last.file.advance(s - last.start), false);
        } catch (RuntimeException ex) {
            vm.rollback(List.of(ext));
            throw ProcessVm.syscallFailure(ex);
        }
        Chunk nc = c;
        if (c.kind == Chunk.Kind.SINGLE) {
            nc = new Chunk(last.start, e, Chunk.Kind.SINGLE, last.region, pid, null);
            as.replace(List.of(c, ext.chunk()), List.of(nc), List.of());
        }
        vm.vmas.retire(last);
        vm.vmas.put(last.resized(e, nc));
        vm.vmas.generation++;
        vm.vmas.mergeAround(last.start, e);
        return true;
    }

    /**
     * Moves [src, src + srcLen) of mapping {@code run} to the fresh {@code dest} pieces of
     * {@code newLen} bytes: copies the possibly non-zero pages (committed or dirty; untouched
     * pages stay uncommitted), fills a file-backed growth from the file, then unmaps the source
     * (or, with DONTUNMAP, drops its contents as MADV_DONTNEED would).
     */
    long move(List<Vma> run, long src, long srcLen, long newLen, List<Piece> dest, boolean dontunmap) {
        Vma proto = run.getFirst();
        int prot = proto.prot;
        FileBacking fb = proto.file == null ? null : proto.file.advance(src - proto.start);
        long dstStart = dest.getFirst().start();
        // PROT_NONE private pages hold no EPCM permissions: opened for the copy, closed again after it.
        // A shared segment's pages keep read-write permissions for every sharer (the VM enforces the
        // VMA's prot), so they are left alone.
        boolean srcNone = epc.edmm && VmEpc.hw(prot) == 0 && !proto.inSegment();
        for (Vma v : run) {
            long is = Math.max(src, v.start);
            long ie = Math.min(src + srcLen, v.end);
            if (srcNone) {
                epc.transition(v.region, is, ie, VmEpc.epcm(v.region, prot), VmEpc.base(v.region));
            }
            if (v.sharedFile()) {
                try {
                    epc.writeBack(v, is, ie);
                } catch (ErrnoException ignored) {
                    // as at munmap: a failed write-back loses the data, the move goes on
                }
            }
        }
        try {
            for (Piece d : dest) {
                UserMemoryKind dr = d.chunk().region;
                long cs = d.start();
                long ce = Math.min(d.end(), dstStart + srcLen);
                for (Vma v : run) {
                    long ss = Math.max(v.start, src + (cs - dstStart));
                    long se = Math.min(v.end, src + (ce - dstStart));
                    if (ss < se) {
                        epc.copy(v.region, ss, dr, dstStart + (ss - src), se - ss);
                    }
                }
                long gs = Math.max(d.start(), dstStart + srcLen);
                if (fb != null && gs < d.end()) {
                    // a grown file mapping (private or shared) shows the file there, not zeros
                    epc.commitEagerly(dr, gs, d.end());
                    epc.fillFromFile(dr, gs, d.end() - gs, fb.file(), fb.offset() + (gs - dstStart));
                }
                epc.transition(dr, d.start(), d.end(), VmEpc.base(dr), VmEpc.epcm(dr, prot));
            }
        } catch (RuntimeException e) {
            vm.rollback(dest);
            if (srcNone) {
                for (Vma v : run) {
                    long is = Math.max(src, v.start);
                    long ie = Math.min(src + srcLen, v.end);
                    epc.transition(v.region, is, ie, VmEpc.base(v.region), VmEpc.epcm(v.region, prot));
                }
            }
            throw ProcessVm.syscallFailure(e);
        }
        Vma.Kind kind = proto.kind == Vma.Kind.HEAP ? Vma.Kind.MMAP : proto.kind;
        if (dontunmap) {
            for (Vma v : run) {
                long is = Math.max(src, v.start);
                long ie = Math.min(src + srcLen, v.end);
                // dropContents leaves the pages at the VMA's permissions; opened ones are at the base now
                vm.dropContents(v, is, ie, srcNone ? RW : v.prot);
            }
            vm.vmas.generation++;
        } else {
            vm.removeRange(src, src + srcLen, false, srcLen >= trimThreshold ? ProcessVm.GiveBack.BY_SPAN : ProcessVm.GiveBack.NEVER);
        }
        vm.vmas.install(dest, prot, proto.flags, fb, dstStart, kind);
        return dstStart;
    }

}
