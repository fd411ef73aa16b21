package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.List;

/**
 * The VMAs of one process (Linux's per-mm VMA tree; Occlum's per-process chunk set, which it
 * scans linearly): an interval map keyed by start address with O(log n) lookup, insertion and
 * removal, which keeps equal neighbours merged (two single-VMA chunks merge into one chunk).
 * {@link #generation} changes whenever a cached translation could be stale.
 *
 * <p>Guarded by the owning {@link ProcessVm}'s lock: written under the write lock, read under
 * either.
 */
final class VmaTree {
    private final LongTreeMap<Vma> map = new LongTreeMap<>();
    private final AddressSpace as;
    private final int pid;
    /** Bumped by every change a cached translation must notice. */
    long generation;

    VmaTree(AddressSpace as, int pid) {
        this.as = as;
        this.pid = pid;
    }

    int size() {
        return map.size();
    }

    boolean isEmpty() {
        return map.isEmpty();
    }

    /** Start of the first VMA (the tree must not be empty). */
    long lowest() {
        return map.first().key();
    }

    /** End of the last VMA (the tree must not be empty). */
    long highest() {
        return map.last().value().end;
    }

    /** All VMAs in address order (a copy). */
    List<Vma> values() {
        return map.values();
    }

    /** Adds a VMA that overlaps none. */
    void put(Vma v) {
        add(v);
    }

    /** Adds a VMA that overlaps none; its node, to go on from without a walk. */
    private LongTreeMap.Node<Vma> add(Vma v) {
        LongTreeMap.Node<Vma> n = map.insert(v.start, v);
        if (n.value() != v) {
            throw new IllegalStateException("VMA collision at 0x" + Long.toHexString(v.start));
        }
        return n;
    }

    /**
     * Puts {@code now} in the place of {@code old}, which starts at the same address (the left
     * part of a cut VMA): one lookup, no rebalancing; {@code old} is retired.
     */
    void replace(Vma old, Vma now) {
        if (now.start != old.start) {
            throw new IllegalArgumentException(now + " does not start where " + old + " does");
        }
        LongTreeMap.Node<Vma> n = map.node(old.start);
        if (n == null || n.value() != old) {
            throw new IllegalStateException("replacing " + old + " which is not mapped");
        }
        n.setValue(now);
        old.alive = false;
    }

    /** Creates the VMAs of a new mapping over {@code pieces} and merges them with equal neighbours. */
    void install(List<Piece> pieces, int prot, int flags, FileBacking fb, long start, Vma.Kind kind) {
        LongTreeMap.Node<Vma> first = null;
        Vma last = null;
        for (Piece p : pieces) {
            last = new Vma(p.start(), p.end(), prot, flags, fb == null ? null : fb.advance(p.start() - start), p.chunk(),
                    p.chunk().region, kind, null);
            LongTreeMap.Node<Vma> n = add(last);
            if (first == null) {
                first = n;
            }
        }
        generation++;
        // merge from the new mapping's left neighbour (or the mapping itself) rightwards
        LongTreeMap.Node<Vma> left = first.prev();
        mergeFrom(left != null && left.value().end == first.value().start ? left : first, last.end);
    }

    /** Merges mergeable neighbours among the VMAs touching [s, e] (Linux merges; Occlum does not after mprotect). */
    void mergeAround(long s, long e) {
        LongTreeMap.Node<Vma> first = map.lower(s);
        if (first == null || first.value().end != s) {
            first = map.ceiling(s);
        }
        if (first != null) {
            mergeFrom(first, e);
        }
    }

    /**
     * Merges, from the VMA of node {@code at} on, each VMA with the next while they touch, can
     * merge and start at or before {@code e}. The merged VMA takes the left one's node (same
     * start), the right one's node is deleted: no walk from the root.
     */
    private void mergeFrom(LongTreeMap.Node<Vma> at, long e) {
        while (at.value().end <= e) {
            LongTreeMap.Node<Vma> ne = at.next();
            if (ne == null || ne.key() > e) {
                return;
            }
            Vma prev = at.value();
            Vma next = ne.value();
            if (prev.end == next.start && prev.canMerge(next)) {
                Chunk c = prev.chunk;
                if (c.kind == Chunk.Kind.SINGLE) {
                    c = new Chunk(prev.start, next.end, Chunk.Kind.SINGLE, prev.region, pid, null);
                    as.replace(List.of(prev.chunk, next.chunk), List.of(c), List.of());
                }
                map.delete(ne);
                next.alive = false;
                prev.alive = false;
                at.setValue(prev.merged(next, c));
                generation++;
            } else {
                at = ne;
            }
        }
    }

    void retire(Vma v) {
        if (map.remove(v.start) != v) {
            throw new IllegalStateException("retiring " + v + " which is not mapped");
        }
        v.alive = false;
    }


    /** This process's VMAs intersecting [s, e), in address order (one lookup when one VMA covers the range). */
    List<Vma> in(long s, long e) {
        LongTreeMap.Node<Vma> en = map.floor(s);
        if (en == null) {
            en = map.first();
        } else if (en.value().end <= s) {
            en = en.next();
        }
        if (en == null || en.key() >= e) {
            return List.of();
        }
        Vma v = en.value();
        if (v.end >= e) {
            return List.of(v);
        }
        List<Vma> out = new ArrayList<>();
        while (true) {
            out.add(v);
            if (v.end >= e) {
                return out;
            }
            en = en.next();
            if (en == null || en.key() >= e) {
                return out;
            }
            v = en.value();
        }
    }

    /**
     * Walks this tree and the free space {@code f} to {@code address} together
     * ({@link LongTreeMap#seek}): the lookups of either at {@code address} that follow start at
     * the leaf found, and the VMAs and holes next to it are in the cache.
     */
    void seek(long address, FreeSpace f) {
        map.seek(address, f.byEnd, address);
    }

    /** The VMA containing {@code address}, or null. */
    Vma find(long address) {
        LongTreeMap.Node<Vma> e = map.floor(address);
        return e != null && e.value().end > address ? e.value() : null;
    }


    /** The VMAs covering [s, e) contiguously as one mapping (same attributes, contiguous file offsets), or null. */
    List<Vma> run(long s, long e) {
        List<Vma> hit = in(s, e);
        if (hit.isEmpty() || hit.getFirst().start > s || hit.getLast().end < e) {
            return null;
        }
        for (int i = 1; i < hit.size(); i++) {
            if (!hit.get(i - 1).sameMapping(hit.get(i))) {
                return null;
            }
        }
        return hit;
    }


}
