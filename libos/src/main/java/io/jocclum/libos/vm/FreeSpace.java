package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Free address ranges ("holes") with two indexes: by start address (for exact placement and
 * coalescing) and by (size, start) (for best fit). Every operation is O(log n) in the number of
 * holes; the free byte count is kept incrementally.
 *
 * <p>Occlum keeps a vector sorted by address and scans it (first fit, linear insertion and
 * removal, total recomputed by summation); this is the replacement its design notes ask for.
 *
 * <p>Coalescing can be bounded: {@link #free} merges a hole with a neighbour only when the
 * touching address lies strictly inside the given bounds, so holes of two adjacent 32 MB chunks
 * of one arena never merge across the chunk boundary.
 *
 * <p>Not thread-safe: guarded by the lock of its owner ({@code AddressSpace.lock} for the global
 * space, {@code Arena.lock} for an arena).
 */
final class FreeSpace {
    /** A free range [start, start + size). */
    record Hole(long start, long size) {
        long end() {
            return start + size;
        }
    }

    private static final Comparator<Hole> BY_SIZE = (a, b) -> {
        int c = Long.compare(a.size, b.size);
        return c != 0 ? c : Long.compare(a.start, b.start);
    };

    private final TreeMap<Long, Hole> byAddress = new TreeMap<>();
    private final TreeSet<Hole> bySize = new TreeSet<>(BY_SIZE);
    private long freeBytes;

    long freeBytes() {
        return freeBytes;
    }

    int holeCount() {
        return byAddress.size();
    }

    /** The largest hole's size, 0 when empty. */
    long largestHole() {
        return bySize.isEmpty() ? 0 : bySize.last().size;
    }

    private void insert(long start, long end) {
        Hole h = new Hole(start, end - start);
        byAddress.put(start, h);
        bySize.add(h);
        freeBytes += h.size;
    }

    private void remove(Hole h) {
        byAddress.remove(h.start);
        bySize.remove(h);
        freeBytes -= h.size;
    }

    /**
     * Returns [start, end) to the free space, coalescing with a neighbour hole only across an
     * address strictly between {@code lo} and {@code hi}. The range must not overlap a hole.
     */
    void free(long start, long end, long lo, long hi) {
        if (start >= end) {
            throw new IllegalArgumentException("empty or inverted range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end));
        }
        Map.Entry<Long, Hole> left = byAddress.floorEntry(start);
        Map.Entry<Long, Hole> right = byAddress.ceilingEntry(start);
        if (left != null && left.getValue().end() > start || right != null && right.getKey() < end) {
            throw new IllegalStateException("freeing 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end)
                    + " which overlaps a free hole");
        }
        long s = start;
        long e = end;
        if (left != null && left.getValue().end() == start && start > lo) {
            s = left.getKey();
            remove(left.getValue());
        }
        if (right != null && right.getKey() == end && end < hi) {
            e = right.getValue().end();
            remove(right.getValue());
        }
        insert(s, e);
    }

    /** Best fit: the smallest hole of at least {@code size} bytes (lowest address among equals); carves from its start. */
    long allocBestFit(long size) {
        Hole h = bySize.ceiling(new Hole(Long.MIN_VALUE, size));
        if (h == null) {
            return -1;
        }
        remove(h);
        if (h.size > size) {
            insert(h.start + size, h.end());
        }
        return h.start;
    }

    /** First fit below {@code limit} (address order, used for MAP_32BIT only): O(holes below the limit). */
    long allocFirstFitBelow(long size, long limit) {
        for (Hole h : byAddress.values()) {
            if (h.start >= limit || h.start + size > limit) {
                break;
            }
            if (h.size >= size) {
                allocExact(h.start, h.start + size);
                return h.start;
            }
        }
        return -1;
    }

    /** Takes exactly [start, end) if it lies inside one hole. */
    boolean allocExact(long start, long end) {
        Map.Entry<Long, Hole> e = byAddress.floorEntry(start);
        if (e == null || e.getValue().end() < end) {
            return false;
        }
        Hole h = e.getValue();
        remove(h);
        if (h.start < start) {
            insert(h.start, start);
        }
        if (end < h.end()) {
            insert(end, h.end());
        }
        return true;
    }

    /** True if [start, end) lies inside one hole. */
    boolean contains(long start, long end) {
        Map.Entry<Long, Hole> e = byAddress.floorEntry(start);
        return e != null && e.getValue().end() >= end;
    }

    /** True if some hole overlaps [start, end). */
    boolean overlaps(long start, long end) {
        Map.Entry<Long, Hole> e = byAddress.lowerEntry(end);
        return e != null && e.getValue().end() > start;
    }

    /** Removes the hole that is exactly [start, end); false if there is no such hole. */
    boolean removeExactHole(long start, long end) {
        Hole h = byAddress.get(start);
        if (h == null || h.end() != end) {
            return false;
        }
        remove(h);
        return true;
    }

    /** Holes in address order (a copy; for invariant checks and tests). */
    List<Hole> holes() {
        return new ArrayList<>(byAddress.values());
    }

    /** Checks the two indexes against each other and the byte count; returns problems found. */
    List<String> check(String name) {
        List<String> problems = new ArrayList<>();
        if (byAddress.size() != bySize.size()) {
            problems.add(name + ": address index has " + byAddress.size() + " holes, size index " + bySize.size());
        }
        long sum = 0;
        Hole prev = null;
        for (Map.Entry<Long, Hole> e : byAddress.entrySet()) {
            Hole h = e.getValue();
            if (h.start != e.getKey() || h.size <= 0) {
                problems.add(name + ": malformed hole " + h);
            }
            if (!bySize.contains(h)) {
                problems.add(name + ": hole " + h + " missing from the size index");
            }
            if (prev != null && prev.end() > h.start) {
                problems.add(name + ": holes overlap " + prev + " " + h);
            }
            sum += h.size;
            prev = h;
        }
        if (sum != freeBytes) {
            problems.add(name + ": free byte count " + freeBytes + " but holes sum to " + sum);
        }
        return problems;
    }
}
