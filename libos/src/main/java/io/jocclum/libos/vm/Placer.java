package io.jocclum.libos.vm;

import io.jocclum.api.Errno;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Where a process's new mapping goes (Occlum's placement policy of {@code vm_manager.rs},
 * without its scans and its global lock). No address: up to {@code smallMappingMax} best fit
 * in an arena's multi-VMA chunks (home arena first, try-lock, then the others, then a new
 * chunk), larger ones a single-VMA chunk from the global free space. A hint is honoured when the
 * whole range is free, globally or inside one multi-VMA chunk. MAP_FIXED validates the whole
 * target under the locks of the arenas involved and of the address space before changing
 * anything, so it either fails with no side effect or ends with the target all this process's.
 *
 * <p>Called with the process's write lock held; takes arena and address-space locks in the
 * documented order.
 */
final class Placer {
    /** MAP_32BIT places mappings in the first 2 GB (arch/x86/kernel/sys_x86_64.c). */
    static final long MAP_32BIT_LIMIT = 1L << 31;

    private final ProcessVm vm;
    private final UserSpace space;
    private final AddressSpace as;
    private final int pid;

    Placer(ProcessVm vm) {
        this.vm = vm;
        this.space = vm.space;
        this.as = vm.space.addressSpace;
        this.pid = vm.pid;
    }

    /** A SINGLE chunk anywhere; ENOMEM if none. */
    Chunk allocSingle(long len) {
        Chunk c = as.allocate(len, Chunk.Kind.SINGLE, pid, null);
        if (c == null) {
            throw Errno.ENOMEM.exception("no free range of " + len + " bytes");
        }
        return c;
    }

    /** Placement without an address (Occlum's order, without its scans). */
    List<Piece> placeAny(long len, boolean below2g) {
        if (below2g) {
            Chunk c = as.allocateBelow(len, MAP_32BIT_LIMIT, Chunk.Kind.SINGLE, pid, null);
            if (c == null) {
                throw Errno.ENOMEM.exception("MAP_32BIT: no free range below 2 GB");
            }
            return List.of(new Piece(c.start, c.end, c));
        }
        if (len <= space.config.smallMappingMax()) {
            Arena.Slot s = allocFromArenas(len);
            if (s != null) {
                return List.of(new Piece(s.start(), s.start() + len, s.chunk()));
            }
        }
        Chunk c = allocSingle(len);
        return List.of(new Piece(c.start, c.end, c));
    }

