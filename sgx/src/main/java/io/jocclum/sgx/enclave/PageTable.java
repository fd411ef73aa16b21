package io.jocclum.sgx.enclave;


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

    private final int levels;
    private final Object[] root = new Object[FANOUT];
    /** Written under the enclave lock (release stores), read without it ({@link #size}). */
    @SuppressWarnings("unused") // through COUNT
    private long count;

    PageTable(long pages) {
        int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, pages - 1));
        this.levels = Math.max(1, (bits + BITS - 1) / BITS);
    }

    EnclavePage get(long index) {
        Object[] n = leaf(index);
        return n == null ? null : entry(n, index);
    }

    /**
     * The leaf node that holds index {@code index} and the 511 around it (those with the same
     * {@code index >>> 9}), null if there is none yet; read its entries with {@link #entry}. A run
     * of consecutive pages walks from the root once per leaf instead of once per page.
     */
    Object[] leaf(long index) {
        Object[] n = root;
        for (int l = levels - 1; l > 0; l--) {
            n = (Object[]) SLOT.getAcquire(n, (int) ((index >>> (BITS * l)) & (FANOUT - 1)));
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** The page at {@code index} in {@code leaf}, the leaf {@link #leaf} gave for it. */
    static EnclavePage entry(Object[] leaf, long index) {
        return (EnclavePage) SLOT.getAcquire(leaf, (int) (index & (FANOUT - 1)));
    }

    /** True if {@code a} and {@code b} have the same leaf node. */
    static boolean sameLeaf(long a, long b) {
        return a >>> BITS == b >>> BITS;
    }

    /** {@code xa_insert}: false (EBUSY) if the index is occupied. */
    boolean insert(long index, EnclavePage p) {
        Object[] n = root;
        for (int l = levels - 1; l > 0; l--) {
            int i = (int) ((index >>> (BITS * l)) & (FANOUT - 1));
            Object[] next = (Object[]) SLOT.getAcquire(n, i);
            if (next == null) {
                next = new Object[FANOUT];
                SLOT.setRelease(n, i, next);
            }
            n = next;
        }
        int i = (int) (index & (FANOUT - 1));
        if (SLOT.getAcquire(n, i) != null) {
            return false;
        }
        SLOT.setRelease(n, i, p);
        COUNT.setRelease(this, (long) COUNT.get(this) + 1);
        return true;
    }

    /** {@code xa_erase}. */
    void remove(long index) {
        Object[] n = root;
        for (int l = levels - 1; l > 0; l--) {
            n = (Object[]) SLOT.getAcquire(n, (int) ((index >>> (BITS * l)) & (FANOUT - 1)));
            if (n == null) {
                return;
            }
        }
        int i = (int) (index & (FANOUT - 1));
        if (SLOT.getAcquire(n, i) != null) {
            SLOT.setRelease(n, i, null);
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

    private static void walk(Object[] n, int level, Consumer<EnclavePage> action) {
        for (int i = 0; i < FANOUT; i++) {
            Object o = SLOT.getAcquire(n, i);
            if (o == null) {
                continue;
            }
            if (level == 0) {
                action.accept((EnclavePage) o);
            } else {
                walk((Object[]) o, level - 1, action);
            }
        }
    }

    /** The pages with an index in [from, to), in index order; skips empty subtrees. */
    void forEachInRange(long from, long to, Consumer<EnclavePage> action) {
        walkRange(root, levels - 1, 0, from, to, action);
    }

    private static void walkRange(Object[] n, int level, long prefix, long from, long to, Consumer<EnclavePage> action) {
        long span = 1L << (BITS * level);
        for (int i = 0; i < FANOUT; i++) {
            long lo = prefix + i * span;
            if (lo >= to) {
                return;
            }
            if (lo + span <= from) {
                continue;
            }
            Object o = SLOT.getAcquire(n, i);
            if (o == null) {
                continue;
            }
            if (level == 0) {
                action.accept((EnclavePage) o);
            } else {
                walkRange((Object[]) o, level - 1, lo, from, to, action);
            }
        }
    }

    void clear() {
        for (int i = 0; i < FANOUT; i++) {
            SLOT.setRelease(root, i, null);
        }
        COUNT.setRelease(this, 0L);
    }
}
