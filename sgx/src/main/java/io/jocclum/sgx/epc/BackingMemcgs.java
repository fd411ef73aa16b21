package io.jocclum.sgx.epc;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.MemCgroup;
import io.jocclum.sgx.cgroup.MemoryController;
import io.jocclum.sgx.cgroup.Mm;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The memory cgroups the SGX backing store charges (v17 patch 11, spec 2.9): resolves an mm to
 * the memory cgroup of its owner ({@code get_mem_cgroup_from_mm}) and adapts it to the
 * {@link BackingMemory} the backing store charges page by page.
 *
 * <p>Design: one adapter per memory cgroup, created on first use. A charge goes to
 * {@link MemoryController#tryChargePages} (hierarchical, reclaim by swapping, OOM killer with swap
 * off) and holds a reference on the memory cgroup per page, as a charged shmem folio pins its
 * memcg, so a removed cgroup is released only once its backing pages are gone. The model's memory
 * controller does not count the root (like the kernel); each adapter also counts the bytes it
 * charged, which is what {@link #chargedBytes()} and the invariants use.
 *
 * <p>Thread-safe: the adapter map is concurrent, counters are atomic.
 */
public final class BackingMemcgs {

    private final MemoryController memory;
    private final ConcurrentHashMap<MemCgroup, Adapter> adapters = new ConcurrentHashMap<>();
    private final Adapter root;
    /** Runs before every backing charge when set: lets tests hold a reclaimer mid-batch. */
    private volatile Runnable chargeHook;

    public BackingMemcgs(CgroupHierarchy cgroups) {
        this.memory = cgroups.memory();
        this.root = adapter(memory.root());
    }

    /** The adapter of the root memory cgroup (tasks in the root, enclaves without a live mm). */
    public BackingMemory root() {
        return root;
    }

    /** The memory cgroup of {@code mm}'s owner. */
    public BackingMemory of(Mm mm) {
        MemCgroup m = memory.getTaskMemcg(mm.owner());
        try {
            return adapter(m);
        } finally {
            m.put();
        }
    }

    /** The adapter of {@code memcg}. */
    public BackingMemory of(MemCgroup memcg) {
        return adapter(memcg);
    }

    /**
     * Installs (or with null removes) a hook run at the start of every backing-store charge, on the
     * charging thread. For tests that need a reclaimer to stop between isolating its batch and
     * writing it back; never set in production.
     */
    public void setChargeHook(Runnable hook) {
        chargeHook = hook;
    }

    private Adapter adapter(MemCgroup m) {
        return adapters.computeIfAbsent(m, Adapter::new);
    }

    /** Bytes charged through all adapters: must equal the backing stores' bytes when quiescent. */
    public long chargedBytes() {
        long n = 0;
        for (Adapter a : adapters.values()) {
            n += a.bytes.get();
        }
        return n;
    }

    /**
     * Each non-root memory cgroup's pages (resident + swapped, hierarchical) equal the pages the
     * adapters of its subtree charged: the backing store is the only host memory the model charges.
     */
    public void checkInvariants(Consumer<String> problems) {
        for (MemCgroup m : memory.root().descendantsPre()) {
            if (m.isRoot() || m.isReleased()) {
                continue;
            }
            long expected = 0;
            for (MemCgroup d : m.descendantsPre()) {
                Adapter a = adapters.get(d);
                if (a != null) {
                    expected += Pages.count(a.bytes.get());
                }
            }
            long got = m.usagePages() + m.swapPages();
            if (got != expected) {
                problems.accept("memory cgroup " + m.cgroup().path() + " holds " + got
                        + " pages but the backing store charged " + expected + " pages to its subtree");
            }
        }
        for (Adapter a : adapters.values()) {
            if (a.memcg.isReleased() && a.bytes.get() != 0) {
                problems.accept("released memory cgroup " + a.name() + " still has " + a.bytes.get()
                        + " backing bytes charged");
            }
        }
    }

    private final class Adapter implements BackingMemory {
        final MemCgroup memcg;
        final AtomicLong bytes = new AtomicLong();

        Adapter(MemCgroup memcg) {
            this.memcg = memcg;
        }

        @Override
        public boolean tryCharge(long n) {
            Runnable hook = chargeHook;
            if (hook != null) {
                hook.run();
            }
            long pages = pages(n);
            for (long i = 0; i < pages; i++) {
                if (!memcg.tryGet()) {
                    putRefs(i);
                    return false; // released meanwhile: the shmem allocation fails
                }
            }
            if (!memory.tryChargePages(memcg, pages)) {
                putRefs(pages);
                return false;
            }
            bytes.addAndGet(n);
            return true;
        }

        @Override
        public void uncharge(long n) {
            long pages = pages(n);
            long left = bytes.addAndGet(-n);
            if (left < 0) {
                throw new IllegalStateException("memcg " + name() + " uncharged below zero (" + left + ")");
            }
            memory.unchargePages(memcg, pages);
            putRefs(pages);
        }

        private void putRefs(long n) {
            for (long i = 0; i < n; i++) {
                memcg.put();
            }
        }

        private static long pages(long n) {
            if (n < 0 || !Pages.isAligned(n)) {
                throw new IllegalArgumentException("backing charge of " + n + " bytes is not a multiple of 4096");
            }
            return Pages.count(n);
        }

        @Override
        public long usage() {
            return bytes.get();
        }

        @Override
        public String name() {
            return memcg.cgroup().path();
        }

        @Override
        public String toString() {
            return "memcg " + name() + " (" + bytes.get() + " backing bytes)";
        }
    }
}
