package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One bit per page of the reserved (committed-at-load) user memory: set when the page may hold
 * non-zero bytes. Unmapping zeroes only the dirty pages of a range, so an untouched mapping
 * costs nothing to free although its memory is committed (Occlum zeroes every committed byte of
 * every unmapped range). Reserved memory is bounded by what was committed at load, so a flat
 * bitmap costs 32 bytes per MB of it.
 *
 * <p>Lock-free: bits are set with atomic OR by guest writes (under their process's read lock)
 * and cleared with atomic AND by the owner of the range (under its write lock).
 */
final class DirtyMap {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long base;
    private final long end;
    private final long[] words;

    DirtyMap(long base, long size) {
        this.base = base;
        this.end = base + size;
        this.words = new long[(int) ((Pages.count(size) + 63) >>> 6)];
    }

    boolean covers(long address) {
        return address >= base && address < end;
    }

    /** Marks the pages touched by [start, end) (byte addresses, end exclusive) dirty. */
    void mark(long start, long end) {
        long p = Pages.index(start - base);
        long last = Pages.index(end - 1 - base);
        while (p <= last) {
            int w = (int) (p >>> 6);
            int from = (int) (p & 63);
            int to = (int) Math.min(63, last - ((long) w << 6));
            long mask = (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            if (((long) WORD.getOpaque(words, w) & mask) != mask) {
                WORD.getAndBitwiseOr(words, w, mask);
            }
            p = ((long) w + 1) << 6;
        }
    }

    boolean isDirty(long address) {
        long p = Pages.index(address - base);
        return ((long) WORD.getVolatile(words, (int) (p >>> 6)) & (1L << (p & 63))) != 0;
    }

    /** Clears the bits of the pages of [start, end) (page aligned). */
    void clear(long start, long end) {
        long p = Pages.index(start - base);
        long last = Pages.index(end - 1 - base);
        while (p <= last) {
            int w = (int) (p >>> 6);
            int from = (int) (p & 63);
            int to = (int) Math.min(63, last - ((long) w << 6));
            long mask = (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            if (((long) WORD.getOpaque(words, w) & mask) != 0) {
                WORD.getAndBitwiseAnd(words, w, ~mask);
            }
            p = ((long) w + 1) << 6;
        }
    }

    /** Calls {@code run} for each maximal run of dirty pages within [start, end) (page aligned). */
    void forEachDirtyRun(long start, long end, PageRun run) {
        long p = Pages.index(start - base);
        long last = Pages.index(end - 1 - base);
        long runStart = -1;
        while (p <= last) {
            long word = (long) WORD.getVolatile(words, (int) (p >>> 6));
            if (word == 0 && (p & 63) == 0 && runStart < 0) {
                p += 64;
                continue;
            }
            boolean d = (word & (1L << (p & 63))) != 0;
            if (d && runStart < 0) {
                runStart = p;
            } else if (!d && runStart >= 0) {
                run.accept(base + Pages.bytes(runStart), base + Pages.bytes(p));
                runStart = -1;
            }
            p++;
        }
        if (runStart >= 0) {
            run.accept(base + Pages.bytes(runStart), base + Pages.bytes(last + 1));
        }
    }
}