    /**
     * Small-mapping allocation: first any arena that can be try-locked and has a fitting hole
     * (home arena first), then the home arena blocking and allowed to take a new chunk, then the
     * others blocking. Null if even that fails (the caller falls back to a single-VMA chunk).
     */
    private Arena.Slot allocFromArenas(long len) {
        Arena[] arenas = space.arenas;
        int n = arenas.length;
        int home = Math.floorMod(pid, n);
        for (int i = 0; i < n; i++) {
            Arena a = arenas[(home + i) % n];
            if (a.lock.tryLock()) {
                try {
                    Arena.Slot s = a.allocLocked(len, false);
                    if (s != null) {
                        return s;
                    }
                } finally {
                    a.lock.unlock();
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Arena a = arenas[(home + i) % n];
            a.lock.lock();
            try {
                Arena.Slot s = a.allocLocked(len, i == 0);
                if (s != null) {
                    return s;
                }
            } finally {
                a.lock.unlock();
            }
        }
        return null;
    }

    /** A hint honoured if [hint, hint + len) is free in the global space or in one multi-VMA chunk; else null. */
    List<Piece> placeHint(long hint, long len) {
        long end = hint + len;
        if (Long.compareUnsigned(end, hint) <= 0 || !as.isUserSpace(hint, end)) {
            return null;
        }
        Chunk c = as.allocateExact(hint, end, Chunk.Kind.SINGLE, pid, null);
        if (c != null) {
            return List.of(new Piece(hint, end, c));
        }
        Chunk at = as.chunkAt(hint);
        if (at != null && at.kind == Chunk.Kind.MULTI && at.contains(hint, end)) {
            at.arena.lock.lock();
            try {
                if (at.arena.allocExactLocked(at, hint, end)) {
                    return List.of(new Piece(hint, end, at));
                }
            } finally {
                at.arena.lock.unlock();
            }
        }
        return null;
    }

    /**
     * MAP_FIXED / MAP_FIXED_NOREPLACE / MREMAP_FIXED target [a, a + len): validates everything,
     * then takes the free parts, cleans this process's old mappings there and returns pieces
     * covering exactly the target. Throws (EEXIST for NOREPLACE, else ENOMEM) without side
     * effects if any part is another process's, the gap, or outside the user space.
     */
    List<Piece> placeFixed(long a, long len, boolean noreplace) {
        long b = a + len;
        Errno occupied = noreplace ? Errno.EEXIST : Errno.ENOMEM;
        if (!as.isUserSpace(a, b)) {
            throw Errno.ENOMEM.exception("fixed range 0x" + Long.toHexString(a) + "-0x" + Long.toHexString(b) + " is not all user space");
        }
        List<Vma> own = null;
        while (true) {
            List<Chunk> snapshot;
            as.lock.lock();
            try {
                snapshot = as.intersectingLocked(a, b);
            } finally {
                as.lock.unlock();
            }
            TreeSet<Arena> arenas = new TreeSet<>(Comparator.comparingInt(x -> x.id));
            for (Chunk c : snapshot) {
                if (c.kind == Chunk.Kind.MULTI) {
                    arenas.add(c.arena);
                } else if (c.owner != pid) {
                    throw occupied.exception("fixed range overlaps memory of process " + c.owner);
                }
            }
            for (Arena ar : arenas) {
                ar.lock.lock();
            }
            as.lock.lock();
            try {
                List<Chunk> now = as.intersectingLocked(a, b);
                if (!now.equals(snapshot)) {
                    continue; // a chunk came or went meanwhile: retry with the new set of arenas
                }
                if (own == null) {
                    own = ownIn(a, b, now);
                    if (noreplace && !own.isEmpty()) {
                        throw Errno.EEXIST.exception("MAP_FIXED_NOREPLACE over an existing mapping at 0x" + Long.toHexString(own.getFirst().start));
                    }
                }
                validateAndTakeFixed(a, b, now, own, occupied);
                break;
            } finally {
                as.lock.unlock();
                for (Arena ar : arenas.descendingSet()) {
                    ar.lock.unlock();
                }
            }
        }
        // the whole target is now ours: clean the old mappings in place, keeping their ranges
        // (none when the lookup above found none: the process lock keeps its VMAs as they were)
        if (!own.isEmpty()) {
            vm.removeRange(a, b, true, ProcessVm.GiveBack.BY_SPAN);
        }
        return piecesOver(a, b);
    }

    /**
     * This process's VMAs in [a, b). When a lies in a multi-VMA chunk, the VMA tree and the
     * arena's free space are first walked to a together ({@link VmaTree#seek}): the lookups of
     * both at a that follow start from there. Caller holds the arenas' locks.
     */
    private List<Vma> ownIn(long a, long b, List<Chunk> chunks) {
        Chunk c = chunks.isEmpty() ? null : chunks.getFirst();
        if (c != null && c.kind == Chunk.Kind.MULTI && c.start <= a) {
            c.arena.seekLocked(a, vm.vmas);
        }
        return vm.vmas.in(a, b);
    }

    /** Caller holds the arenas' locks and the address-space lock. */
    private void validateAndTakeFixed(long a, long b, List<Chunk> chunks, List<Vma> own, Errno occupied) {
        List<long[]> globalFree = new ArrayList<>();
        List<Object[]> arenaFree = new ArrayList<>();
        long cursor = a;
        for (Chunk c : chunks) {
            long cs = Math.max(a, c.start);
            long ce = Math.min(b, c.end);
            if (cursor < cs) {
                globalFree.add(new long[] {cursor, cs});
            }
            switch (c.kind) {
                // an own single-VMA chunk is covered by its VMA; an own heap reservation is ours
                case SINGLE, HEAP -> {
                    if (c.owner != pid) {
                        throw occupied.exception("fixed range overlaps memory of process " + c.owner);
                    }
                }
                case MULTI -> {
                    long x = cs;
                    for (Vma v : own) {
                        if (v.end <= cs || v.start >= ce) {
                            continue;
                        }
                        if (x < v.start) {
                            requireArenaFree(c, x, v.start, occupied);
                            arenaFree.add(new Object[] {c, x, v.start});
                        }
                        x = Math.max(x, v.end);
                    }
                    if (x < ce) {
                        requireArenaFree(c, x, ce, occupied);
                        arenaFree.add(new Object[] {c, x, ce});
                    }
                }
            }
            cursor = Math.max(cursor, ce);
        }
        if (cursor < b) {
            globalFree.add(new long[] {cursor, b});
        }
        List<long[]> byRegion = new ArrayList<>();
        for (long[] g : globalFree) {
            // a free part may cross from reserved memory into an adjacent user region
            long s = g[0];
            while (s < g[1]) {
                UserMemoryKind r = as.layout.regionOf(s);
                long hi = r == UserMemoryKind.RESERVED ? as.layout.reservedEnd() : as.layout.userRegionEnd();
                long e = Math.min(g[1], hi);
                if (!as.isFreeLocked(s, e)) {
                    throw occupied.exception("fixed range 0x" + Long.toHexString(s) + "-0x" + Long.toHexString(e) + " is in use");
                }
                byRegion.add(new long[] {s, e});
                s = e;
            }
        }
        for (Object[] f : arenaFree) {
            Chunk c = (Chunk) f[0];
            if (!c.arena.allocExactLocked(c, (Long) f[1], (Long) f[2])) {
                throw new IllegalStateException("validated arena range vanished in " + c);
            }
        }
        for (long[] g : byRegion) {
            as.takeLocked(g[0], g[1], pid);
        }
    }

    private static void requireArenaFree(Chunk c, long s, long e, Errno occupied) {
        if (!c.arena.isFreeLocked(c, s, e)) {
            throw occupied.exception("fixed range 0x" + Long.toHexString(s) + "-0x" + Long.toHexString(e) + " overlaps another mapping in " + c);
        }
    }

    /**
     * Caller owns every byte of [a, b) and no VMA lies there: pieces per multi-VMA or heap chunk
     * and one merged single-VMA chunk per run of this process's single chunks (split at regions).
     */
    private List<Piece> piecesOver(long a, long b) {
        List<Piece> pieces = new ArrayList<>();
        List<Chunk> chunks;
        as.lock.lock();
        try {
            chunks = as.intersectingLocked(a, b);
        } finally {
            as.lock.unlock();
        }
        List<Chunk> run = new ArrayList<>();
        for (Chunk c : chunks) {
            if (c.kind == Chunk.Kind.SINGLE) {
                if (!run.isEmpty() && (run.getLast().end != c.start || run.getLast().region != c.region)) {
                    pieces.add(mergeSingles(run));
                    run.clear();
                }
                run.add(c);
            } else {
                if (!run.isEmpty()) {
                    pieces.add(mergeSingles(run));
                    run.clear();
                }
                pieces.add(new Piece(Math.max(a, c.start), Math.min(b, c.end), c));
            }
        }
        if (!run.isEmpty()) {
            pieces.add(mergeSingles(run));
        }
        long x = a;
        for (Piece p : pieces) {
            if (p.start() != x || p.chunk().kind == Chunk.Kind.SINGLE && p.chunk().owner != pid) {
                throw new IllegalStateException("fixed target 0x" + Long.toHexString(a) + "-0x" + Long.toHexString(b) + " not covered at 0x" + Long.toHexString(x));
            }
            x = p.end();
        }
        if (x != b) {
            throw new IllegalStateException("fixed target not covered up to its end");
        }
        return pieces;
    }

    private Piece mergeSingles(List<Chunk> run) {
        if (run.size() == 1) {
            Chunk c = run.getFirst();
            return new Piece(c.start, c.end, c);
        }
        Chunk m = new Chunk(run.getFirst().start, run.getLast().end, Chunk.Kind.SINGLE, run.getFirst().region, pid, null);
        as.replace(new ArrayList<>(run), List.of(m), List.of());
        return new Piece(m.start, m.end, m);
    }


}
