package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Which pages of the EDMM user region are committed (have an accepted EPC page), as a two-level
 * bitmap whose memory stays bounded for terabyte regions.
 *
 * <p>Level 1 is a lazily allocated directory per GB of the region; level 2 a leaf per 4 MB
 * (1024 pages, Occlum's PAGE_CHUNK_UNIT in {@code page_tracker.rs}). A leaf is absent while none
 * of its pages is committed and collapses to the shared {@link #FULL} sentinel when all are, so
 * memory is 128 bytes per partially committed 4 MB plus 1 KB per GB ever touched, whatever the
 * region size: a 1 TB region fully committed costs about 1 MB, an untouched one 8 KB of
 * directory slots. Unlike Occlum's, bits also go from 1 to 0: pages given back to the platform
 * (EMODT/EACCEPT/EREMOVE) are cleared, and a full leaf un-collapses.
 *
 * <p>Locking: every read-modify-write of a leaf, and every callback made for pages of a leaf,
 * runs under that leaf's stripe lock ({@code stripes[leafIndex % 64]}), so two threads
 * committing pages of the same 4 MB are serialised (no double EACCEPT) while different leaves
 * proceed in parallel. Callbacks may perform platform operations but must not take VM locks.
 */
final class CommitTracker {
    /** Pages per leaf: 4 MB (Occlum PAGE_CHUNK_UNIT = 4 MB). */
    static final int LEAF_PAGES = 1024;
    static final int LEAF_SHIFT = 10;
    /** Leaves per directory: 1 GB. */
    static final int DIR_LEAVES = 256;
    static final int DIR_SHIFT = 8;
    private static final int WORDS = LEAF_PAGES / 64;
    private static final int STRIPES = 64;

    /** A leaf with some but not all pages committed. */
    static final class Leaf {
        final long[] bits = new long[WORDS];
        int count;
    }

    /** Sentinel of a fully committed leaf (never mutated). */
    static final Leaf FULL = new Leaf();

    private final long base;
    private final long pages;
    private final AtomicReferenceArray<Leaf[]> dirs;
    private final Object[] stripes = new Object[STRIPES];
    final AtomicLong committed = new AtomicLong(); // package-private for the checker's tests

    CommitTracker(long base, long size) {
        if (!Pages.isAligned(base) || !Pages.isAligned(size) || size <= 0) {
            throw new IllegalArgumentException("commit tracker range must be page aligned and non-empty: 0x"
                    + Long.toHexString(base) + "+0x" + Long.toHexString(size));
        }
        this.base = base;
        this.pages = Pages.count(size);
        long leaves = (pages + LEAF_PAGES - 1) >>> LEAF_SHIFT;
        this.dirs = new AtomicReferenceArray<>((int) ((leaves + DIR_LEAVES - 1) >>> DIR_SHIFT));
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    long base() {
        return base;
    }

    long end() {
        return base + Pages.bytes(pages);
    }

    boolean covers(long address) {
        return address >= base && address < end();
    }

    long committedPages() {
        return committed.get();
    }

    /** Pages of leaves currently allocated as partial bitmaps (for the memory-bound test). */
    long partialLeaves() {
        long n = 0;
        for (int d = 0; d < dirs.length(); d++) {
            Leaf[] dir = dirs.get(d);
            if (dir != null) {
                for (long li = (long) d << DIR_SHIFT; li < Math.min(leafCount(), (long) (d + 1) << DIR_SHIFT); li++) {
                    synchronized (stripe(li)) {
                        Leaf l = dir[(int) (li & (DIR_LEAVES - 1))];
                        if (l != null && l != FULL) {
                            n++;
                        }
                    }
                }
            }
        }
        return n;
    }

    /** Directories allocated so far. */
    int directories() {
        int n = 0;
        for (int d = 0; d < dirs.length(); d++) {
            if (dirs.get(d) != null) {
                n++;
            }
        }
        return n;
    }

    private long leafCount() {
        return (pages + LEAF_PAGES - 1) >>> LEAF_SHIFT;
    }

    private Object stripe(long leafIndex) {
        return stripes[(int) (leafIndex & (STRIPES - 1))];
    }

    private Leaf[] dir(long leafIndex, boolean create) {
        int d = (int) (leafIndex >>> DIR_SHIFT);
        Leaf[] dir = dirs.get(d);
        if (dir == null && create) {
            dir = new Leaf[DIR_LEAVES];
            if (!dirs.compareAndSet(d, null, dir)) {
                dir = dirs.get(d);
            }
        }
        return dir;
    }

    /** Leaf state, caller holds the stripe lock: null (empty), FULL or partial. */
    Leaf leaf(long leafIndex) {
        Leaf[] dir = dir(leafIndex, false);
        return dir == null ? null : dir[(int) (leafIndex & (DIR_LEAVES - 1))];
    }

    void setLeaf(long leafIndex, Leaf l) {
        Leaf[] dir = dir(leafIndex, l != null);
        if (dir != null) {
            dir[(int) (leafIndex & (DIR_LEAVES - 1))] = l;
        }
    }

    private static boolean bit(Leaf l, int i) {
        if (l == null) {
            return false;
        }
        if (l == FULL) {
            return true;
        }
        return (l.bits[i >>> 6] & (1L << i)) != 0;
    }

    private long pageIndex(long address) {
        if (address < base || address >= end()) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " outside the user region");
        }
        return Pages.index(address - base);
    }

    boolean isCommitted(long address) {
        long p = pageIndex(address);
        long li = p >>> LEAF_SHIFT;
        synchronized (stripe(li)) {
            return bit(leaf(li), (int) (p & (LEAF_PAGES - 1)));
        }
    }

    /** True when every page of [start, end) is committed. */
    boolean allCommitted(long start, long end) {
        long p = pageIndex(start);
        long last = pageIndex(end - 1);
        while (p <= last) {
            long li = p >>> LEAF_SHIFT;
            long leafEnd = Math.min(last + 1, (li + 1) << LEAF_SHIFT);
            synchronized (stripe(li)) {
                Leaf l = leaf(li);
                if (l != FULL) {
                    if (l == null) {
                        return false;
                    }
                    for (long q = p; q < leafEnd; q++) {
                        if (!bit(l, (int) (q & (LEAF_PAGES - 1)))) {
                            return false;
                        }
                    }
                }
            }
            p = leafEnd;
        }
        return true;
    }

    /** Per-page commit action: commits the page at {@code address} or throws; the bit is set after it returns. */
    @FunctionalInterface
    interface PageCommit {
        void commit(long address);
    }

    /**
     * Commit action for a run of uncommitted pages [a, b) of one leaf: commits the pages in
     * address order, passing each to {@code committed} as soon as it is committed (which marks
     * it), and stops early by throwing.
     */
    @FunctionalInterface
    interface RunCommit {
        void commit(long a, long b, LongConsumer committed);
    }

    /**
     * For every uncommitted page of [start, end), in address order: runs {@code action} and then
     * marks the page committed. Returns the number of pages committed. If the action throws, the
     * pages before it stay committed and marked, and the exception propagates.
     */
    long commit(long start, long end, PageCommit action) {
        return commitRuns(start, end, (a, b, committed) -> {
            for (long x = a; x < b; x += Pages.SIZE) {
                action.commit(x);
                committed.accept(x);
            }
        });
    }

    /**
     * For every maximal run of uncommitted pages of [start, end) within one 4 MB leaf, in address
     * order and under the leaf's lock: runs {@code action}, which marks each page it committed.
     * Returns the number of pages committed. If the action throws, the pages it marked stay
     * committed and the exception propagates.
     */
    long commitRuns(long start, long end, RunCommit action) {
        long p = pageIndex(start);
        long last = pageIndex(end - 1);
        Marker marker = new Marker();
        while (p <= last) {
            long li = p >>> LEAF_SHIFT;
            long leafEnd = Math.min(last + 1, (li + 1) << LEAF_SHIFT);
            synchronized (stripe(li)) {
                Leaf l = leaf(li);
                long q = p;
                while (l != FULL && q < leafEnd) {
                    if (l != null && bit(l, (int) (q & (LEAF_PAGES - 1)))) {
                        q++;
                        continue;
                    }
                    long r = q + 1;
                    while (r < leafEnd && (l == null || !bit(l, (int) (r & (LEAF_PAGES - 1))))) {
                        r++;
                    }
                    marker.start(li, l, q);
                    try {
                        action.commit(base + Pages.bytes(q), base + Pages.bytes(r), marker);
                    } finally {
                        committed.addAndGet(marker.next - q); // once for the run, not once per page
                    }
                    if (marker.next != r) {
                        throw new IllegalStateException("a commit action returned after committing "
                                + (marker.next - q) + " of " + (r - q) + " pages");
                    }
                    l = marker.leaf;
                    q = r;
                }
            }
            p = leafEnd;
        }
        return marker.done;
    }

    /** Marks the pages of one run committed as a {@link RunCommit} reports them, in order. */
    private final class Marker implements LongConsumer {
        long li;
        Leaf leaf;
        long next;
        long done;

        void start(long leafIndex, Leaf l, long first) {
            this.li = leafIndex;
            this.leaf = l;
            this.next = first;
        }

        @Override
        public void accept(long address) {
            long q = pageIndex(address);
            if (q != next || leaf == FULL) {
                throw new IllegalStateException("page 0x" + Long.toHexString(address) + " reported committed out of order");
            }
            int i = (int) (q & (LEAF_PAGES - 1));
            if (leaf == null) {
                leaf = new Leaf();
                setLeaf(li, leaf);
            }
            leaf.bits[i >>> 6] |= 1L << i;
            leaf.count++;
            next++;
            done++;
            if (leaf.count == leafPagesOf(li)) {
                setLeaf(li, FULL);
                leaf = FULL;
            }
        }
    }

    /** Pages in leaf {@code li} (the last leaf of the region may be short). */
    private int leafPagesOf(long li) {
        return (int) Math.min(LEAF_PAGES, pages - (li << LEAF_SHIFT));
    }

    /**
     * Calls {@code run} for each maximal run of committed pages in [start, end) (split at leaf
     * boundaries), under the leaf's lock. If {@code clearAfter}, the run's pages are then marked
     * uncommitted (the caller gave them back to the platform).
     */
    void forEachCommittedRun(long start, long end, boolean clearAfter, PageRun run) {
        long p = pageIndex(start);
        long last = pageIndex(end - 1);
        while (p <= last) {
            long li = p >>> LEAF_SHIFT;
            long leafEnd = Math.min(last + 1, (li + 1) << LEAF_SHIFT);
            synchronized (stripe(li)) {
                Leaf l = leaf(li);
                if (l != null) {
                    long q = p;
                    while (q < leafEnd) {
                        if (!bit(l, (int) (q & (LEAF_PAGES - 1)))) {
                            q++;
                            continue;
                        }
                        long r = q;
                        while (r < leafEnd && bit(l, (int) (r & (LEAF_PAGES - 1)))) {
                            r++;
                        }
                        run.accept(base + Pages.bytes(q), base + Pages.bytes(r));
                        if (clearAfter) {
                            l = clear(li, l, q, r);
                        }
                        q = r;
                    }
                }
            }
            p = leafEnd;
        }
    }

    /** Marks every page of [start, end) uncommitted (the caller gave them back to the platform). */
    void uncommit(long start, long end) {
        long p = pageIndex(start);
        long last = pageIndex(end - 1);
        while (p <= last) {
            long li = p >>> LEAF_SHIFT;
            long leafEnd = Math.min(last + 1, (li + 1) << LEAF_SHIFT);
            synchronized (stripe(li)) {
                Leaf l = leaf(li);
                if (l != null) {
                    clear(li, l, p, leafEnd);
                }
            }
            p = leafEnd;
        }
    }

    /** Clears pages [q, r) of leaf li (caller holds the stripe lock); returns the new leaf state. */
    private Leaf clear(long li, Leaf l, long q, long r) {
        if (l == FULL) {
            l = new Leaf();
            for (int i = 0; i < leafPagesOf(li); i++) {
                l.bits[i >>> 6] |= 1L << i;
            }
            l.count = leafPagesOf(li);
            setLeaf(li, l);
        }
        int cleared = 0;
        for (long x = q; x < r; x++) {
            int i = (int) (x & (LEAF_PAGES - 1));
            long m = 1L << i;
            if ((l.bits[i >>> 6] & m) != 0) {
                l.bits[i >>> 6] &= ~m;
                cleared++;
            }
        }
        l.count -= cleared;
        committed.addAndGet(-cleared); // once for the stretch, not once per page
        if (l.count == 0) {
            setLeaf(li, null);
            return null;
        }
        return l;
    }

    /** Structural checks: leaf counts match bits, no full or empty leaf left uncollapsed, total matches. */
    List<String> check() {
        List<String> problems = new ArrayList<>();
        long total = 0;
        for (long li = 0; li < leafCount(); li++) {
            synchronized (stripe(li)) {
                Leaf l = leaf(li);
                if (l == null) {
                    continue;
                }
                if (l == FULL) {
                    total += leafPagesOf(li);
                    continue;
                }
                int c = 0;
                for (long w : l.bits) {
                    c += Long.bitCount(w);
                }
                if (c != l.count) {
                    problems.add("commit tracker leaf " + li + ": count " + l.count + " but " + c + " bits set");
                }
                if (c == 0 || c == leafPagesOf(li)) {
                    problems.add("commit tracker leaf " + li + ": " + c + " pages set but not collapsed");
                }
                total += c;
            }
        }
        if (total != committed.get()) {
            problems.add("commit tracker: total " + committed.get() + " but leaves hold " + total);
        }
        return problems;
    }
}
