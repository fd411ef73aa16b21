package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.List;

/**
 * The VMAs of one process (Linux's per-mm VMA tree; Occlum's per-process chunk set, which it
 * scans linearly): an interval map keyed by start address with O(log n) lookup, insertion and
 * removal, which keeps equal neighbours merged (two single-VMA chunks merge into one chunk).
 * {@link #generation} changes whenever a cached translation could be stale.
 *
 * <p>Each VMA's entry carries an aux long in the tree's leaf ({@link #aux}): the VMA's end and
 * the attributes that decide whether it merges with a neighbour. Lookups (is there a VMA at this
 * address, where does it end) and the merges of a new anonymous mapping in a multi-VMA chunk
 * (the common mmap) decide on these longs, which lie next to the keys the search read, without
 * reading the VMA objects, which lie scattered over the heap: at 100,000 VMAs at random places
 * each such read is a cache miss. Linux's maple tree ({@code lib/maple_tree.c}) likewise keeps
 * each range's end (its pivot) in the node beside the others.
 *
 * <p>Guarded by the owning {@link ProcessVm}'s lock: written under the write lock, read under
 * either.
 */
final class VmaTree {
    /*
     * A VMA's aux long: its end in the low END_BITS bits (user addresses lie below 2^47), and
     * above them its attributes (attrs): bit 0 "plain" (no file, in a multi-VMA chunk, prot and
     * flags within what is kept), bits 1-3 prot, bits 4-9 the kept flags packed, bits 10-11 its
     * kind, bits 12-13 its region.
     */
    static final int END_BITS = 48;
    static final long END_MASK = (1L << END_BITS) - 1;
    private static final int PLAIN = 1;

    static {
        if (Vma.Kind.values().length > 4 || UserMemoryKind.values().length > 4 || Integer.bitCount(Vma.KEPT_FLAGS) > 6) {
            throw new ExceptionInInitializerError("VMA attributes do not fit the tree's aux long");
        }
    }

    private final LongTreeMap<Vma> map = new LongTreeMap<>(true);
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
        return endOf(map.last().aux());
    }

    /** The aux long the tree keeps for {@code v}: its end and its attributes. */
    static long aux(Vma v) {
        if ((v.end & ~END_MASK) != 0) {
            throw new IllegalArgumentException(v + " ends beyond the user address space");
        }
        boolean plain = v.file == null && v.chunk.kind == Chunk.Kind.MULTI && (v.prot & ~7) == 0 && (v.flags & ~Vma.KEPT_FLAGS) == 0;
        long attrs = (plain ? PLAIN : 0) | (v.prot & 7) << 1 | Integer.compress(v.flags, Vma.KEPT_FLAGS) << 4
                | v.kind.ordinal() << 10 | v.region.ordinal() << 12;
        return v.end | attrs << END_BITS;
    }

    static long endOf(long aux) {
        return aux & END_MASK;
    }

    /**
     * Checks that every entry's aux long is the one of its VMA (a stale one would let lookups see
     * a wrong end and merges join VMAs that differ); returns the problems found.
     */
    List<String> checkAux() {
        List<String> p = new ArrayList<>();
        for (LongTreeMap.Node<Vma> n = map.first(); n != null; n = n.next()) {
            Vma v = n.value();
            if (n.aux() != aux(v)) {
                p.add("the tree's end and attributes 0x" + Long.toHexString(n.aux()) + " of " + v + " are not its own 0x" + Long.toHexString(aux(v)));
            }
        }
        return p;
    }

    /** For the checker's tests: overwrites the aux long of the VMA at {@code start}. */
    void corruptAux(long start, long aux) {
        LongTreeMap.Node<Vma> n = map.node(start);
        n.set(n.value(), aux);
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
        LongTreeMap.Node<Vma> n = map.insert(v.start, v, aux(v));
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
        n.set(now, aux(now));
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
        long a = aux(last);
        if (pieces.size() == 1 && (a >>> END_BITS & PLAIN) != 0) {
            mergePlain(first, last, a);
            return;
        }
        // merge from the new mapping's left neighbour (or the mapping itself) rightwards
        LongTreeMap.Node<Vma> left = first.prev();
        mergeFrom(left != null && endOf(left.aux()) == first.key() ? left : first, last.end);
    }

    /**
     * Merges the plain VMA {@code v} (at node {@code n}, aux long {@code a}) with its neighbours
     * as {@link #mergeFrom} would, deciding on the neighbours' aux longs alone: a neighbour
     * merges with {@code v} exactly if it touches it, has the same attributes (so it is plain as
     * well: no file, the same prot, flags, kind and region) and lies in the same multi-VMA chunk,
     * which for touching ranges of multi-VMA chunks means that the chunk of {@code v} reaches
     * over it. The merged VMA is built from {@code v}'s attributes.
     */
    private void mergePlain(LongTreeMap.Node<Vma> n, Vma v, long a) {
        long attrs = a & ~END_MASK;
        LongTreeMap.Node<Vma> l = n.prev();
        LongTreeMap.Node<Vma> r = n.next();
        boolean left = l != null && l.aux() == (v.start | attrs) && v.chunk.start <= l.key();
        long ra = r == null ? 0 : r.aux();
        boolean right = r != null && r.key() == v.end && (ra & ~END_MASK) == attrs && endOf(ra) <= v.chunk.end;
        if (!left && !right) {
            return;
        }
        Vma m = new Vma(left ? l.key() : v.start, right ? endOf(ra) : v.end, v.prot, v.flags, null, v.chunk, v.region, v.kind, null);
        // the neighbours absorbed are not marked dead: reading them would cost the cache misses this avoids
        if (right) {
            map.delete(r);
        }
        v.alive = false;
        if (left) {
            map.delete(n);
            l.set(m, aux(m));
        } else {
            n.set(m, aux(m));
        }
        generation++;
    }

    /** Merges mergeable neighbours among the VMAs touching [s, e] (Linux merges; Occlum does not after mprotect). */
    void mergeAround(long s, long e) {
        LongTreeMap.Node<Vma> first = map.lower(s);
        if (first == null || endOf(first.aux()) != s) {
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
        while (endOf(at.aux()) <= e) {
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
                Vma m = prev.merged(next, c);
                at.set(m, aux(m));
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
        } else if (endOf(en.aux()) <= s) {
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
        return e != null && endOf(e.aux()) > address ? e.value() : null;
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
