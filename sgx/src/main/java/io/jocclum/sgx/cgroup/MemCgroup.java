package io.jocclum.sgx.cgroup;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The memory controller's state in one cgroup ({@code struct mem_cgroup}, reduced): page counters
 * for memory and swap, the event counters, and which of the pages charged here are resident or
 * swapped out. Charging goes through {@link MemoryController}; this class is the read side.
 * Amounts are pages of {@link io.jocclum.sgx.arch.Pages#SIZE} bytes.
 */
public final class MemCgroup extends Css<MemCgroup> {
    private final MemoryController controller;
    /** memcg->memory: resident pages charged here and below. */
    final PageCounter memory;
    /** memcg->swap: swapped-out pages charged here and below. */
    final PageCounter swap;
    final AtomicLongArray events = new AtomicLongArray(MemoryEvent.values().length);
    final AtomicLongArray eventsLocal = new AtomicLongArray(MemoryEvent.values().length);
    /** Model bookkeeping: events of released children, for the invariants. */
    final AtomicLongArray releasedEvents = new AtomicLongArray(MemoryEvent.values().length);
    /** Guards {@link #localResident} and {@link #localSwapped}: one lock per memory cgroup. */
    final Object localLock = new Object();
    /** Pages charged at this very level that are resident. */
    @GuardedBy("localLock")
    long localResident;
    /** Pages charged at this very level that are swapped out. */
    @GuardedBy("localLock")
    long localSwapped;

    MemCgroup(MemoryController controller, Cgroup cgroup, MemCgroup parent, long serial, CgroupHierarchy h) {
        super(cgroup, parent, serial);
        this.controller = controller;
        this.memory = new PageCounter(h, parent == null ? null : parent.memory, this);
        this.swap = new PageCounter(h, parent == null ? null : parent.swap, this);
    }

    /** The controller this css belongs to. */
    public MemoryController controller() {
        return controller;
    }

    /** Resident pages charged here and below (memory.current / 4096). */
    public long usagePages() {
        return memory.usage.get();
    }

    /** Highest resident usage in pages (memory.peak / 4096). */
    public long peakPages() {
        return memory.watermark.get();
    }

    /** The limit in pages; {@link MemoryController#PAGE_COUNTER_MAX} means "max". */
    public long maxPages() {
        return memory.max;
    }

    /** Swapped-out pages charged here and below (memory.swap.current / 4096). */
    public long swapPages() {
        return swap.usage.get();
    }

    /** Hierarchical count of {@code e} (memory.events). */
    public long events(MemoryEvent e) {
        return events.get(e.ordinal());
    }

    /** Count of {@code e} at this cgroup only (memory.events.local). */
    public long eventsLocal(MemoryEvent e) {
        return eventsLocal.get(e.ordinal());
    }

    @Override
    void released(MemCgroup parent) {
        controller.released(this, parent);
    }
}
