package io.jocclum.sgx.epc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A flat memory cgroup with {@code memory.max}, {@code memory.current}, {@code memory.peak} and the
 * failure count of {@code memory.events max}. Lock-free.
 */
public final class SimpleMemcg implements BackingMemory {
    private final String name;
    private final long max;
    private final AtomicLong usage = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    public SimpleMemcg(String name, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("memory.max must be >= 0, got " + maxBytes);
        }
        this.name = name;
        this.max = maxBytes;
    }

    @Override
    public boolean tryCharge(long bytes) {
        for (;;) {
            long u = usage.get();
            long n = u + bytes;
            if (n > max || n < 0) {
                failures.incrementAndGet();
                return false;
            }
            if (usage.compareAndSet(u, n)) {
                peak.accumulateAndGet(n, Math::max);
                return true;
            }
        }
    }

    @Override
    public void uncharge(long bytes) {
        long n = usage.addAndGet(-bytes);
        if (n < 0) {
            throw new IllegalStateException("memcg " + name + " uncharged below zero (" + n + ")");
        }
    }

    @Override
    public long usage() {
        return usage.get();
    }

    public long max() {
        return max;
    }

    public long peak() {
        return peak.get();
    }

    /** Charges refused because of the limit. */
    public long failures() {
        return failures.get();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "memcg " + name + " " + usage.get() + "/" + (max == Long.MAX_VALUE ? "max" : max);
    }
}
