package io.jocclum.sgx.epc;

import io.jocclum.sgx.cgroup.Mm;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The base batch reclaimer ({@code sgx_reclaim_pages(lru, charge_mm)}, main.c, spec 3.4) and the
 * LRU tracking calls ({@code sgx_mark_page_reclaimable}, {@code sgx_unmark_page_reclaimable}).
 *
 * <p>One batch: under the LRU lock isolate up to SGX_NR_TO_SCAN pages from the head (a page whose
 * enclave is being released is dropped from tracking instead); age each (accessed since the last
 * scan: back to the tail) and allocate its backing (failure: back to the tail); EBLOCK all survivors;
 * then EWB each (ETRACK, IPI when needed), free the EPC page (uncharging its cgroup). Any controller
 * may run it on any LRU. Thread-safe; several reclaimers may run at once on the same or other LRUs.
 */
public final class Reclaimer {
    private final EpcAllocator allocator;
    private final EpcTunables tunables;
    private EpcController controller;   // set once before use
    private final LongAdder evicted = new LongAdder();
    private final LongAdder rotated = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder batches = new LongAdder();

    Reclaimer(EpcAllocator allocator, EpcTunables tunables) {
        this.allocator = allocator;
        this.tunables = tunables;
    }

    void attach(EpcController c) {
        this.controller = c;
    }

    /** {@code sgx_mark_page_reclaimable}: appends the page to its group's LRU. */
    public void markReclaimable(EpcPage page) {
        EpcLru lru = controller.lru(page.group());
        lru.lock.lock();
        try {
            track(lru, page);
        } finally {
            lru.lock.unlock();
        }
    }

    /**
     * {@link #markReclaimable} of {@code pages[0, n)} in that order, taking an LRU's lock once for
     * each stretch of pages on that LRU: for a caller that has just made a run of pages.
     */
    public void markReclaimableRun(EpcPage[] pages, int n) {
        for (int i = 0; i < n; ) {
            EpcGroup group = pages[i].group();
            EpcLru lru = controller.lru(group);
            lru.lock.lock();
            try {
                for (; i < n && pages[i].group() == group; i++) {
                    track(lru, pages[i]);
                }
            } finally {
                lru.lock.unlock();
            }
        }
    }

    /** Marks {@code page} tracked and appends it to {@code lru}, whose lock is held. */
    private static void track(EpcLru lru, EpcPage page) {
        if (page.isReclaimerTracked()) {
            throw new IllegalStateException(page + " is already tracked by the reclaimer");
        }
        page.setFlag(EpcPage.RECLAIMER_TRACKED);
        lru.addTail(page);
    }

    /**
     * {@code sgx_unmark_page_reclaimable}: takes the page off its LRU. False (the kernel's EBUSY) if
     * a reclaimer has it isolated right now.
     */
    public boolean unmarkReclaimable(EpcPage page) {
        EpcLru lru = controller.lru(page.group());
        lru.lock.lock();
        try {
            if (page.isReclaimerTracked()) {
                if (page.lru == null) {
                    return false;
                }
                lru.unlink(page);
                page.clearFlag(EpcPage.RECLAIMER_TRACKED);
            }
            return true;
        } finally {
            lru.lock.unlock();
        }
    }

    /** One batch on {@code lru}; returns the number of pages isolated. See {@link EpcServices#reclaimPages}. */
    public int reclaimPages(EpcLru lru, Mm chargeMm) {
        return reclaimPages(lru, chargeMm, null);
    }

    /**
     * One batch on the pages of {@code lru} that satisfy {@code select} (all when null), scanning
     * from the head under the LRU lock; see {@link EpcServices#reclaimPages(EpcLru, Mm, Predicate)}.
     */
    public int reclaimPages(EpcLru lru, Mm chargeMm, Predicate<EpcPage> select) {
        int n = tunables.nrToScan();
        EpcPage[] chunk = new EpcPage[n];
        int cnt = 0;
        int taken = 0;
        batches.increment();
        lru.lock.lock();
        try {
            EpcPage p = lru.first();
            while (p != null && taken < n) {
                EpcPage next = p.next;
                if (select == null || select.test(p)) {
                    taken++;
                    lru.unlink(p);
                    Reclaimable r = (Reclaimable) p.owner();
                    if (r.tryGetOwner()) {
                        chunk[cnt++] = p;
                    } else {
                        p.clearFlag(EpcPage.RECLAIMER_TRACKED); // the owner is freeing the page
                    }
                }
                p = next;
            }
        } finally {
            lru.lock.unlock();
        }
        for (int i = 0; i < cnt; i++) {
            EpcPage p = chunk[i];
            Reclaimable r = (Reclaimable) p.owner();
            boolean old = r.age();
            if (old && r.prepare(chargeMm)) {
                continue;
            }
            (old ? skipped : rotated).increment();
            lru.lock.lock();
            try {
                lru.addTail(p);
            } finally {
                lru.lock.unlock();
            }
            r.putOwner();
            chunk[i] = null;
        }
        for (int i = 0; i < cnt; i++) {
            if (chunk[i] != null) {
                ((Reclaimable) chunk[i].owner()).block();
            }
        }
        for (int i = 0; i < cnt; i++) {
            EpcPage p = chunk[i];
            if (p == null) {
                continue;
            }
            Reclaimable r = (Reclaimable) p.owner();
            r.write();
            r.putOwner();
            p.clearFlag(EpcPage.RECLAIMER_TRACKED);
            allocator.free(p);
            evicted.increment();
        }
        return cnt;
    }

    /** Pages written back so far. */
    public long evictedPages() {
        return evicted.sum();
    }

    /** Pages found young and rotated to the LRU tail. */
    public long rotatedPages() {
        return rotated.sum();
    }

    /** Old pages put back because their backing could not be allocated. */
    public long skippedPages() {
        return skipped.sum();
    }

    /** Evicted plus rotated pages: moves whenever a batch achieved anything. */
    public long progress() {
        return evicted.sum() + rotated.sum();
    }

    public long batches() {
        return batches.sum();
    }
}
