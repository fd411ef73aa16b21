package io.jocclum.sgx.driver;

import io.jocclum.sgx.cost.CycleClock;
import io.jocclum.sgx.cost.SimClock;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.SgxCpu;
import io.jocclum.sgx.crypto.PlatformKeys;
import io.jocclum.sgx.enclave.Enclave;
import io.jocclum.sgx.enclave.SgxDriver;
import io.jocclum.sgx.epc.BackingMemory;
import io.jocclum.sgx.epc.EpcController;
import io.jocclum.sgx.epc.EpcManager;
import io.jocclum.sgx.epc.HostTask;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.epc.NoEpcCgroup;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One simulated machine with SGX: the CPU (EPC, EPCM, leaves, platform keys), the Linux SGX driver
 * (EPC allocator, reclaimer, ksgxd, enclaves, vEPC) with a pluggable EPC controller, the host tasks
 * that use it, and its simulated clock. {@link #start} boots it; {@link #close} stops ksgxd and the
 * controller's workers.
 *
 * <p>Entry points: {@link #newTask} (a host process), {@link #openEnclave} ({@code /dev/sgx_enclave}),
 * {@link #openVepc} ({@code /dev/sgx_vepc}), {@link #openProvision} ({@code /dev/sgx_provision}).
 * {@link #checkInvariants()} cross-checks the EPCM, free lists, LRUs, VA slots, enclave page tables,
 * backing store and charges.
 */
public final class SgxPlatform implements AutoCloseable {
    private final PlatformConfig config;
    private final Epc epc;
    private final SgxCpu cpu;
    private final CycleClock clock;
    private final EpcManager epcManager;
    private final SgxDriver driver;
    private final BackingMemory rootMemcg;
    private final AtomicInteger pids = new AtomicInteger(100);
    private final Set<HostTask> tasks = ConcurrentHashMap.newKeySet();
    private final Set<VirtualEpc> vepcs = ConcurrentHashMap.newKeySet();

    private SgxPlatform(PlatformConfig config, EpcController.Factory controller, BackingMemory rootMemcg) {
        this.config = config;
        this.rootMemcg = rootMemcg;
        this.epc = new Epc(config.epcSectionBytes());
        this.cpu = new SgxCpu(epc, config.features(), new PlatformKeys(config.seed()));
        this.clock = new CycleClock(config.costs());
        this.epcManager = new EpcManager(epc, config.tunables(), config.ksgxdMode(), controller);
        this.driver = new SgxDriver(cpu, epcManager, rootMemcg, config.costs(), clock);
    }

    /** Boots a platform without EPC cgroup (the no-op controller) and an unlimited root memcg. */
    public static SgxPlatform start(PlatformConfig config) {
        return start(config, NoEpcCgroup.factory(), BackingMemory.unlimited("/"));
    }

    /** Boots a platform with the given EPC controller and root memory cgroup. */
    public static SgxPlatform start(PlatformConfig config, EpcController.Factory controller, BackingMemory rootMemcg) {
        return new SgxPlatform(config, controller, rootMemcg);
    }

    public PlatformConfig config() {
        return config;
    }

    /** A new host process in the root cgroups. */
    public HostTask newTask(String comm) {
        HostTask t = new HostTask(pids.incrementAndGet(), comm, epcManager.controller().rootGroup(), rootMemcg);
        tasks.add(t);
        return t;
    }

    /** {@code open("/dev/sgx_enclave")} by {@code task}. */
    public EnclaveFd openEnclave(HostTask task) {
        return new EnclaveFd(this, driver.open(task), task);
    }

    /** {@code open("/dev/sgx_vepc")} and mmap of {@code pages} pages by {@code task}. */
    public VirtualEpc openVepc(HostTask task, long pages) {
        VirtualEpc v = new VirtualEpc(driver, task, pages);
        vepcs.add(v);
        return v;
    }

    /** {@code open("/dev/sgx_provision")}. */
    public ProvisionFd openProvision(HostTask task) {
        return new ProvisionFd();
    }

    public Epc epc() {
        return epc;
    }

    public SgxCpu cpu() {
        return cpu;
    }

    public EpcManager epcManager() {
        return epcManager;
    }

    public Ksgxd ksgxd() {
        return epcManager.ksgxd();
    }

    public EpcController controller() {
        return epcManager.controller();
    }

    public SgxDriver driver() {
        return driver;
    }

    public BackingMemory rootMemcg() {
        return rootMemcg;
    }

    /** The platform's simulated clock (all charged cycles). */
    public SimClock clock() {
        return clock;
    }

    public CycleClock cycleClock() {
        return clock;
    }

    /**
     * Waits for ksgxd to go idle, then checks every cross-structure invariant; returns the violations
     * (empty when all hold). Call only when no other thread uses the platform.
     */
    public List<String> checkInvariants() {
        epcManager.ksgxd().awaitIdle();
        List<String> problems = new ArrayList<>();
        epcManager.checkInvariants(problems::add);
        driver.warnings().forEach(w -> problems.add("kernel warning: " + w));
        long expectedUsed = 0;
        long expectedTracked = 0;
        long backingBytes = 0;
        for (Enclave e : driver.enclaves()) {
            e.checkInvariants(problems::add);
            if (e.isCreated() && !e.isReleased()) {
                expectedUsed += e.residentPages() + (e.isSecsResident() ? 1 : 0) + e.vaPageCount();
                expectedTracked += e.residentPages();
                backingBytes += e.backingFile().bytes();
            }
        }
        for (VirtualEpc v : vepcs) {
            expectedUsed += v.mappedPages();
        }
        long used = epcManager.allocator().capacityPages() - epcManager.allocator().freePages();
        if (used != expectedUsed) {
            problems.add(used + " EPC pages allocated but enclaves and vEPCs account for " + expectedUsed);
        }
        int[] lruPages = {0};
        epcManager.allocator().forEachPage(p -> {
            if (p.isReclaimerTracked()) {
                lruPages[0]++;
            }
            if (!p.isFree() && !(p.owner() instanceof VirtualEpc) && !p.frame().isValid()) {
                problems.add(p + " is allocated to " + p.owner() + " but its EPCM entry is invalid");
            }
        });
        if (lruPages[0] != expectedTracked) {
            problems.add(lruPages[0] + " pages tracked by the reclaimer but enclaves have " + expectedTracked
                    + " resident pages");
        }
        epc.forEachMaterializedFrame(f -> {
            if (f.isValid() && f.pins() != 0) {
                problems.add(f + " has access pins while quiescent");
            }
            if (f.isBlocked()) {
                problems.add(f + " is BLOCKED while quiescent");
            }
        });
        Set<BackingMemory> memcgs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        memcgs.add(rootMemcg);
        tasks.forEach(t -> memcgs.add(t.memcg()));
        long charged = memcgs.stream().mapToLong(BackingMemory::usage).sum();
        if (charged != backingBytes) {
            problems.add("memory cgroups hold " + charged + " bytes but backing stores hold " + backingBytes);
        }
        return problems;
    }

    @Override
    public void close() {
        epcManager.close();
    }
}
