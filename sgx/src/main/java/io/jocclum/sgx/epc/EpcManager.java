package io.jocclum.sgx.epc;

import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.cpu.Epc;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The driver's EPC management wired together: allocator, reclaimer, ksgxd and the EPC controller
 * (no-op or cgroup). It is the {@link EpcServices} the controller gets at creation
 * ({@code sgx_cgroup_init} runs last in SGX init, when the capacity is known).
 */
public final class EpcManager implements EpcServices, AutoCloseable {
    private final EpcTunables tunables;
    private final EpcAllocator allocator;
    private final Reclaimer reclaimer;
    private final Ksgxd ksgxd;
    private final EpcController controller;
    private final CgroupHierarchy cgroups;
    private final Ksgxd.Mode mode;

    public EpcManager(Epc epc, EpcTunables tunables, Ksgxd.Mode ksgxdMode, EpcController.Factory controllerFactory,
                      CgroupHierarchy cgroups) {
        this.tunables = tunables;
        this.cgroups = cgroups;
        this.mode = ksgxdMode;
        this.allocator = new EpcAllocator(epc, tunables);
        this.reclaimer = new Reclaimer(allocator, tunables);
        this.ksgxd = new Ksgxd(ksgxdMode, allocator, reclaimer, tunables.highPages());
        this.controller = controllerFactory.create(this);
        allocator.attach(controller, ksgxd);
        reclaimer.attach(controller);
        ksgxd.attach(controller);
        ksgxd.start();
    }

    @Override
    public void condResched() {
        allocator.schedulingPoint();
        Thread.yield();
    }

    public EpcAllocator allocator() {
        return allocator;
    }

    public Reclaimer reclaimer() {
        return reclaimer;
    }

    public Ksgxd ksgxd() {
        return ksgxd;
    }

    public EpcController controller() {
        return controller;
    }

    public EpcTunables tunables() {
        return tunables;
    }

    @Override
    public int reclaimPages(EpcLru lru, Mm chargeMm) {
        return reclaimer.reclaimPages(lru, chargeMm);
    }

    @Override
    public int reclaimPages(EpcLru lru, Mm chargeMm, Predicate<EpcPage> select) {
        return reclaimer.reclaimPages(lru, chargeMm, select);
    }

    @Override
    public long reclaimProgress() {
        return reclaimer.progress();
    }

    @Override
    public void forEachPage(Consumer<EpcPage> action) {
        allocator.forEachPage(action);
    }

    @Override
    public CgroupHierarchy cgroups() {
        return cgroups;
    }

    @Override
    public boolean backgroundThreads() {
        return mode == Ksgxd.Mode.THREAD;
    }

    @Override
    public long capacityPages() {
        return allocator.capacityPages();
    }

    @Override
    public long freePages() {
        return allocator.freePages();
    }

    @Override
    public int nrToScan() {
        return tunables.nrToScan();
    }

    @Override
    public int lowWatermark() {
        return tunables.lowPages();
    }

    @Override
    public int highWatermark() {
        return tunables.highPages();
    }

    @Override
    public void signalProgress() {
        allocator.signalProgress();
    }

    /** Allocator-level invariants: free counter vs free lists, page flags vs LRU membership. */
    public void checkInvariants(Consumer<String> problems) {
        long counted = allocator.countFreeLists();
        if (counted != allocator.freePages()) {
            problems.accept("sgx_nr_free_pages is " + allocator.freePages() + " but the free lists hold " + counted);
        }
        allocator.forEachPage(p -> {
            boolean free = p.isFree();
            if (free && p.frame().isValid()) {
                problems.accept(p + " is free but its EPCM entry is valid: " + p.frame().epcmEntry());
            }
            if (free && (p.owner() != null || p.group() != null || p.isReclaimerTracked())) {
                problems.accept(p + " is free but has an owner, a cgroup or reclaimer tracking");
            }
            if (!free && p.group() == null) {
                problems.accept(p + " is allocated but charged to no cgroup");
            }
            if (p.isReclaimerTracked() && p.lruList() == null) {
                problems.accept(p + " is tracked by the reclaimer but on no LRU (isolated while quiescent)");
            }
            if (!p.isReclaimerTracked() && p.lruList() != null) {
                problems.accept(p + " is on " + p.lruList() + " without RECLAIMER_TRACKED");
            }
            if (p.frame().pins() != 0) {
                problems.accept(p + " has " + p.frame().pins() + " access pins while quiescent");
            }
        });
        controller.checkInvariants(problems);
    }

    @Override
    public void close() {
        allocator.close();
        ksgxd.stop();
        controller.shutdown();
    }
}
