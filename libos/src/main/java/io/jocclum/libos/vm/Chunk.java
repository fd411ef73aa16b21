package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

/**
 * A range of user space carved from the global free space (Occlum {@code chunk.rs}). Three
 * kinds:
 * <ul>
 *   <li>{@link Kind#SINGLE}: exactly one VMA of one process, and the chunk's range is the VMA's
 *       range; when the VMA is split, shrunk or grown, chunk objects are replaced, so a chunk is
 *       never stale (Occlum keeps stale snapshots and cleans them up by scanning).</li>
 *   <li>{@link Kind#MULTI}: a 32 MB chunk of an {@link Arena}, shared by small mappings of any
 *       process; its free parts are holes of the arena's free space.</li>
 *   <li>{@link Kind#HEAP}: a process's brk reservation: VMAs of its owner inside, the rest kept
 *       for brk to grow into.</li>
 *   <li>{@link Kind#SHARED}: the pages of a {@link SharedSegment} (a file's shared mappings, a
 *       System V segment): every process that maps it has VMAs over the same addresses.</li>
 * </ul>
 * Ranges are immutable. {@link #used} is guarded by the arena's lock; {@link #released} by the
 * arena's lock for MULTI chunks and by the owner's process lock otherwise.
 */
final class Chunk {
    enum Kind { SINGLE, MULTI, HEAP, SHARED }

    final long start;
    final long end;
    final Kind kind;
    final UserMemoryKind region;
    /** Owning pid for SINGLE and HEAP chunks; 0 for MULTI. */
    final int owner;
    /** The arena of a MULTI chunk, null otherwise. */
    final Arena arena;

    /** MULTI: bytes held by VMAs (guarded by arena.lock). */
    long used;
    /** True once the chunk went back to the global free space. */
    boolean released;
    /** The segment of a SHARED chunk (set once, before any VMA uses it), null otherwise. */
    SharedSegment segment;
    /** A SHARED chunk of a file: its pages stored to through a mapping since their last write-back. */
    PageBits dirty;

    Chunk(long start, long end, Kind kind, UserMemoryKind region, int owner, Arena arena) {
        if (start >= end || !Pages.isAligned(start | end)) {
            throw new IllegalArgumentException("bad chunk range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end));
        }
        this.start = start;
        this.end = end;
        this.kind = kind;
        this.region = region;
        this.owner = owner;
        this.arena = arena;
    }

    long size() {
        return end - start;
    }

    boolean contains(long s, long e) {
        return s >= start && e <= end;
    }

    @Override
    public String toString() {
        return kind + "[0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end)
                + (kind == Kind.MULTI ? " arena " + arena.id + " used " + used : kind == Kind.SHARED ? " shared" : " pid " + owner) + "]";
    }
}
