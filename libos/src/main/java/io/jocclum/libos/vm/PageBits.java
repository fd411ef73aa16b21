package io.jocclum.libos.vm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed-size page bitmap with atomic set, used for the pages of a shared file mapping written
 * since they were last written back (so msync and munmap write back only modified pages, where
 * Occlum rewrites every committed page). Sized by the mapping, i.e. by the file.
 *
 * <p>Set by guest writes under the process read lock (atomic OR); read, cleared, sliced and
 * concatenated only under the process write lock.
 */
final class PageBits {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long pages;

    PageBits(long pages) {
        this.pages = pages;
        this.words = new long[(int) ((pages + 63) >>> 6)];
    }

    long pages() {
        return pages;
    }

    /** Sets pages [from, to) (page indexes). */
    void set(long from, long to) {
        for (long p = from; p < to; ) {
            int w = (int) (p >>> 6);
            int lo = (int) (p & 63);
            int hi = (int) Math.min(64, to - ((long) w << 6));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            if (((long) WORD.getOpaque(words, w) & mask) != mask) {
                WORD.getAndBitwiseOr(words, w, mask);
            }
            p = ((long) w + 1) << 6;
        }
    }

    boolean get(long p) {
        return ((long) WORD.getVolatile(words, (int) (p >>> 6)) & (1L << (p & 63))) != 0;
    }

    void clear(long from, long to) {
        for (long p = from; p < to; p++) {
            if (get(p)) {
                WORD.getAndBitwiseAnd(words, (int) (p >>> 6), ~(1L << (p & 63)));
            }
        }
    }

    /** Runs of set pages within [from, to), as page indexes. */
    void forEachRun(long from, long to, PageRun run) {
        long p = from;
        while (p < to) {
            if (!get(p)) {
                p++;
                continue;
            }
            long r = p;
            while (r < to && get(r)) {
                r++;
            }
            run.accept(p, r);
            p = r;
        }
    }

    /** A copy of pages [from, to). */
    PageBits slice(long from, long to) {
        PageBits b = new PageBits(to - from);
        forEachRun(from, to, (s, e) -> b.set(s - from, e - from));
        return b;
    }

    /** A new bitmap of {@code size} pages holding this one's bits at offset 0 and {@code other}'s at {@code this.pages}. */
    PageBits concat(PageBits other, long size) {
        PageBits b = new PageBits(size);
        forEachRun(0, pages, b::set);
        if (other != null) {
            other.forEachRun(0, other.pages, (s, e) -> b.set(s + pages, e + pages));
        }
        return b;
    }

    /** A copy resized to {@code size} pages (truncated or zero-extended). */
    PageBits resized(long size) {
        PageBits b = new PageBits(size);
        forEachRun(0, Math.min(pages, size), b::set);
        return b;
    }
}
