package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The global level of the user space: which ranges are free and which belong to a chunk
 * (Occlum's InternalVMManager without its global mutex around whole operations).
 *
 * <p>One free space per region (reserved memory first: it is already committed), so holes
 * never straddle the SDK gap; and the chunk index by start address. Invariant, whenever
 * {@link #lock} is free: holes, chunks and the {@link LostPages} outside chunks tile the user
 * space exactly (a lost page is never freed).
 *
 * <p>{@link #lock} is a leaf lock held only for O(log n) index and free-space updates: never
 * while memory is zeroed, copied, committed or written back. Small mmaps and munmaps inside an
 * existing multi-VMA chunk do not take it at all. Lock order: process lock, then arena locks (by
 * id), then this lock, then commit-tracker stripes.
 */
final class AddressSpace {
    final ReentrantLock lock = new ReentrantLock();
    final UserSpaceLayout layout;
    final LostPages lost;
    @GuardedBy("lock")
    private final FreeSpace reservedFree = new FreeSpace();
    @GuardedBy("lock")
    private final FreeSpace regionFree = new FreeSpace();
    @GuardedBy("lock")
    private final TreeMap<Long, Chunk> chunks = new TreeMap<>();

    AddressSpace(UserSpaceLayout layout, LostPages lost) {
        this.layout = layout;
        this.lost = lost;
        if (layout.reservedSize() > 0) {
            reservedFree.free(layout.reservedBase(), layout.reservedEnd(), Long.MIN_VALUE, Long.MAX_VALUE);
        }
        if (layout.hasUserRegion()) {
            regionFree.free(layout.userRegionBase(), layout.userRegionEnd(), Long.MIN_VALUE, Long.MAX_VALUE);
        }
    }

    FreeSpace free(UserMemoryKind r) {
        return r == UserMemoryKind.RESERVED ? reservedFree : regionFree;
    }

    private long lo(UserMemoryKind r) {
        return r == UserMemoryKind.RESERVED ? layout.reservedBase() : layout.userRegionBase();
    }

    private long hi(UserMemoryKind r) {
        return r == UserMemoryKind.RESERVED ? layout.reservedEnd() : layout.userRegionEnd();
    }

    /** True if every page of [start, end) is user space (no gap, nothing outside). */
    boolean isUserSpace(long start, long end) {
        UserMemoryKind a = layout.regionOf(start);
        if (a == null) {
            return false;
        }
        if (end <= hi(a)) {
            return true;
        }
        UserMemoryKind b = layout.regionOf(hi(a));
        return b != null && b != a && end <= hi(b);
    }

    /** A new chunk of {@code size} bytes anywhere (best fit, reserved memory first); null if none. */
    Chunk allocate(long size, Chunk.Kind kind, int owner, Arena arena) {
        lock.lock();
        try {
            for (UserMemoryKind r : UserMemoryKind.values()) {
                long s = free(r).allocBestFit(size);
                if (s >= 0) {
                    return index(new Chunk(s, s + size, kind, r, owner, arena));
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** A new chunk of {@code size} bytes ending at or below {@code limit} (MAP_32BIT); null if none. */
    Chunk allocateBelow(long size, long limit, Chunk.Kind kind, int owner, Arena arena) {
        lock.lock();
        try {
            for (UserMemoryKind r : UserMemoryKind.values()) {
                long s = free(r).allocFirstFitBelow(size, limit);
                if (s >= 0) {
                    return index(new Chunk(s, s + size, kind, r, owner, arena));
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** A new chunk at exactly [start, end) if it is entirely free and in one region; null otherwise. */
    Chunk allocateExact(long start, long end, Chunk.Kind kind, int owner, Arena arena) {
        UserMemoryKind r = layout.regionOf(start);
        if (r == null || end > hi(r)) {
            return null;
        }
        lock.lock();
        try {
            if (!free(r).allocExact(start, end)) {
                return null;
            }
            return index(new Chunk(start, end, kind, r, owner, arena));
        } finally {
            lock.unlock();
        }
    }

    private Chunk index(Chunk c) {
        chunks.put(c.start, c);
        return c;
    }

    /** Caller holds lock: takes [start, end) (inside one region's hole) as a new SINGLE chunk of {@code owner}. */
    void takeLocked(long start, long end, int owner) {
        UserMemoryKind r = layout.regionOf(start);
        if (!free(r).allocExact(start, end)) {
            throw new IllegalStateException("range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end) + " is not free");
        }
        index(new Chunk(start, end, Chunk.Kind.SINGLE, r, owner, null));
    }

    /** Caller holds lock: true if [start, end) lies in one hole. */
    boolean isFreeLocked(long start, long end) {
        UserMemoryKind r = layout.regionOf(start);
        return r != null && end <= hi(r) && free(r).contains(start, end);
    }

    /** Gives a chunk's range back to the free space. */
    void release(Chunk c) {
        lock.lock();
        try {
            releaseLocked(c);
        } finally {
            lock.unlock();
        }
    }

    private void releaseLocked(Chunk c) {
        if (chunks.remove(c.start) != c) {
            throw new IllegalStateException("releasing " + c + " which is not indexed");
        }
        c.released = true;
        lost.freeExcept(free(c.region), c.start, c.end, lo(c.region), hi(c.region));
    }

    /**
     * One atomic change of SINGLE/HEAP chunks: removes {@code removed} (whose ranges are either
     * re-covered by {@code added} or listed in {@code freed}), indexes {@code added}, and frees
     * the ranges in {@code freed} (pairs start, end).
     */
    void replace(List<Chunk> removed, List<Chunk> added, List<long[]> freed) {
        lock.lock();
        try {
            for (Chunk c : removed) {
                if (chunks.remove(c.start) != c) {
                    throw new IllegalStateException("replacing " + c + " which is not indexed");
                }
                c.released = true;
            }
            for (Chunk c : added) {
                Chunk old = chunks.put(c.start, c);
                if (old != null) {
                    throw new IllegalStateException("chunk " + c + " collides with " + old);
                }
            }
            for (long[] f : freed) {
                UserMemoryKind r = layout.regionOf(f[0]);
                lost.freeExcept(free(r), f[0], f[1], lo(r), hi(r));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds lock: chunks intersecting [start, end), in address order. */
    List<Chunk> intersectingLocked(long start, long end) {
        List<Chunk> out = new ArrayList<>();
        Map.Entry<Long, Chunk> first = chunks.floorEntry(start);
        Long from = first != null && first.getValue().end > start ? first.getKey() : Long.valueOf(start);
        for (Chunk c : chunks.subMap(from, true, end, false).values()) {
            if (c.end > start) {
                out.add(c);
            }
        }
        return out;
    }

    /** The chunk containing {@code address}, or null. */
    Chunk chunkAt(long address) {
        lock.lock();
        try {
            Map.Entry<Long, Chunk> e = chunks.floorEntry(address);
            return e != null && e.getValue().end > address ? e.getValue() : null;
        } finally {
            lock.unlock();
        }
    }

    long freeBytes() {
        lock.lock();
        try {
            return reservedFree.freeBytes() + regionFree.freeBytes();
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds lock. */
    List<Chunk> chunksLocked() {
        return new ArrayList<>(chunks.values());
    }

    /** Caller holds lock: the holes of both free spaces, the reserved area's first (each in address order). */
    List<FreeSpace.Hole> holesLocked() {
        List<FreeSpace.Hole> h = new ArrayList<>(reservedFree.holes());
        h.addAll(regionFree.holes());
        return h;
    }

    /** Caller holds lock: structural checks of both free spaces. */
    List<String> checkLocked() {
        List<String> p = new ArrayList<>(reservedFree.check("reserved free space"));
        p.addAll(regionFree.check("user-region free space"));
        for (UserMemoryKind r : UserMemoryKind.values()) {
            FreeSpace.Hole prev = null;
            for (FreeSpace.Hole h : free(r).holes()) {
                if (prev != null && prev.end() == h.start()) {
                    p.add("global free space: adjacent holes not coalesced " + prev + " " + h);
                }
                prev = h;
            }
        }
        return p;
    }
}
