package io.jocclum.sgx.cgroup;

import io.jocclum.sgx.arch.Pages;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A memory-cgroup model ({@code mm/memcontrol.c}, cgroup v2, v6.11) reduced to what the SGX
 * driver needs: host pages (the backing store's shmem pages) are charged hierarchically to the
 * memory cgroup of a task's mm, limited by {@code memory.max}; over the limit the cgroup reclaims
 * by swapping its own pages out when swap is on, and runs out of memory when nothing can be
 * reclaimed (swap off).
 *
 * <p><b>Charge</b> ({@code try_charge_memcg()}): the page counters are charged up to the root; a
 * level over its max ("{@code mem_over_limit}") gets a {@code max} event and is reclaimed from:
 * with swap on, resident pages charged in its subtree move to swap (memory usage down, swap usage
 * up, within {@code memory.swap.max}); then the charge is retried. Without progress it is retried
 * {@value #MAX_RECLAIM_RETRIES} times, then the cgroup is OOM: an {@code oom} event, the
 * {@link OomKiller} hook (an {@code oom_kill} event on the victim's cgroup if it killed), and the
 * charge fails (ENOMEM). Charges to the root memory cgroup are not counted
 * ({@code mem_cgroup_is_root()} short-cut), charges below it are counted in the root's counter too.
 *
 * <p><b>Simplified:</b> swap is accounting only - the pages' data stays where its owner keeps it
 * - and unlimited in size; pages of a cgroup are interchangeable, an uncharge takes resident pages
 * first, then swapped ones; no per-CPU charge stock, no memory.high/low/min; an OOM kill does not
 * make the failed charge retry (the victim's memory returns when it exits); a {@code memory.max}
 * write below usage reclaims and then invokes the OOM killer at most once. Swap-off brings every
 * swapped page back into memory with a forced charge (limits ignored).
 *
 * <p>Concurrency: the charge path is lock-free except for a per-cgroup lock around the
 * resident/swapped split; reclaim holds the read side of {@link #swapLock}, swap on/off the
 * write side.
 */
public final class MemoryController {
    /** The "max" limit in pages (PAGE_COUNTER_MAX = LONG_MAX / PAGE_SIZE). */
    public static final long PAGE_COUNTER_MAX = PageCounter.PAGE_COUNTER_MAX;
    /** MAX_RECLAIM_RETRIES (mm/internal.h): charge retries without reclaim progress before OOM. */
    static final int MAX_RECLAIM_RETRIES = 16;
    /** SWAP_CLUSTER_MAX (include/linux/swap.h): the least memcg reclaim tries to free. */
    static final int SWAP_CLUSTER_MAX = 32;
    /** PAGE_ALLOC_COSTLY_ORDER (include/linux/mmzone.h): larger charges do not retry on progress. */
    static final int PAGE_ALLOC_COSTLY_ORDER = 3;

    private final CgroupHierarchy hierarchy;
    private final MemCgroup root;
    /** Read side: reclaim (swap-out). Write side: swap on/off. */
    private final ReentrantReadWriteLock swapLock = new ReentrantReadWriteLock();
    /** Written under swapLock's write lock. */
    private volatile boolean swapEnabled = true;
    private volatile OomKiller oomKiller = memcg -> null;

    MemoryController(CgroupHierarchy hierarchy, Cgroup rootCgroup) {
        this.hierarchy = hierarchy;
        this.root = new MemCgroup(this, rootCgroup, null, hierarchy.nextSerial(), hierarchy);
    }

    /** The root memory cgroup. */
    public MemCgroup root() {
        return root;
    }

    /**
     * The memory cgroup of {@code task}'s mm, with a reference the caller drops with
     * {@link Css#put()} ({@code get_mem_cgroup_from_mm()}): its cgroup's memory css or, where
     * memory is not enabled, the nearest ancestor's (the root if none).
     */
    public MemCgroup getTaskMemcg(HostTask task) {
        while (true) {
            MemCgroup m = task.cgroup().effectiveMemory();
            if (m.tryGet()) {
                return m;
            }
            Thread.onSpinWait();
        }
    }

    /** Whether swap is on (the platform's swapon/swapoff state). */
    public boolean swapEnabled() {
        return swapEnabled;
    }

    /**
     * Turns swap on or off (swapon / swapoff of the host's swap device; the S6 selftest turns it
     * off and back on). Turning it off brings every swapped-out page back into memory.
     */
    public void setSwapEnabled(boolean on) {
        swapLock.writeLock().lock();
        try {
            if (!on && swapEnabled) {
                for (MemCgroup m : root.descendantsPre()) {
                    synchronized (m.localLock) {
                        long s = m.localSwapped;
                        if (s > 0) {
                            m.memory.charge(s);
                            m.swap.uncharge(s);
                            m.localResident += s;
                            m.localSwapped = 0;
                        }
                    }
                }
            }
            swapEnabled = on;
        } finally {
            swapLock.writeLock().unlock();
        }
    }

    /** Installs the OOM killer hook (default: kill nothing). */
    public void setOomKiller(OomKiller killer) {
        this.oomKiller = Objects.requireNonNull(killer);
    }

    /**
     * Charges {@code nrPages} host pages to {@code memcg} and its ancestors. Returns true when
     * charged (possibly after swapping other pages of the over-limit cgroup out), false when the
     * cgroup is out of memory (ENOMEM; {@code oom} event raised, OOM killer hook called).
     */
    public boolean tryChargePages(MemCgroup memcg, long nrPages) {
        Objects.requireNonNull(memcg, "memcg");
        if (nrPages < 0) {
            throw new IllegalArgumentException("negative page count " + nrPages);
        }
        if (memcg.isReleased()) {
            throw new IllegalStateException("charge to released " + memcg);
        }
        if (nrPages == 0 || memcg.isRoot()) {
            return true;
        }
        int retries = MAX_RECLAIM_RETRIES;
        while (true) {
            PageCounter fail = memcg.memory.tryCharge(nrPages);
            if (fail == null) {
                synchronized (memcg.localLock) {
                    memcg.localResident += nrPages;
                }
                return true;
            }
            MemCgroup over = fail.owner;
            event(over, MemoryEvent.MAX);
            long reclaimed = reclaim(over, Math.max(nrPages, SWAP_CLUSTER_MAX));
            if (over.memory.margin() >= nrPages) {
                continue;
            }
            if (reclaimed > 0 && nrPages <= (1 << PAGE_ALLOC_COSTLY_ORDER)) {
                continue;
            }
            if (retries-- > 0) {
                continue;
            }
            oom(over);
            return false;
        }
    }

    /**
     * Returns {@code nrPages} pages charged earlier to {@code memcg} (resident ones first, then
     * swapped ones). Uncharging more than was charged warns once and clamps at 0, like the kernel.
     */
    public void unchargePages(MemCgroup memcg, long nrPages) {
        Objects.requireNonNull(memcg, "memcg");
        if (nrPages < 0) {
            throw new IllegalArgumentException("negative page count " + nrPages);
        }
        if (nrPages == 0 || memcg.isRoot()) {
            return;
        }
        long fromResident;
        long fromSwap;
        synchronized (memcg.localLock) {
            fromResident = Math.min(nrPages, memcg.localResident);
            fromSwap = nrPages - fromResident;
            memcg.localResident -= fromResident;
            if (fromSwap > memcg.localSwapped) {
                hierarchy.warnOnce("model:memcg-uncharge", "model: memory cgroup " + memcg.cgroup().path()
                        + " uncharged " + nrPages + " pages, more than charged");
                memcg.localSwapped = 0;
            } else {
                memcg.localSwapped -= fromSwap;
            }
        }
        if (fromResident > 0) {
            memcg.memory.uncharge(fromResident);
        }
        if (fromSwap > 0) {
            memcg.swap.uncharge(fromSwap);
        }
    }

    /**
     * Swaps out up to {@code target} resident pages charged in {@code over}'s subtree
     * ({@code try_to_free_mem_cgroup_pages()} with swap as the only reclaimable memory). Returns
     * the number of pages swapped out: 0 with swap off.
     */
    private long reclaim(MemCgroup over, long target) {
        swapLock.readLock().lock();
        try {
            if (!swapEnabled) {
                return 0;
            }
            long got = 0;
            for (MemCgroup m : over.descendantsPre()) {
                if (got >= target) {
                    break;
                }
                synchronized (m.localLock) {
                    long k = Math.min(target - got, m.localResident);
                    if (k <= 0 || m.swap.tryCharge(k) != null) {
                        continue;
                    }
                    m.memory.uncharge(k);
                    m.localResident -= k;
                    m.localSwapped += k;
                    got += k;
                }
            }
            return got;
        } finally {
            swapLock.readLock().unlock();
        }
    }

    /** {@code mem_cgroup_oom()}: oom event, then the killer hook. */
    private void oom(MemCgroup over) {
        event(over, MemoryEvent.OOM);
        HostTask victim = oomKiller.kill(over);
        if (victim != null) {
            event(victim.cgroup().effectiveMemory(), MemoryEvent.OOM_KILL);
        }
    }

    /**
     * {@code memcg_memory_event()}: events.local at {@code m}; events at {@code m} and its
     * ancestors below the root (at the root only if raised there), with file notifications.
     */
    void event(MemCgroup m, MemoryEvent e) {
        int i = e.ordinal();
        m.eventsLocal.incrementAndGet(i);
        if (m.isOnline() && !m.isRoot()) {
            hierarchy.notifyFile(m.cgroup(), CgroupFile.MEMORY_EVENTS_LOCAL.fileName());
        }
        MemCgroup c = m;
        do {
            c.events.incrementAndGet(i);
            if (c.isOnline() && !c.isRoot()) {
                hierarchy.notifyFile(c.cgroup(), CgroupFile.MEMORY_EVENTS.fileName());
            }
            c = c.parent();
        } while (c != null && !c.isRoot());
    }

    // ---------------------------------------------------------------- css lifecycle

    MemCgroup createCss(Cgroup cg, MemCgroup parent) {
        return new MemCgroup(this, cg, parent, hierarchy.nextSerial(), hierarchy);
    }

    void released(MemCgroup m, MemCgroup parent) {
        if (m.memory.usage.get() != 0 || m.swap.usage.get() != 0) {
            hierarchy.warnOnce("model:memcg-released-charged", "model: memory cgroup " + m.cgroup().path()
                    + " released with pages still charged (a charge without a reference)");
        }
        if (!parent.isRoot()) {
            for (MemoryEvent e : MemoryEvent.values()) {
                parent.releasedEvents.addAndGet(e.ordinal(), m.events.get(e.ordinal()));
            }
        }
    }

    // ---------------------------------------------------------------- files

    String show(CgroupFile f, MemCgroup m) {
        return switch (f) {
            case MEMORY_CURRENT -> bytes(m.memory.usage.get());
            case MEMORY_PEAK -> bytes(m.memory.watermark.get());
            case MEMORY_MAX -> tunable(m.memory.max);
            case MEMORY_SWAP_CURRENT -> bytes(m.swap.usage.get());
            case MEMORY_SWAP_MAX -> tunable(m.swap.max);
            case MEMORY_EVENTS -> showEvents(m.events);
            case MEMORY_EVENTS_LOCAL -> showEvents(m.eventsLocal);
            default -> throw new IllegalArgumentException("not a memory file: " + f);
        };
    }

    private static String bytes(long pages) {
        return Long.toUnsignedString(Pages.bytes(pages)) + "\n";
    }

    /** {@code seq_puts_memcg_tunable()}: "max" or the byte value. */
    private static String tunable(long pages) {
        return pages == PAGE_COUNTER_MAX ? "max\n" : bytes(pages);
    }

    private static String showEvents(AtomicLongArray ev) {
        StringBuilder sb = new StringBuilder();
        for (MemoryEvent e : MemoryEvent.values()) {
            sb.append(e.key()).append(' ').append(ev.get(e.ordinal())).append('\n');
        }
        return sb.toString();
    }

    /**
     * {@code memory_max_write()}: strip, {@code page_counter_memparse(buf, "max")} (EINVAL), set
     * the limit (rounded down to pages), then - unlike misc.max - enforce it at once: reclaim
     * (swap out) the excess, and if that cannot make usage fit, an {@code oom} event and the OOM
     * killer.
     */
    void writeMax(MemCgroup m, String text) {
        long max = KernelParse.pageCounterMemparse(KernelParse.strstrip(text));
        m.memory.max = max;
        int nrReclaims = MAX_RECLAIM_RETRIES;
        while (true) {
            long usage = m.memory.usage.get();
            if (usage <= max) {
                return;
            }
            if (nrReclaims > 0) {
                if (reclaim(m, usage - max) == 0) {
                    nrReclaims--;
                }
                continue;
            }
            oom(m);
            return;
        }
    }

    /** {@code swap_max_write()}: strip, parse like memory.max, set. Not enforced on write. */
    void writeSwapMax(MemCgroup m, String text) {
        m.swap.max = KernelParse.pageCounterMemparse(KernelParse.strstrip(text));
    }
}
