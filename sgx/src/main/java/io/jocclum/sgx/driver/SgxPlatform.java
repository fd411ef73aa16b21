package io.jocclum.sgx.driver;

import io.jocclum.sgx.cgroup.Cgroup;
import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.CgroupInvariants;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.MemCgroup;
import io.jocclum.sgx.cost.CycleClock;
import io.jocclum.sgx.cost.SimClock;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.SgxCpu;
import io.jocclum.sgx.crypto.PlatformKeys;
import io.jocclum.sgx.enclave.Enclave;
import io.jocclum.sgx.enclave.SgxDriver;
import io.jocclum.sgx.epc.BackingMemcgs;
import io.jocclum.sgx.epc.BackingMemory;
import io.jocclum.sgx.epc.EpcController;
import io.jocclum.sgx.epc.EpcManager;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.epc.NoEpcCgroup;
import io.jocclum.sgx.epccg.SgxEpcCgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One simulated machine with SGX: the CPU (EPC, EPCM, leaves, platform keys), the Linux SGX driver
 * (EPC allocator, reclaimer, ksgxd, enclaves, vEPC) with a pluggable EPC controller, the host's
 * cgroup hierarchy (misc and memory controllers) and its tasks, and its simulated clock.
 * {@link #start} boots it; {@link #close} stops ksgxd and the controller's workers and frees the host memory
 * of the EPC and the backing stores (both outside the Java heap, see {@link io.jocclum.sgx.cpu.HostPagePool}).
 *
 * <p>Entry points: {@link #newTask} (a host process in the root cgroup; move it with
 * {@code cgroups().fs().write(task, path, "cgroup.procs", "0")}), {@link #openEnclave}
 * ({@code /dev/sgx_enclave}), {@link #openVepc} ({@code /dev/sgx_vepc}), {@link #openProvision}
 * ({@code /dev/sgx_provision}), {@link #kill} and {@link #exit}. {@link #checkInvariants()}
 * cross-checks the EPCM, free lists, LRUs, VA slots, enclave page tables, backing store, cgroup
 * counters and memory-cgroup charges.
 *
 * <p>Backing-store pages are charged to the memory cgroup model of {@link #cgroups()}. Its OOM
 * killer is the platform's: the live task of the out-of-memory cgroup's subtree with the lowest pid
 * not already signalled gets a fatal signal, unless an earlier OOM victim there has not exited yet
 * (the kernel waits for an OOM victim in progress).
 */
public final class SgxPlatform implements AutoCloseable {
    private final PlatformConfig config;
    private final Epc epc;
    private final SgxCpu cpu;
    private final CycleClock clock;
    private final CgroupHierarchy cgroups;
    private final BackingMemcgs memcgs;
    private final EpcManager epcManager;
    private final SgxDriver driver;
    private final Set<VirtualEpc> vepcs = ConcurrentHashMap.newKeySet();
    /** Tasks the memcg OOM killer signalled (tsk_is_oom_victim). */
    private final Set<HostTask> oomVictims = ConcurrentHashMap.newKeySet();

    private SgxPlatform(PlatformConfig config, EpcController.Factory controller) {
        this.config = config;
        this.epc = new Epc(config.epcSectionBytes());
        this.cpu = new SgxCpu(epc, config.features(), new PlatformKeys(config.effectiveFuses()));
        this.clock = new CycleClock(config.costs());
        this.cgroups = new CgroupHierarchy();
        this.memcgs = new BackingMemcgs(cgroups);
        this.epcManager = new EpcManager(epc, config.tunables(), config.ksgxdMode(), controller, cgroups);
        this.driver = new SgxDriver(cpu, epcManager, memcgs, config.costs(), clock);
        cgroups.memory().setOomKiller(this::oomKill);
    }

    /**
     * Boots a platform with the EPC controller {@code config.epcCgroup()} names: the no-op one
     * (OFF, the default) or the misc-cgroup {@code sgx_epc} controller (V17, INTENT).
     */
    public static SgxPlatform start(PlatformConfig config) {
        return start(config, switch (config.epcCgroup()) {
            case OFF -> NoEpcCgroup.factory();
            case V17 -> SgxEpcCgroup.factory(false);
            case INTENT -> SgxEpcCgroup.factory(true);
        });
    }

    /** Boots a platform with the given EPC controller ({@code config.epcCgroup()} is ignored). */
    public static SgxPlatform start(PlatformConfig config, EpcController.Factory controller) {
        return new SgxPlatform(config, controller);
    }

    public PlatformConfig config() {
        return config;
    }

    /** A new host process in the root cgroup ({@code cgroups().spawn(comm)}). */
    public HostTask newTask(String comm) {
        return cgroups.spawn(comm);
    }

    /**
     * Delivers a fatal signal to {@code task} ({@link HostTask#kill()}) and wakes allocations waiting
     * for reclaim progress, so a task sleeping in the fault path notices.
     */
    public void kill(HostTask task) {
        task.kill();
        epcManager.allocator().signalProgress();
    }

    /** The task exits: it leaves its cgroup and its mm goes away (close its enclaves first). */
    public void exit(HostTask task) {
        cgroups.exit(task);
    }

    /** The host's cgroup v2 hierarchy: misc ({@code sgx_epc} when the controller is on) and memory. */
    public CgroupHierarchy cgroups() {
        return cgroups;
    }

    /** The memcg OOM killer (see the class comment). Runs on the charging thread; must not block. */
    private HostTask oomKill(MemCgroup memcg) {
        List<HostTask> candidates = new ArrayList<>();
        collectTasks(memcg.cgroup(), candidates);
        oomVictims.removeIf(HostTask::exited);
        HostTask victim = null;
        for (HostTask t : candidates) {
            if (oomVictims.contains(t)) {
                return null; // an OOM victim is still on its way out
            }
            if (!t.killed() && (victim == null || t.pid() < victim.pid())) {
                victim = t;
            }
        }
        if (victim != null) {
            oomVictims.add(victim);
            kill(victim);
        }
        return victim;
    }

    private static void collectTasks(Cgroup cg, List<HostTask> out) {
        for (HostTask t : cg.tasks()) {
            if (!t.exited()) {
                out.add(t);
            }
        }
        for (Cgroup c : cg.children()) {
            collectTasks(c, out);
        }
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

    /** The root memory cgroup as the backing store charges it (tasks in the root cgroup). */
    public BackingMemory rootMemcg() {
        return memcgs.root();
    }

    /** The memory cgroups backing-store pages are charged to. */
    public BackingMemcgs memcgs() {
        return memcgs;
    }

    /** The platform's simulated clock (all charged cycles). */
    public SimClock clock() {
        return clock;
    }

    public CycleClock cycleClock() {
        return clock;
    }

    /**
     * Runs (MANUAL) or waits for (THREAD) the controller's work queue and ksgxd, then checks every
     * cross-structure invariant, the EPC controller's and the cgroup hierarchy's included; returns
     * the violations (empty when all hold). Call only when no other thread uses the platform.
     */
    public List<String> checkInvariants() {
        epcManager.controller().runPendingWork();
        epcManager.ksgxd().awaitIdle();
        epcManager.controller().runPendingWork();
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
        if (epc.runsInFlight()) {
            problems.add("a multi-page enclave access is in flight while quiescent");
        }
        epc.forEachMaterializedFrame(f -> {
            if (f.isValid() && f.pins() != 0) {
                problems.add(f + " has access pins while quiescent");
            }
            if (f.isBlocked()) {
                problems.add(f + " is BLOCKED while quiescent");
            }
            if (!f.isValid() && f.isAccessed()) {
                problems.add(f + " has no EPCM entry but its accessed bit is set");
            }
            String dirty = f.dirtyLinesProblem();
            if (dirty != null) {
                problems.add(dirty);
            }
        });
        long charged = memcgs.chargedBytes();
        if (charged != backingBytes) {
            problems.add("memory cgroups hold " + charged + " bytes but backing stores hold " + backingBytes);
        }
        memcgs.checkInvariants(problems::add);
        CgroupInvariants.violations(cgroups).forEach(v -> problems.add("cgroup: " + v));
        return problems;
    }

    @Override
    public void close() {
        epcManager.close();
        driver.close();
        epc.close();
    }
}
