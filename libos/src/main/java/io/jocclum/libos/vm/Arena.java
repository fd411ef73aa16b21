package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A group of 32 MB multi-VMA chunks with one free space spanning them (best fit over all of
 * them in O(log n)), under one lock. The VM has a few arenas (lock striping); a process
 * allocates small mappings from its home arena and, when that lock is busy, from the next one it
 * can try-lock (Occlum's try-lock fast path, without scanning every chunk).
 *
 * <p>An arena asks the global {@link AddressSpace} for a new chunk only when no hole fits, and
 * gives empty chunks back beyond {@code retainedEmptyChunks}: Occlum keeps every multi-VMA chunk
 * a process ever used until the process exits. A chunk given back has its committed EPC
 * trimmed first. The chunk carries no pid set, so an exiting process cannot leave a stale pid
 * behind (Occlum's dead-pid bug).
 *
 * <p>All fields are guarded by {@link #lock}; methods ending in {@code Locked} require it.
 */
final class Arena {
    final int id;
    final ReentrantLock lock = new ReentrantLock();
    private final UserSpace space;
    @GuardedBy("lock")
    private final FreeSpace free = new FreeSpace();
    @GuardedBy("lock")
    private final TreeMap<Long, Chunk> chunks = new TreeMap<>();
    @GuardedBy("lock")
    private final LinkedHashSet<Chunk> empty = new LinkedHashSet<>();

    Arena(int id, UserSpace space) {
        this.id = id;
        this.space = space;
    }

    /** Result of an allocation: the range's start and the chunk holding it. */
    record Slot(Chunk chunk, long start) {
    }

    /**
     * Best fit among this arena's chunks; if none fits and {@code mayGrow}, a new chunk from the
     * address space. Null when neither works.
     */
    Slot allocLocked(long size, boolean mayGrow) {
        long s = free.allocBestFit(size);
        if (s < 0 && mayGrow) {
            Chunk c = space.addressSpace.allocate(space.config.multiChunkSize(), Chunk.Kind.MULTI, 0, this);
            if (c == null) {
                return null;
            }
            space.counters.chunksCreated.increment();
            chunks.put(c.start, c);
            free.free(c.start, c.end, c.start, c.end);
            empty.add(c);
            s = free.allocBestFit(size);
        }
        if (s < 0) {
            return null;
        }
        Chunk c = chunks.floorEntry(s).getValue();
        take(c, size);
        return new Slot(c, s);
    }

    private void take(Chunk c, long size) {
        if (c.used == 0) {
            empty.remove(c);
        }
        c.used += size;
    }

    /** Takes exactly [start, end) of chunk {@code c} if free. */
    boolean allocExactLocked(Chunk c, long start, long end) {
        if (c.released || !c.contains(start, end) || !free.allocExact(start, end)) {
            return false;
        }
        take(c, end - start);
        return true;
    }

    /** Walks {@code vmas} and this arena's free space to {@code address} together ({@link VmaTree#seek}). */
    void seekLocked(long address, VmaTree vmas) {
        vmas.seek(address, free);
    }

    /** True if [start, end) is one free hole of chunk {@code c}. */
    boolean isFreeLocked(Chunk c, long start, long end) {
        return !c.released && c.contains(start, end) && free.contains(start, end);
    }

    /** Returns [start, end) of chunk {@code c} (already zeroed or trimmed) to the arena; may give the chunk back. */
    void freeLocked(Chunk c, long start, long end) {
        space.lost.freeExcept(free, start, end, c.start, c.end);
        c.used -= end - start - space.lost.bytesIn(start, end); // lost pages stay used for good
        if (c.used < 0) {
            throw new IllegalStateException(c + " used bytes went negative");
        }
        if (c.used == 0) {
            empty.add(c);
            while (empty.size() > space.config.retainedEmptyChunks()) {
                Chunk victim = empty.removeFirst();
                releaseChunk(victim);
            }
        }
    }

    private void releaseChunk(Chunk c) {
        if (!free.removeExactHole(c.start, c.end)) {
            throw new IllegalStateException("empty " + c + " is not one free hole");
        }
        chunks.remove(c.start);
        space.epc.giveBackFree(c.region, c.start, c.end);
        space.addressSpace.release(c);
        space.counters.chunksReleased.increment();
    }

    /**
     * Gives back every empty chunk (used when the VM shuts down), and every chunk that holds
     * nothing but lost pages: its holes leave the arena, its committed pages are given back and
     * its range goes to the global free space except the lost pages, which stay retired.
     */
    void releaseEmptyLocked() {
        for (Chunk c : new ArrayList<>(empty)) {
            empty.remove(c);
            releaseChunk(c);
        }
        for (Chunk c : new ArrayList<>(chunks.values())) {
            if (c.used > 0 && c.used == space.lost.bytesIn(c.start, c.end)) {
                for (FreeSpace.Hole h : free.holes()) {
                    if (h.start() >= c.start && h.end() <= c.end) {
                        free.removeExactHole(h.start(), h.end());
                    }
                }
                chunks.remove(c.start);
                space.epc.giveBackFree(c.region, c.start, c.end);
                space.addressSpace.release(c);
                space.counters.chunksReleased.increment();
            }
        }
    }

    /** Caller holds lock: structural checks; returns the arena's chunks for cross-checks. */
    List<String> checkLocked(List<Chunk> out) {
        List<String> p = new ArrayList<>(free.check("arena " + id + " free space"));
        Map<Chunk, Long> freeIn = new java.util.HashMap<>();
        for (FreeSpace.Hole h : free.holes()) {
            Map.Entry<Long, Chunk> e = chunks.floorEntry(h.start());
            if (e == null || !e.getValue().contains(h.start(), h.end())) {
                p.add("arena " + id + ": hole " + h + " is not inside one of its chunks");
                continue;
            }
            freeIn.merge(e.getValue(), h.size(), Long::sum);
        }
        for (Chunk c : chunks.values()) {
            long f = freeIn.getOrDefault(c, 0L);
            if (f + c.used != c.size()) {
                p.add("arena " + id + ": " + c + " has " + f + " free bytes, " + c.used + " used, size " + c.size());
            }
            if ((c.used == 0) != empty.contains(c)) {
                p.add("arena " + id + ": " + c + " empty-set membership is wrong");
            }
            if (c.released) {
                p.add("arena " + id + ": " + c + " is released but still listed");
            }
            out.add(c);
        }
        if (empty.size() > space.config.retainedEmptyChunks()) {
            p.add("arena " + id + ": retains " + empty.size() + " empty chunks, limit " + space.config.retainedEmptyChunks());
        }
        return p;
    }
}
