package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Free address ranges ("holes") with two indexes: by address (for exact placement and
 * coalescing) and by size (for best fit). Every operation is O(log n); the free byte count is
 * kept incrementally. Occlum keeps a vector sorted by address and scans it (first fit, linear
 * insertion and removal, total recomputed by summation); this is the replacement its design
 * notes ask for.
 *
 * <p>Shaped for the mmap/munmap hot path: the address index is keyed by a hole's <em>end</em>,
 * allocation carves from a hole's start, and freeing a range just below a hole grows that hole
 * downward, so the common "map, unmap the same range" cycle never re-keys the address index.
 * Each entry of the address index keeps the hole's start as its aux long, next to the end-key
 * in the tree's leaf ({@link LongTreeMap.Node#aux}): finding the hole that holds an address,
 * checking that a MAP_FIXED range is free, and deciding whether a freed range touches a
 * neighbour hole read only the leaf that the key search read anyway, not the {@link Hole}, which
 * lies elsewhere in memory (among 100,000 holes, a cache miss at a random place). A hole is read
 * only when it changes.
 * The size index is a map from each distinct hole size to a bin (a stack) of the holes of that
 * size: best fit is one ceiling lookup among distinct sizes, and moving a hole between bins is
 * O(1) amortised plus at most one lookup. Among holes of the best size the most recently freed
 * one is taken (it is the warmest). A hole that leaves a bin stays in its stack, marked as gone,
 * until it reaches the top or the stack is compacted: taking it out of a linked list would read
 * and write the holes before and after it in the list, each a cache miss at a random place when
 * a bin holds many holes.
 *
 * <p>Coalescing can be bounded: {@link #free} merges a hole with a neighbour only when the
 * touching address lies strictly inside the given bounds, so holes of two adjacent 32 MB chunks
 * of one arena never merge across the chunk boundary.
 *
 * <p>Not thread-safe: guarded by the lock of its owner ({@code AddressSpace.lock} for the global
 * space, {@code Arena.lock} for an arena).
 */
final class FreeSpace {
    /** A free range [start, end); mutable in place, re-indexed by its owner. */
    static final class Hole {
        long start;
        long end;
        /** The bin it is in, or null. */
        Bin bin;
        /** Its index in its bin's stack. */
        int slot;

        Hole(long start, long end) {
            this.start = start;
            this.end = end;
        }

        long start() {
            return start;
        }

        long end() {
            return end;
        }

        long size() {
            return end - start;
        }

        @Override
        public String toString() {
            return "Hole[0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end) + "]";
        }
    }

    /**
     * The holes of one size: a stack, the most recently added on top. Entry k is the bin's if its
     * hole names this bin and slot k; other entries are holes that left the bin (or left and came
     * back at another slot), dropped when they reach the top or when the stack is compacted.
     */
    static final class Bin {
        final long size;
        Hole[] stack = new Hole[4];
        /** Entries in use (the bin's and the dropped ones not yet removed). */
        int top;
        /** The bin's holes. */
        int count;

        Bin(long size) {
            this.size = size;
        }

        boolean holds(int k) {
            Hole h = stack[k];
            return h != null && h.bin == this && h.slot == k;
        }

        void push(Hole h) {
            if (top == stack.length) {
                if (2 * count < top) {
                    compact();
                } else {
                    stack = Arrays.copyOf(stack, 2 * top);
                }
            }
            h.bin = this;
            h.slot = top;
            stack[top++] = h;
            count++;
        }

        /** Takes {@code h}, which is in this bin, out. */
        void drop(Hole h) {
            h.bin = null;
            if (h.slot == top - 1) {
                stack[--top] = null;
            }
            count--;
            if (count > 0 && top > 64 && count < top / 4) {
                compact();
            }
        }

        /** Keeps only the bin's entries, in order; gives memory back when most of the stack is free. */
        private void compact() {
            int n = 0;
            for (int k = 0; k < top; k++) {
                if (holds(k)) {
                    Hole h = stack[k];
                    h.slot = n;
                    stack[n++] = h;
                }
            }
            Arrays.fill(stack, n, top, null);
            top = n;
            if (stack.length > 4 * Math.max(n, 4)) {
                stack = Arrays.copyOf(stack, 2 * Math.max(n, 4));
            }
        }

        /** The most recently added hole of the bin (it must hold one). */
        Hole head() {
            while (!holds(top - 1)) {
                stack[--top] = null;
            }
            return stack[top - 1];
        }
    }

    // package-private for the checker's tests, which corrupt them deliberately
    /** The holes by their end, each with its start as the aux long. */
    final LongTreeMap<Hole> byEnd = new LongTreeMap<>(true);
    final TreeMap<Long, Bin> bySize = new TreeMap<>();
    long freeBytes;

    long freeBytes() {
        return freeBytes;
    }

    int holeCount() {
        return byEnd.size();
    }

    private void binAdd(Hole h) {
        long size = h.end - h.start;
        Bin b = bySize.get(size);
        if (b == null) {
            b = new Bin(size);
            bySize.put(size, b);
        }
        b.push(h);
    }

    private void binRemove(Hole h) {
        Bin b = h.bin;
        b.drop(h);
        if (b.count == 0) {
            bySize.remove(b.size);
        }
    }

    private void insert(long start, long end) {
        Hole h = new Hole(start, end);
        byEnd.insert(end, h, start);
        binAdd(h);
        freeBytes += end - start;
    }

    /** Removes the hole at node {@code n} of the address index. */
    private void delete(LongTreeMap.Node<Hole> n) {
        Hole h = n.value();
        byEnd.delete(n);
        binRemove(h);
        freeBytes -= h.end - h.start;
    }

    /** Moves the start of the hole at node {@code n} to {@code start}, in the hole and in the address index. */
    private static void setStart(LongTreeMap.Node<Hole> n, Hole h, long start) {
        h.start = start;
        n.set(h, start);
    }

    /**
     * Returns [start, end) to the free space, coalescing with a neighbour hole only across an
     * address strictly between {@code lo} and {@code hi}. The range must not overlap a hole.
     */
    void free(long start, long end, long lo, long hi) {
        if (start >= end) {
            throw new IllegalArgumentException("empty or inverted range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end));
        }
        // decided on the neighbours' starts as the address index keeps them: no hole is read unless it changes
        LongTreeMap.Node<Hole> rn = byEnd.higher(start);
        long rightStart = rn == null ? 0 : rn.aux();
        if (rn != null && rightStart < end) {
            throw new IllegalStateException("freeing 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end)
                    + " which overlaps free " + rn.value());
        }
        LongTreeMap.Node<Hole> ln = null;
        if (start > lo) {
            // the hole ending at start, if any, is the one just before the right neighbour: no second walk
            ln = rn == null ? byEnd.last() : rn.prev();
            if (ln != null && ln.key() != start) {
                ln = null;
            }
        }
        if (rn != null && (rightStart != end || end >= hi)) {
            rn = null;
        }
        if (rn != null) {
            // grow the right hole downward: its key (end) stays
            Hole right = rn.value();
            binRemove(right);
            long s = ln == null ? start : ln.aux();
            freeBytes += rightStart - s;
            setStart(rn, right, s); // before the left hole goes: rn's position is still the one found
            if (ln != null) {
                delete(ln);
            }
            binAdd(right);
        } else if (ln != null) {
            Hole left = ln.value();
            long leftStart = ln.aux();
            byEnd.delete(ln);
            binRemove(left);
            freeBytes += end - left.end;
            left.end = end;
            byEnd.insert(end, left, leftStart);
            binAdd(left);
        } else {
            insert(start, end);
        }
    }

    /** Best fit: a hole of the smallest size that fits; carves from its start. Returns the start, or -1. */
    long allocBestFit(long size) {
        Map.Entry<Long, Bin> e = bySize.ceilingEntry(size);
        if (e == null) {
            return -1;
        }
        Hole h = e.getValue().head();
        long s = h.start;
        if (h.end - h.start == size) {
            byEnd.remove(h.end);
            binRemove(h);
            freeBytes -= size;
        } else {
            // the bin gives the hole, not its place in the address index: one lookup by its end
            // (after a free of the same range, one in the leaf that free searched)
            binRemove(h);
            setStart(byEnd.node(h.end), h, s + size);
            freeBytes -= size;
            binAdd(h);
        }
        return s;
    }

    /** First fit below {@code limit} (address order, used for MAP_32BIT only): O(holes below the limit). */
    long allocFirstFitBelow(long size, long limit) {
        for (LongTreeMap.Node<Hole> n = byEnd.first(); n != null; n = n.next()) {
            long s = n.aux();
            if (s >= limit || s + size > limit) {
                break;
            }
            if (n.key() - s >= size) {
                allocExact(s, s + size);
                return s;
            }
        }
        return -1;
    }

    /** Takes exactly [start, end) if it lies inside one hole. */
    boolean allocExact(long start, long end) {
        LongTreeMap.Node<Hole> n = byEnd.higher(start);
        if (n == null) {
            return false;
        }
        long hs = n.aux();
        long he = n.key();
        if (hs > start || he < end) {
            return false;
        }
        Hole h = n.value();
        binRemove(h);
        if (hs == start && he == end) {
            byEnd.delete(n); // the node found above: no second walk
            freeBytes -= he - hs;
            return true;
        }
        if (hs == start) {
            setStart(n, h, end);
            binAdd(h);
            freeBytes -= end - start;
        } else if (he == end) {
            byEnd.delete(n);
            h.end = start;
            byEnd.insert(start, h, hs);
            binAdd(h);
            freeBytes -= end - start;
        } else {
            // split: the original hole keeps its end and becomes [end, he); the front is new
            setStart(n, h, end);
            binAdd(h);
            freeBytes -= end - hs;
            insert(hs, start);
        }
        return true;
    }

    /** True if [start, end) lies inside one hole. */
    boolean contains(long start, long end) {
        LongTreeMap.Node<Hole> n = byEnd.higher(start);
        return n != null && n.aux() <= start && n.key() >= end;
    }

    /** Removes the hole that is exactly [start, end); false if there is no such hole. */
    boolean removeExactHole(long start, long end) {
        LongTreeMap.Node<Hole> n = byEnd.node(end);
        if (n == null || n.aux() != start) {
            return false;
        }
        delete(n);
        return true;
    }

    /** Holes in address order, as (start, end) snapshots (for invariant checks and tests). */
    List<Hole> holes() {
        List<Hole> out = new ArrayList<>(byEnd.size());
        byEnd.forEach(h -> out.add(new Hole(h.start, h.end)));
        return out;
    }

    /**
     * Checks the two indexes against each other and the byte count, and that the start the
     * address index keeps for each hole is the hole's; returns problems found.
     */
    List<String> check(String name) {
        List<String> problems = new ArrayList<>();
        long sum = 0;
        Hole prev = null;
        for (LongTreeMap.Node<Hole> e = byEnd.first(); e != null; e = e.next()) {
            Hole h = e.value();
            if (h.end != e.key() || h.start >= h.end) {
                problems.add(name + ": malformed " + h + " under key 0x" + Long.toHexString(e.key()));
            }
            if (e.aux() != h.start) {
                problems.add(name + ": the address index keeps start 0x" + Long.toHexString(e.aux()) + " for " + h);
            }
            Bin hb = h.bin;
            if (hb == null || hb.size != h.end - h.start || bySize.get(hb.size) != hb || h.slot >= hb.top || hb.stack[h.slot] != h) {
                problems.add(name + ": " + h + " is not in the bin of its size");
            }
            if (prev != null && prev.end > h.start) {
                problems.add(name + ": holes overlap " + prev + " " + h);
            }
            sum += h.end - h.start;
            prev = h;
        }
        int binned = 0;
        for (Bin b : bySize.values()) {
            int n = 0;
            for (int k = 0; k < b.top; k++) {
                if (!b.holds(k)) {
                    continue; // a hole that left the bin
                }
                n++;
                Hole h = b.stack[k];
                if (byEnd.get(h.end) != h) {
                    problems.add(name + ": bin " + b.size + " holds a stray " + h);
                }
            }
            if (n != b.count || n == 0) {
                problems.add(name + ": bin " + b.size + " counts " + b.count + " but links " + n);
            }
            binned += n;
        }
        if (binned != byEnd.size()) {
            problems.add(name + ": " + byEnd.size() + " holes but " + binned + " in bins");
        }
        problems.addAll(byEnd.check().stream().map(x -> name + ": address index " + x).toList());
        if (sum != freeBytes) {
            problems.add(name + ": free byte count " + freeBytes + " but holes sum to " + sum);
        }
        return problems;
    }
}
