package io.jocclum.sgx.enclave;


import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.epc.EpcPage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * The enclave's page array ({@code encl->page_array}, an xarray in Linux): page index within
 * ELRANGE to {@link EnclavePage}, for present and evicted pages alike.
 *
 * <p>Design: a radix tree of 512-way nodes, as deep as the ELRANGE needs (3 levels for 16 GiB), with
 * interior nodes created on first insert, so a huge, sparsely used ELRANGE costs memory only for the
 * pages that exist. Lookups are lock-free (acquire loads) and are the translation step of every
 * enclave memory access; inserts and removals happen under the enclave lock.
 *
 * <p>A leaf ({@link Leaf}) holds, next to its 512 {@link EnclavePage}s, the translation of each
 * resident one ({@link #translation}: its EPC frame's number and the generation of the frame's
 * EPCM entry, see {@code Epc.translation}; {@code Epc.NO_TRANSLATION} when absent or evicted), which
 * {@link EnclavePage#publish} keeps up to date with {@code EnclavePage.frame}. The access path reads
 * the translations of a run of pages from this primitive array, with no {@code EnclavePage} to load
 * per page; a translation it reads may be stale, which pinning the frame catches (the frame's
 * entry has another generation by then), as the owner and address check does for a stale
 * {@code EnclavePage.frame}.
 */
final class PageTable {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(PageTable.class, "count", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final int BITS = 9;
    private static final int FANOUT = 1 << BITS;

    private static final VarHandle TRANSLATION = MethodHandles.arrayElementVarHandle(long[].class);

    /** A last-level node: 512 pages and the translations of the resident ones. */
    static final class Leaf {
        final Object[] pages = new Object[FANOUT];
        final long[] translations = new long[FANOUT];

        Leaf() {
            java.util.Arrays.fill(translations, Epc.NO_TRANSLATION);
        }
    }

    /** See {@link #prefetch}: written only when a sum of what it read has an impossible value. */
    @SuppressWarnings("unused")
    private static int prefetchSink;

    private final int levels;
    /** A {@link Leaf} when {@code levels} is 1, else an interior node (Object[]). */
    private final Object root;
    /** Written under the enclave lock (release stores), read without it ({@link #size}). */
    @SuppressWarnings("unused") // through COUNT
    private long count;

    PageTable(long pages) {
        int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, pages - 1));
        this.levels = Math.max(1, (bits + BITS - 1) / BITS);
        this.root = levels == 1 ? new Leaf() : new Object[FANOUT];
    }

    EnclavePage get(long index) {
        Leaf n = leaf(index);
        return n == null ? null : entry(n, index);
    }

    /**
     * The leaf node that holds index {@code index} and the 511 around it (those with the same
     * {@code index >>> 9}), null if there is none yet; read its entries with {@link #entry} and
     * {@link #translation}. A run of consecutive pages walks from the root once per leaf instead of once
     * per page.
     */
    Leaf leaf(long index) {
        Object n = root;
        for (int l = levels - 1; l > 0; l--) {
            n = SLOT.getAcquire((Object[]) n, (int) ((index >>> (BITS * l)) & (FANOUT - 1)));
            if (n == null) {
                return null;
            }
        }
        return (Leaf) n;
    }

    /** The page at {@code index} in {@code leaf}, the leaf {@link #leaf} gave for it. */
    static EnclavePage entry(Leaf leaf, long index) {
        return (EnclavePage) SLOT.getAcquire(leaf.pages, (int) (index & (FANOUT - 1)));
    }

    /**
     * The translation of the page at {@code index} in {@code leaf}, {@code Epc.NO_TRANSLATION} when
     * it has no page there or the page is not resident; a plain load, possibly stale (see the class
     * comment).
     */
    static long translation(Leaf leaf, long index) {
        return leaf.translations[(int) (index & (FANOUT - 1))];
    }

    /** Records the translation of the page at {@code index}; no-op when the index has no leaf. Enclave lock held. */
    void setTranslation(long index, long t) {
        Leaf n = leaf(index);
        if (n != null) {
            TRANSLATION.setRelease(n.translations, (int) (index & (FANOUT - 1)), t);
        }
    }

    /** The translation recorded for the page at {@code index}; for the invariant checker. */
    long translationOf(long index) {
        Leaf n = leaf(index);
        return n == null ? Epc.NO_TRANSLATION : (long) TRANSLATION.getAcquire(n.translations, (int) (index & (FANOUT - 1)));
    }

    /**
     * Loads, for the pages at indexes {@code [index, index + n)}, what a driver loop over them reads
     * first: each page's entry, its EPC page and its frame's EPCM and state words. The pages' loads
     * do not depend on each other, so the processor overlaps their cache misses (a give-back meets
     * state last touched a whole pass ago) instead of taking them one after another inside the
     * loop's steps, whose locked updates wait for each miss. Reads only.
     */
    void prefetch(long index, int n) {
        Leaf leaf = null;
        int acc = 0;
        for (long i = index; i < index + n; i++) {
            if (leaf == null || (i & (FANOUT - 1)) == 0) {
                leaf = leaf(i);
                if (leaf == null) {
                    i |= FANOUT - 1; // no pages up to the next leaf
                    continue;
                }
            }
            EnclavePage p = entry(leaf, i);
            EpcPage e = p == null ? null : p.epcPage;
            if (e != null) {
                EpcFrame f = e.frame();
                acc += e.flags() + f.pins() + (f.isValid() ? 1 : 0);
            }
        }
        if (acc == Integer.MIN_VALUE) {
            prefetchSink = acc; // never in practice: what was read is used, so the loads stay
        }
    }

    /** True if {@code a} and {@code b} have the same leaf node. */
    static boolean sameLeaf(long a, long b) {
        return a >>> BITS == b >>> BITS;
    }

    /** {@code xa_insert}: false (EBUSY) if the index is occupied. */
    boolean insert(long index, EnclavePage p) {
        Object n = root;
        for (int l = levels - 1; l > 0; l--) {
            int i = (int) ((index >>> (BITS * l)) & (FANOUT - 1));
            Object next = SLOT.getAcquire((Object[]) n, i);
            if (next == null) {
                next = l == 1 ? new Leaf() : new Object[FANOUT];
                SLOT.setRelease((Object[]) n, i, next);
            }
            n = next;
        }
        Leaf leaf = (Leaf) n;
        int i = (int) (index & (FANOUT - 1));
        if (SLOT.getAcquire(leaf.pages, i) != null) {
            return false;
        }
        EpcFrame f = p.frame;
        TRANSLATION.setRelease(leaf.translations, i, f == null ? Epc.NO_TRANSLATION : f.translation());
        SLOT.setRelease(leaf.pages, i, p);
        COUNT.setRelease(this, (long) COUNT.get(this) + 1);
        return true;
    }

    /** {@code xa_erase}. */
    void remove(long index) {
        Leaf n = leaf(index);
        if (n == null) {
            return;
        }
        int i = (int) (index & (FANOUT - 1));
        if (SLOT.getAcquire(n.pages, i) != null) {
            SLOT.setRelease(n.pages, i, null);
            TRANSLATION.setRelease(n.translations, i, Epc.NO_TRANSLATION);
            COUNT.setRelease(this, (long) COUNT.get(this) - 1);
        }
    }

    /** Pages in the table (an acquire load: callers need not hold the enclave lock). */
    long size() {
        return (long) COUNT.getAcquire(this);
    }

    void forEach(Consumer<EnclavePage> action) {
        walk(root, levels - 1, action);
    }

    private static void walk(Object n, int level, Consumer<EnclavePage> action) {
        Object[] slots = level == 0 ? ((Leaf) n).pages : (Object[]) n;
        for (int i = 0; i < FANOUT; i++) {
            Object o = SLOT.getAcquire(slots, i);
            if (o == null) {
                continue;
            }
            if (level == 0) {
                action.accept((EnclavePage) o);
            } else {
                walk(o, level - 1, action);
            }
        }
    }

    /** The pages with an index in [from, to), in index order; skips empty subtrees. */
    void forEachInRange(long from, long to, Consumer<EnclavePage> action) {
        walkRange(root, levels - 1, 0, from, to, action);
    }

    private static void walkRange(Object n, int level, long prefix, long from, long to, Consumer<EnclavePage> action) {
        Object[] slots = level == 0 ? ((Leaf) n).pages : (Object[]) n;
        long span = 1L << (BITS * level);
        for (int i = 0; i < FANOUT; i++) {
            long lo = prefix + i * span;
            if (lo >= to) {
                return;
            }
            if (lo + span <= from) {
                continue;
            }
            Object o = SLOT.getAcquire(slots, i);
            if (o == null) {
                continue;
            }
            if (level == 0) {
                action.accept((EnclavePage) o);
            } else {
                walkRange(o, level - 1, lo, from, to, action);
            }
        }
    }

    void clear() {
        for (int i = 0; i < FANOUT; i++) {
            if (root instanceof Leaf leaf) {
                SLOT.setRelease(leaf.pages, i, null);
                TRANSLATION.setRelease(leaf.translations, i, Epc.NO_TRANSLATION);
            } else {
                SLOT.setRelease((Object[]) root, i, null);
            }
        }
        COUNT.setRelease(this, 0L);
    }
}
