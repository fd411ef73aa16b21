package io.jocclum.sgx.cgroup;

import io.jocclum.sgx.arch.Pages;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A hierarchical page counter ({@code struct page_counter}, {@code mm/page_counter.c}, v6.11): a
 * usage in pages, a limit and a watermark, chained to the parent's counter. Lock-free.
 */
final class PageCounter {
    /** PAGE_COUNTER_MAX = LONG_MAX / PAGE_SIZE (include/linux/page_counter.h, 64-bit). */
    static final long PAGE_COUNTER_MAX = Long.MAX_VALUE / Pages.SIZE;

    private final CgroupHierarchy hierarchy;
    final PageCounter parent;
    final MemCgroup owner;
    final AtomicLong usage = new AtomicLong();
    final AtomicLong watermark = new AtomicLong();
    /** In pages. Written by memory.max / memory.swap.max writes. */
    volatile long max = PAGE_COUNTER_MAX;

    PageCounter(CgroupHierarchy hierarchy, PageCounter parent, MemCgroup owner) {
        this.hierarchy = hierarchy;
        this.parent = parent;
        this.owner = owner;
    }

    /**
     * {@code page_counter_try_charge()}: adds {@code n} at every level up to the root; at the
     * first level over its max, takes it back there and below and returns that level's counter.
     * Returns null on success. Levels below a failing one keep their raised watermark.
     */
    PageCounter tryCharge(long n) {
        for (PageCounter c = this; c != null; c = c.parent) {
            long now = c.usage.addAndGet(n);
            if (now > c.max) {
                c.usage.addAndGet(-n);
                for (PageCounter d = this; d != c; d = d.parent) {
                    d.cancel(n);
                }
                return c;
            }
            c.raiseWatermark(now);
        }
        return null;
    }

    /** {@code page_counter_charge()}: adds {@code n} at every level, ignoring limits. */
    void charge(long n) {
        for (PageCounter c = this; c != null; c = c.parent) {
            c.raiseWatermark(c.usage.addAndGet(n));
        }
    }

    /** {@code page_counter_uncharge()}. */
    void uncharge(long n) {
        for (PageCounter c = this; c != null; c = c.parent) {
            c.cancel(n);
        }
    }

    /** {@code page_counter_cancel()}: on underflow warn once and reset to 0, as the kernel does. */
    private void cancel(long n) {
        long now = usage.addAndGet(-n);
        if (now < 0) {
            hierarchy.warnOnce("page_counter_cancel", "page_counter underflow: " + now + " nr_pages=" + n);
            usage.set(0);
        }
    }

    private void raiseWatermark(long now) {
        while (true) {
            long old = watermark.get();
            if (now <= old || watermark.compareAndSet(old, now)) {
                return;
            }
        }
    }

    /** {@code mem_cgroup_margin()} for this counter alone: pages left below max. */
    long margin() {
        long u = usage.get();
        long m = max;
        return u < m ? m - u : 0;
    }
}
