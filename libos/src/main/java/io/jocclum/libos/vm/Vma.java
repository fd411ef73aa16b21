package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.Pages;

/**
 * One mapping of one process (Occlum {@code vm_area.rs}): a page-aligned range, its Linux
 * protection, the mmap flags that matter later, an optional file backing, and its container
 * chunk. Immutable except {@link #alive}: every change (split, resize, mprotect, merge) builds
 * new objects and retires the old one (a cached translation notices through
 * {@link VmaTree#generation}).
 *
 * <p>{@link #alive} is guarded by the owning process's lock; {@link #modified} is updated
 * atomically by writers holding the read lock.
 */
final class Vma {
    /** What the mapping is for (reporting only, like /proc/PID/maps labels). */
    enum Kind { MMAP, HEAP, STACK, IMAGE }

    /** mmap flags kept on a VMA: they decide mergeability and are reported. */
    static final int KEPT_FLAGS = Mman.MAP_SHARED | Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_GROWSDOWN
            | Mman.MAP_STACK | Mman.MAP_LOCKED;

    final long start;
    final long end;
    /** PROT_READ | PROT_WRITE | PROT_EXEC bits as the guest set them. */
    final int prot;
    final int flags;
    final FileBacking file;
    final Chunk chunk;
    final UserMemoryKind region;
    final Kind kind;
    /** Shared file mappings: pages written since the last write-back; null otherwise. */
    final PageBits modified;
    final FaultStream stream = new FaultStream();
    /**
     * Set false when the VMA leaves its process's map, so that the invariant checker finds a
     * retired VMA still in the map; the neighbours a new anonymous mapping absorbs
     * ({@code VmaTree.mergePlain}) are left as they are, as reading them costs a cache miss each.
     */
    @GuardedBy("process.lock")
    boolean alive = true;

    Vma(long start, long end, int prot, int flags, FileBacking file, Chunk chunk, UserMemoryKind region, Kind kind, PageBits modified) {
        if (start >= end || !Pages.isAligned(start | end)) {
            throw new IllegalArgumentException("bad VMA range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end));
        }
        this.start = start;
        this.end = end;
        this.prot = prot;
        this.flags = flags;
        this.file = file;
        this.chunk = chunk;
        this.region = region;
        this.kind = kind;
        this.modified = file != null && file.shared() && chunk.kind != Chunk.Kind.SHARED ? (modified != null ? modified : new PageBits(Pages.count(end - start))) : null;
    }

    long size() {
        return end - start;
    }

    /** x86: any of PROT_READ, PROT_WRITE, PROT_EXEC makes a page readable. */
    boolean readable() {
        return (prot & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0;
    }

    boolean writable() {
        return (prot & Mman.PROT_WRITE) != 0;
    }

    /** The VMA maps a {@link SharedSegment}: its pages are shared with other processes. */
    boolean inSegment() {
        return chunk.kind == Chunk.Kind.SHARED;
    }

    /**
     * The protection its committed pages have in the EPCM: the VMA's own, except in a shared
     * segment, whose pages stay read-write for every sharer (each process's protection is
     * enforced on its accesses, as Occlum's shared chunks do).
     */
    int epcmProt() {
        return inSegment() ? Mman.PROT_READ | Mman.PROT_WRITE : prot;
    }

    boolean sharedFile() {
        return file != null && file.shared();
    }

    /** The part [s, e) as a new VMA in chunk {@code c}. */
    Vma slice(long s, long e, Chunk c) {
        return new Vma(s, e, prot, flags, file == null ? null : file.advance(s - start), c, region, kind,
                modified == null ? null : modified.slice(Pages.index(s - start), Pages.index(e - start)));
    }

    Vma withProt(int p, Chunk c) {
        return new Vma(start, end, p, flags, file, c, region, kind, modified == null ? null : modified.slice(0, modified.pages()));
    }

    /** This VMA grown or shrunk at its end to {@code newEnd}, in chunk {@code c}. */
    Vma resized(long newEnd, Chunk c) {
        return new Vma(start, newEnd, prot, flags, file, c, region, kind,
                modified == null ? null : modified.resized(Pages.count(newEnd - start)));
    }

    /** Same attributes and backing continuity, so {@code this} followed by {@code next} can be one VMA. */
    boolean sameMapping(Vma next) {
        if (end != next.start || prot != next.prot || flags != next.flags || kind != next.kind || region != next.region) {
            return false;
        }
        if (file == null || next.file == null) {
            return file == null && next.file == null;
        }
        boolean oneSegment = inSegment() && next.inSegment() && chunk.segment == next.chunk.segment;
        return file.shared() == next.file.shared()
                && (file.shared() && !oneSegment ? file.file() == next.file.file() : file.file().identity().equals(next.file.file().identity()))
                && file.offset() + size() == next.file.offset();
    }

    /** Can merge with {@code next} into one VMA: same mapping and a chunk arrangement that allows it. */
    boolean canMerge(Vma next) {
        if (!sameMapping(next)) {
            return false;
        }
        return chunk == next.chunk ? chunk.kind != Chunk.Kind.SINGLE
                : chunk.kind == Chunk.Kind.SINGLE && next.chunk.kind == Chunk.Kind.SINGLE;
    }

    Vma merged(Vma next, Chunk c) {
        return new Vma(start, next.end, prot, flags, file, c, region, kind,
                modified == null ? null : modified.concat(next.modified, Pages.count(next.end - start)));
    }

    @Override
    public String toString() {
        return "Vma[0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end) + " prot " + prot + " " + kind
                + (file != null ? (file.shared() ? " shared" : " private") + " file@" + file.offset() : " anon") + " in " + chunk + "]";
    }
}
