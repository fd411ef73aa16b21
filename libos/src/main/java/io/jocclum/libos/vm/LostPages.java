package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Pages the platform can neither restore nor give back: their evicted contents failed the
 * integrity check at ELDU (the host tampered with the backing store), so every access is SIGBUS
 * (BUS_OBJERR), and every ioctl that must load them (EMODT, EMODPR, REMOVE_PAGES) fails with
 * EFAULT. Linux takes a page with a memory error out of circulation (memory_failure); here the
 * linear address itself is lost, since the enclave cannot get another EPC page at an address
 * whose page still exists. Such pages are retired: never returned to a free space, so no new
 * mapping is placed over them; they stay committed (valid in the EPCM) until the enclave goes.
 * A mapping that keeps its range across the loss (MAP_FIXED over one's own mapping, brk growing
 * back) still covers the page, and an access there is SIGBUS.
 *
 * <p>Thread-safe (a concurrent sorted set); retiring is rare, lookups are O(log n + k).
 */
final class LostPages {
    private final ConcurrentSkipListSet<Long> pages = new ConcurrentSkipListSet<>();

    void retire(long page) {
        pages.add(Pages.down(page));
    }

    boolean contains(long page) {
        return !pages.isEmpty() && pages.contains(Pages.down(page));
    }

    /** The lost pages in [start, end), ascending. */
    NavigableSet<Long> in(long start, long end) {
        return pages.subSet(start, true, end, false);
    }

    /** Bytes of lost pages in [start, end). */
    long bytesIn(long start, long end) {
        return pages.isEmpty() ? 0 : Pages.bytes(in(start, end).size());
    }

    long count() {
        return pages.size();
    }

    /**
     * Frees [start, end) in {@code fs} except the lost pages (coalescing within [lo, hi]): the
     * lost pages stay out of every free space.
     */
    void freeExcept(FreeSpace fs, long start, long end, long lo, long hi) {
        if (pages.isEmpty()) {
            fs.free(start, end, lo, hi);
            return;
        }
        long cur = start;
        for (long p : in(start, end)) {
            if (p > cur) {
                fs.free(cur, p, lo, hi);
            }
            cur = p + Pages.SIZE;
        }
        if (cur < end) {
            fs.free(cur, end, lo, hi);
        }
    }
}
