package io.jocclum.sgx.cgroup;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One resource's counters in one misc cgroup ({@code struct misc_res}). The counters are unsigned
 * 64-bit values in Java longs, updated lock-free like the kernel's {@code atomic64_t}s.
 */
final class MiscRes {
    /** Hierarchical usage: charges made here and below (atomic64 usage). */
    final AtomicLong usage = new AtomicLong();
    /** Highest usage seen (atomic64 watermark): misc.peak. */
    final AtomicLong watermark = new AtomicLong();
    /** Limit hits here or below, the root excluded (atomic64 events): misc.events. */
    final AtomicLong events = new AtomicLong();
    /** Limit hits at this level (atomic64 events_local): misc.events.local. */
    final AtomicLong eventsLocal = new AtomicLong();
    /** Model bookkeeping, not in the kernel: charges made at this very level, for the invariants. */
    final AtomicLong local = new AtomicLong();
    /** Model bookkeeping: events of released children, for the invariants. */
    final AtomicLong releasedEvents = new AtomicLong();
    /** The limit (u64; {@link MiscController#MAX} = "max"). Written by misc.max writes. */
    volatile long max = MiscController.MAX;
    /** The resource owner's per-cgroup state ({@code priv}, v17 patch 04). */
    volatile Object priv;
    /** Whether {@code alloc} succeeded for this css, so {@code free} is owed. */
    volatile boolean allocated;
}
