package io.jocclum.libos.scenario;

import io.jocclum.api.ErrnoException;
import io.jocclum.api.Wait;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.MountSpec;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.process.GuestProcess;
import io.jocclum.libos.config.InternalConfig;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.Region;
import io.jocclum.libos.layout.RegionKind;
import io.jocclum.libos.vm.AccessMode;
import io.jocclum.libos.vm.GuestFault;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.libos.vm.GuestSignal;
import io.jocclum.libos.vm.ProcessVm;
import io.jocclum.libos.vm.ProcessVmSpec;
import io.jocclum.libos.vm.UserSpace;
import io.jocclum.libos.vm.UserSpaceLayout;
import io.jocclum.libos.vm.VmConfig;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.CgroupFs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.CostModel;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxIoctl;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs a {@link Scenario} on one simulated host: one SGX platform (ksgxd run by the engine, the
 * v17 {@code sgx_epc} misc-cgroup controller, the scenario's cgroup tree with its limits), and each
 * enclave loaded through the driver's ioctls from its Occlum layout and running its programs on
 * its own LibOS user-space VM.
 *
 * <h2>Simulated time and determinism</h2>
 * Each enclave has its own clock: its start time plus the simulated time of the cycles charged to
 * its enclave (leaves, faults, EWB/ELDU of its pages, ECALLs) plus the computation its programs
 * declare. The host behaves as if every enclave had its own core: the engine runs one step at a
 * time (an ioctl of the load, one program operation) of the enclave whose clock is smallest (ties:
 * file order), so the enclaves advance together and share the EPC in simulated-time order. A
 * timed event happens when every running enclave's clock has reached it; a sample at time T shows
 * the state before any step starting at T. Nothing reads the host's clock, nothing iterates a hash
 * order, and every random choice comes from the scenario's seed: the same scenario and seed give
 * the same {@link RunData}, bit for bit. Only one thread runs the platform.
 */
public final class Engine {
    /** Pages per ADD_PAGES step of a load. */
    static final long LOAD_STEP_PAGES = 256;

    /** Told the simulated time of each sample, and the time limit. */
    public interface Progress {
        void at(long simNanos, long stopNanos);
    }

    private static final CostEvent[] COUNTED = {CostEvent.EWB, CostEvent.ELDU, CostEvent.PAGE_FAULT, CostEvent.EAUG,
        CostEvent.EACCEPT, CostEvent.EMODT};
    private static final String[] RATE_METRICS = {"ewb.rate", "eldu.rate", "faults.rate", "eaug.rate", "eaccept.rate",
        "trim.rate"};
    private static final String[] RATE_UNITS = {"pages/s", "pages/s", "1/s", "pages/s", "pages/s", "pages/s"};

    private final Scenario sc;
    private final Progress progress;
    private final SgxPlatform platform;
    private final CgroupFs fs;
    private final CostModel model;
    private final List<Enc> encs = new ArrayList<>();
    private final List<RunData.Event> timeline = new ArrayList<>();
    private final Map<String, List<RunData.Limit>> limits = new LinkedHashMap<>();
    private final Map<String, Long> oomKills = new LinkedHashMap<>();
    private final Map<String, Long> cgPeak = new LinkedHashMap<>();
    private final List<Long> sampleTimes = new ArrayList<>();
    private final Map<String, Acc> series = new LinkedHashMap<>();
    private long hostPeak;
    /** The baton and clocks of the LibOS programs' guest threads. */
    private final Scheduler sched;

    private Engine(Scenario sc, Progress progress) {
        this.sc = sc;
        this.progress = progress;
        this.model = sc.host().costModel();
        this.sched = new Scheduler(model);
        this.platform = SgxPlatform.start(PlatformConfig.builder().epcSize(sc.host().epcBytes()).sgx2(sc.host().sgx2())
                .seed(sc.host().seed()).costs(model).ksgxd(Ksgxd.Mode.MANUAL).epcCgroup(PlatformConfig.EpcCgroup.V17).build());
        this.fs = platform.cgroups().fs();
        platform.cgroups().memory().setSwapEnabled(sc.host().swap());
    }

    /** Runs {@code sc} to its stop condition. */
    public static RunData run(Scenario sc, Progress progress) {
        Engine e = new Engine(sc, progress);
        try {
            return e.run();
        } finally {
            e.close();
        }
    }

    // ============================================================================ an enclave

    private enum Phase { WAITING, PENDING, OPENING, LOADING, RUNNING, ENDED }

    /** One enclave of the run and its program state. */
    private final class Enc implements Workloads.Guest {
        final Scenario.EnclaveSpec spec;
        final int index;
        final SplittableRandom random;
        Images.Prepared image;
        Phase phase;
        String cgroup;
        long start = -1;
        long extra;
        HostTask task;
        EnclaveFd fd;
        CostAccount account;
        List<EnclaveLoader.Add> adds;
        int addIndex;
        long addDone;
        UserSpace userSpace;
        ProcessVm vm;
        GuestMemory memory;
        int program;
        int rep;
        Workloads.Program current;
        Long startup;
        long started = -1;
        long ended = -1;
        String outcome = "running";
        Integer exitStatus;
        String detail;
        long runs;
        long ops;
        long[] latencies = new long[64];
        int latencyCount;
        long periodLatencySum;
        long periodOps;
        long[] last = new long[COUNTED.length];
        long peak;
        /** Runs LibOS programs (under the scheduler) rather than workload models. */
        final boolean real;
        Scheduler.Lane lane;
        LibOs os;
        GuestProcess proc;
        Path upper;
        long syscalls;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        Enc(Scenario.EnclaveSpec spec, int index) {
            this.spec = spec;
            this.index = index;
            this.real = spec.programs().stream().allMatch(Scenario.ProgramSpec::libos);
            this.random = new SplittableRandom(sc.host().seed() * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
            this.cgroup = spec.cgroup();
            if (spec.start().isPresent()) {
                this.start = spec.start().getAsLong();
                this.phase = Phase.PENDING;
            } else {
                this.phase = Phase.WAITING;
            }
        }

        @Override
        public long now() {
            if (lane != null && started >= 0) {
                return Math.max(started, lane.time());
            }
            return start + extra + (account == null ? 0 : model.nanos(account.cycles()));
        }

        @Override
        public ProcessVm vm() {
            return vm;
        }

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public SplittableRandom random() {
            return random;
        }

        @Override
        public void compute(long ns) {
            extra += ns;
        }

        boolean runnable() {
            return phase == Phase.PENDING || phase == Phase.OPENING || phase == Phase.LOADING || phase == Phase.RUNNING && !real;
        }

        /** EPC the enclave holds: its resident pages, its VA pages and its SECS when resident. */
        long epcBytes() {
            if (fd == null || phase == Phase.ENDED) {
                return 0;
            }
            var en = fd.enclave();
            return Pages.bytes((long) en.residentPages() + en.vaPageCount() + (en.isSecsResident() ? 1 : 0));
        }

        long count(int i) {
            return account == null ? 0 : account.count(COUNTED[i]);
        }

        void latency(long ns) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencyCount * 2);
            }
            latencies[latencyCount++] = ns;
            periodLatencySum += ns;
            periodOps++;
        }
    }

    // ============================================================================ the run

    private RunData run() {
        setUpCgroups();
        for (int i = 0; i < sc.enclaves().size(); i++) {
            encs.add(new Enc(sc.enclaves().get(i), i));
        }
        List<Scenario.EventSpec> events = sc.events();
        int nextEvent = 0;
        long nextSample = 0;
        long stopAt = sc.stop().time();
        long end;
        String reason;
        while (true) {
            Enc next = null;
            for (Enc e : encs) {
                if (e.runnable() && (next == null || e.now() < next.now())) {
                    next = e;
                }
            }
            long tModel = next == null ? Long.MAX_VALUE : next.now();
            Scheduler.GThread thread = sched.next();
            if (thread != null && next != null && !before(thread, tModel, next.index)) {
                thread = null;
            }
            long tEnc = thread != null ? thread.due() : tModel;
            long tEv = nextEvent < events.size() ? events.get(nextEvent).at() : Long.MAX_VALUE;
            boolean none = next == null && sched.next() == null;
            boolean allDone = none && tEv == Long.MAX_VALUE
                    && encs.stream().noneMatch(e -> e.phase == Phase.WAITING || e.phase == Phase.RUNNING);
            boolean idle = none && tEv == Long.MAX_VALUE;
            long horizon;
            if (allDone && sc.stop().whenAllExited()) {
                horizon = Math.min(stopAt, encs.stream().mapToLong(e -> Math.max(e.ended, 0)).max().orElse(0));
            } else if (idle) {
                horizon = stopAt;
            } else {
                horizon = Math.min(Math.min(tEnc, tEv), stopAt);
            }
            while (nextSample <= horizon && nextSample <= stopAt) {
                sample(nextSample);
                nextSample += sc.sampleInterval();
            }
            if (allDone && sc.stop().whenAllExited()) {
                end = horizon;
                reason = horizon >= stopAt ? "time limit reached" : "all enclaves exited";
                break;
            }
            if (idle || Math.min(tEnc, tEv) >= stopAt) {
                end = stopAt;
                reason = "time limit reached";
                break;
            }
            if (tEv <= tEnc) {
                apply(events.get(nextEvent++));
            } else if (thread != null) {
                runThread(thread, next, tModel, Math.min(Math.min(tEv, nextSample), stopAt));
            } else {
                step(next);
            }
        }
        if (sampleTimes.isEmpty() || sampleTimes.getLast() < end) {
            sample(end);
        }
        for (Enc e : encs) {
            if (e.phase != Phase.ENDED && e.phase != Phase.WAITING && e.phase != Phase.PENDING) {
                e.detail = "still running when the run stopped at " + Durations.show(end);
            } else if (e.phase == Phase.WAITING || e.phase == Phase.PENDING) {
                e.outcome = "failed-to-start";
                e.detail = "never started: the run stopped at " + Durations.show(end) + " before its start";
            }
        }
        note(end, "stop", "host", reason);
        return data(end, reason);
    }

    private void close() {
        for (Enc e : encs) {
            if (e.os != null && !sched.broken()) {
                stopLibOs(e, e.now());
            }
            if (e.fd != null && e.phase != Phase.ENDED) {
                release(e);
            }
            deleteUpper(e);
        }
        platform.close();
    }

    private void setUpCgroups() {
        if (!sc.cgroups().isEmpty()) {
            fs.write("/", "cgroup.subtree_control", "+misc +memory");
        }
        for (Scenario.CgroupSpec c : sc.cgroups()) {
            fs.mkdir(c.path());
            limits.put(c.path(), new ArrayList<>());
            oomKills.put(c.path(), 0L);
            cgPeak.put(c.path(), 0L);
        }
        for (Scenario.CgroupSpec c : sc.cgroups()) {
            if (sc.cgroups().stream().anyMatch(x -> x.parent().equals(c.path()))) {
                fs.write(c.path(), "cgroup.subtree_control", "+misc +memory");
            }
            Long epc = c.epcMax().isPresent() ? c.epcMax().getAsLong() : null;
            Long mem = c.memoryMax().isPresent() ? c.memoryMax().getAsLong() : null;
            setLimits(c.path(), epc == null ? -1L : epc, mem == null ? -1L : mem);
            limits.get(c.path()).add(new RunData.Limit(0, epc, mem));
        }
    }

    private void setLimits(String path, Long epc, Long mem) {
        if (epc != null) {
            fs.write(path, "misc.max", "sgx_epc " + (epc < 0 ? "max" : Long.toString(epc)));
        }
        if (mem != null) {
            fs.write(path, "memory.max", mem < 0 ? "max" : Long.toString(mem));
        }
    }

    // ============================================================================ events

    private void apply(Scenario.EventSpec ev) {
        long t = ev.at();
        switch (ev.kind()) {
            case LIMIT -> {
                List<RunData.Limit> hist = limits.get(ev.target());
                RunData.Limit prev = hist.getLast();
                Long epc = ev.epcMax() == null ? prev.epcMax() : ev.epcMax() < 0 ? null : ev.epcMax();
                Long mem = ev.memoryMax() == null ? prev.memoryMax() : ev.memoryMax() < 0 ? null : ev.memoryMax();
                setLimits(ev.target(), ev.epcMax(), ev.memoryMax());
                hist.add(new RunData.Limit(t, epc, mem));
                List<String> what = new ArrayList<>();
                if (ev.epcMax() != null) {
                    what.add("sgx_epc misc.max " + show(prev.epcMax()) + " -> " + show(epc));
                }
                if (ev.memoryMax() != null) {
                    what.add("memory.max " + show(prev.memoryMax()) + " -> " + show(mem));
                }
                note(t, "limit", ev.target(), String.join(", ", what));
            }
            case KILL -> {
                Enc e = enc(ev.target());
                if (e.phase == Phase.ENDED) {
                    note(t, "note", e.spec.name(), "kill: " + e.spec.name() + " had already ended");
                } else if (e.phase == Phase.WAITING || e.phase == Phase.PENDING) {
                    e.phase = Phase.ENDED;
                    e.outcome = "killed";
                    e.ended = t;
                    e.detail = "killed at " + Durations.show(t) + " before it started";
                    note(t, "kill", e.spec.name(), "SIGKILL before it started");
                } else {
                    e.task.kill();
                    stopLibOs(e, t);
                    end(e, "killed", null, "killed at " + Durations.show(t) + " by the scenario (SIGKILL)", t);
                    note(t, "kill", e.spec.name(), "SIGKILL");
                }
            }
            case START -> {
                Enc e = enc(ev.target());
                if (e.phase == Phase.WAITING) {
                    e.start = t;
                    e.phase = Phase.PENDING;
                } else {
                    note(t, "note", e.spec.name(), "start: " + e.spec.name() + " was killed before its start event");
                }
            }
            case MOVE -> {
                Enc e = enc(ev.target());
                String from = e.cgroup;
                if (e.task != null && e.phase != Phase.ENDED) {
                    try {
                        platform.cgroups().attach(e.task, fs.cgroup(ev.to()));
                    } catch (ErrnoException x) {
                        note(t, "note", e.spec.name(), "move to " + ev.to() + " refused: " + x.errno());
                        return;
                    }
                }
                e.cgroup = ev.to();
                note(t, "move", e.spec.name(), from + " -> " + ev.to());
            }
            case NOTE -> note(t, "note", "host", ev.target());
        }
    }

    private Enc enc(String name) {
        for (Enc e : encs) {
            if (e.spec.name().equals(name)) {
                return e;
            }
        }
        throw new IllegalStateException("no enclave " + name);
    }

    private static String show(Long bytes) {
        return bytes == null ? "max" : Sizes.human(bytes);
    }

    private void note(long t, String kind, String target, String detail) {
        timeline.add(new RunData.Event(t, kind, target, detail));
    }

    // ============================================================================ steps

    private void step(Enc e) {
        try {
            switch (e.phase) {
                case PENDING -> open(e);
                case OPENING, LOADING -> load(e);
                case RUNNING -> runStep(e);
                default -> throw new IllegalStateException(e.phase.name());
            }
        } catch (GuestFault f) {
            long t = e.now();
            if (e.task.killed()) {
                oomKilled(e, t, "killed by the OOM killer at " + Durations.show(t) + ": " + e.cgroup
                        + " reached its memory.max with evicted EPC pages");
            } else if (f.signal() instanceof GuestSignal.Bus) {
                oomKilled(e, t, "killed by SIGBUS at " + Durations.show(t) + ": no EPC page could be had, " + e.cgroup
                        + " reached its sgx_epc limit with nothing left to reclaim");
            } else {
                end(e, "killed", null, "killed at " + Durations.show(t) + " by " + f.getMessage(), t);
                note(t, "kill", e.spec.name(), f.getMessage());
            }
        } catch (Workloads.ProgramFailed f) {
            long t = e.now();
            end(e, "exited", 1, "exited with status 1 at " + Durations.show(t) + ": " + f.getMessage(), t);
            note(t, "exit", e.spec.name(), "status 1: " + f.getMessage());
        } catch (ErrnoException x) {
            long t = e.now();
            if (e.phase == Phase.RUNNING) {
                String what = e.current == null ? "" : program(e).program() + ": ";
                end(e, "exited", 1, "exited with status 1 at " + Durations.show(t) + ": " + what + x.errno() + " ("
                        + x.errno().message() + ")", t);
                note(t, "exit", e.spec.name(), "status 1: " + what + x.errno());
            } else if (e.task != null && e.task.killed()) {
                oomKilled(e, t, "killed by the OOM killer at " + Durations.show(t) + " while loading: " + e.cgroup
                        + " reached its memory.max with evicted EPC pages");
            } else {
                end(e, "failed-to-start", null, "failed to start at " + Durations.show(t) + ": " + loadError(e, x), t);
                note(t, "exit", e.spec.name(), "failed to start: " + x.errno());
            }
        }
        e.peak = Math.max(e.peak, e.epcBytes());
        if (e.phase != Phase.ENDED && e.task != null && e.task.killed()) {
            long t = e.now();
            oomKilled(e, t, "killed by the OOM killer at " + Durations.show(t) + ": " + e.cgroup
                    + " reached its memory.max with evicted EPC pages");
        }
    }

    private String loadError(Enc e, ErrnoException x) {
        return switch (x.errno()) {
            case ENOMEM -> "the EPC has no page left for it and nothing can be evicted (" + e.cgroup + " at its sgx_epc limit, or"
                    + " the EPC full of unreclaimable pages)";
            default -> x.errno() + " (" + x.errno().message() + ")";
        };
    }

    private void oomKilled(Enc e, long t, String detail) {
        end(e, "oom-killed", null, detail, t);
        note(t, "oom-kill", e.spec.name(), detail);
        for (String cg = e.cgroup; oomKills.containsKey(cg); cg = parent(cg)) {
            oomKills.merge(cg, 1L, Long::sum);
        }
    }

    private static String parent(String cg) {
        int i = cg.lastIndexOf('/');
        return i <= 0 ? "/" : cg.substring(0, i);
    }

    private void open(Enc e) {
        note(e.start, "start", e.spec.name(), (e.spec.edmm() ? "EDMM" : "non-EDMM") + " enclave in " + e.cgroup);
        e.image = Images.prepare(e.spec.source(), e.spec.edmm());
        e.task = platform.newTask(e.spec.name());
        e.phase = Phase.OPENING;
        if (!e.cgroup.equals("/")) {
            platform.cgroups().attach(e.task, fs.cgroup(e.cgroup));
        }
        e.fd = platform.openEnclave(e.task);
        e.account = e.fd.enclave().account();
        e.fd.create(e.image.layout().image().secs());
        e.adds = EnclaveLoader.adds(e.image.layout().image(), LOAD_STEP_PAGES);
        e.phase = Phase.LOADING;
    }

    private void load(Enc e) {
        if (e.addIndex < e.adds.size()) {
            EnclaveLoader.Add a = e.adds.get(e.addIndex);
            SgxIoctl.AddPages part = a.request(e.addDone);
            e.fd.addPages(part);
            e.addDone += part.count;
            if (e.addDone >= a.length()) {
                e.addIndex++;
                e.addDone = 0;
            }
            return;
        }
        EnclaveLayout layout = e.image.layout();
        e.fd.init(e.image.sigStruct().toBytes());
        Region tcs0 = layout.regions().stream().filter(r -> r.kind() == RegionKind.TCS && r.thread() == 0).findFirst()
                .orElseThrow();
        long base = layout.image().base();
        InternalConfig cfg = e.image.config();
        e.fd.ecall(base + tcs0.offset(), cfg.toBytes().length);
        if (e.real) {
            startLibOs(e);
            return;
        }
        Region reserved = layout.region(RegionKind.RESERVED_USER);
        UserSpaceLayout usl = layout.edmm()
                ? new UserSpaceLayout(base + reserved.offset(), reserved.size(), base + layout.region(RegionKind.USER_REGION).offset(),
                layout.region(RegionKind.USER_REGION).size())
                : UserSpaceLayout.reservedOnly(base + reserved.offset(), reserved.size());
        e.userSpace = UserSpace.create(e.fd.context(), usl, VmConfig.defaults());
        e.vm = e.userSpace.createProcess(1, new ProcessVmSpec(Pages.up(cfg.process().defaultHeapSize()),
                Pages.up(cfg.process().defaultStackSize()), List.of()));
        e.memory = e.vm.memory(AccessMode.USER);
        long t = e.now();
        e.startup = t - e.start;
        e.started = t;
        e.phase = Phase.RUNNING;
        note(t, "started", e.spec.name(), "start-up " + Durations.show(e.startup) + ", " + Sizes.human(e.epcBytes())
                + " of EPC");
    }

    // ============================================================================ LibOS programs

    /** Whether thread {@code g} goes before the model step of enclave {@code index} at {@code t}. */
    private static boolean before(Scheduler.GThread g, long t, int index) {
        return g.due() != t ? g.due() < t : g.lane.index < index;
    }

    /**
     * Runs guest thread {@code g} until the next thing due: another thread, the model step of
     * {@code model} at {@code tModel}, or engine work (an event, a sample, the stop) at {@code tEngine}.
     */
    private void runThread(Scheduler.GThread g, Enc model, long tModel, long tEngine) {
        long t = tEngine;
        int lane = -1;
        int pid = 0;
        int tid = 0;
        if (model != null && (tModel < t)) {
            t = tModel;
            lane = model.index;
        }
        Scheduler.GThread o = sched.after(g);
        if (o != null && (o.due() < t || o.due() == t && (o.lane.index < lane || o.lane.index == lane
                && (o.pid < pid || o.pid == pid && o.tid < tid)))) {
            t = o.due();
            lane = o.lane.index;
            pid = o.pid;
            tid = o.tid;
        }
        sched.run(g, t, lane, pid, tid);
        afterThread(encs.get(g.lane.index));
    }

    /** The LibOS in enclave {@code e}, loaded and entered: its file system, its kernel, its first program. */
    private void startLibOs(Enc e) {
        Images.Prepared img = e.image;
        BootOptions options = BootOptions.defaults().withStdio(java.io.InputStream.nullInputStream(),
                java.io.OutputStream.nullOutputStream(), new Tail(e.err))
                .withPlatform(io.jocclum.libos.boot.PlatformSettings.defaults().withSeed(e.random.nextLong()));
        e.lane = sched.lane(e.index, e.account);
        options = options.withClocks(e.lane, e.lane);
        List<MountSpec> mounts = null;
        BuiltEnclave built = img.built();
        try {
            e.upper = Files.createTempDirectory("jocclum-scenario-");
        } catch (java.io.IOException x) {
            throw new ScenarioException("cannot create a temporary directory for " + e.spec.name() + "'s file system: " + x.getMessage());
        }
        if (built == null) {
            // an inline configuration has no image: a tmpfs root (as large as the kernel heap, like /tmp)
            long cap = img.layout().enclaveXml().heapMaxSize();
            built = new BuiltEnclave(new io.jocclum.libos.layout.InstancePaths(e.upper), img.layout().enclaveXml(),
                    img.config().toBytes(), img.config(), img.layout(), img.sigStruct());
            mounts = List.of(new MountSpec.Tmpfs("/", cap), new MountSpec.Tmpfs("/tmp", cap), new MountSpec.Tmpfs("/dev/shm", cap));
        } else {
            options = options.withUpperLayer(e.upper.resolve("upper"));
        }
        long t = e.now();
        sched.now(t);
        try {
            e.os = LibOs.attach(built, options, platform, e.fd, e.lane, mounts);
        } catch (io.jocclum.libos.boot.BootException x) {
            end(e, "failed-to-start", null, "failed to start at " + Durations.show(t) + ": the LibOS cannot start: "
                    + x.getMessage(), t);
            note(t, "exit", e.spec.name(), "failed to start: the LibOS cannot start");
            return;
        }
        installJars(e);
        t = start(e);
        e.startup = t - e.start;
        note(t, "started", e.spec.name(), "start-up " + Durations.show(e.startup) + ", " + Sizes.human(e.epcBytes())
                + " of EPC");
        spawnProgram(e, t);
    }

    /** Where the LibOS is ready: its clock from here on is its threads'. */
    private long start(Enc e) {
        long t = e.now();
        e.lane.rebase(t);
        e.started = t;
        e.phase = Phase.RUNNING;
        return t;
    }

    /** The host jars of {@code e}'s programs, written into its file system at their /bin paths. */
    private void installJars(Enc e) {
        Caller root = Caller.of(new io.jocclum.libos.fs.FdTable()).withClock(e.lane);
        for (Scenario.ProgramSpec p : e.spec.programs()) {
            if (p.jar() == null) {
                continue;
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(p.jar());
            } catch (java.io.IOException x) {
                throw new ScenarioException(p.jar() + " cannot be read: " + x.getMessage());
            }
            try {
                try {
                    e.os.vfs().mkdir(root, "/bin", 0755);
                } catch (ErrnoException x) {
                    if (x.errno() != io.jocclum.api.Errno.EEXIST) {
                        throw x;
                    }
                }
                var f = e.os.vfs().openFile(root, io.jocclum.api.OpenFlags.AT_FDCWD, p.program(),
                        io.jocclum.api.OpenFlags.O_WRONLY | io.jocclum.api.OpenFlags.O_CREAT | io.jocclum.api.OpenFlags.O_TRUNC, 0755);
                try {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
                    while (b.hasRemaining()) {
                        f.write(root, b);
                    }
                } finally {
                    f.retain();
                    f.unref();
                }
            } catch (ErrnoException x) {
                throw new ScenarioException(p.jar() + " cannot be installed at " + p.program() + " in " + e.spec.name() + ": " + x.errno()
                        + " (" + x.errno().message() + ")");
            }
        }
    }

    /** Starts the current program of {@code e} as a top-level process at time {@code t}. */
    private void spawnProgram(Enc e, long t) {
        Scenario.ProgramSpec p = program(e);
        sched.now(t);
        try {
            e.proc = e.os.spawnHost(p.program(), p.args(), java.util.Map.of(), java.io.InputStream.nullInputStream(),
                    java.io.OutputStream.nullOutputStream(), new Tail(e.err));
        } catch (io.jocclum.libos.boot.BootException x) {
            stopLibOs(e, t);
            end(e, "exited", 1, "exited with status 1 at " + Durations.show(t) + ": " + x.getMessage(), t);
            note(t, "exit", e.spec.name(), "status 1: " + p.program() + " cannot start");
        }
    }

    /** After a thread of {@code e} ran: an OOM kill of its host task, or the end of its program. */
    private void afterThread(Enc e) {
        if (e.phase != Phase.RUNNING) {
            return;
        }
        e.peak = Math.max(e.peak, e.epcBytes());
        long t = e.now();
        if (e.task.killed()) {
            stopLibOs(e, t);
            oomKilled(e, t, "killed by the OOM killer at " + Durations.show(t) + ": " + e.cgroup
                    + " reached its memory.max with evicted EPC pages");
            return;
        }
        if (!e.proc.exited() || sched.hasThreads(e.lane)) {
            return;
        }
        int ws = e.proc.waitStatus();
        String what = program(e).program();
        if (Wait.WIFEXITED(ws) && Wait.WEXITSTATUS(ws) == 0) {
            if (nextProgram(e, t)) {
                spawnProgram(e, t);
            }
            return;
        }
        String err = lastLine(e.err);
        stopLibOs(e, t);
        if (Wait.WIFEXITED(ws)) {
            int code = Wait.WEXITSTATUS(ws);
            end(e, "exited", code, "exited with status " + code + " at " + Durations.show(t) + ": " + what + " failed"
                    + (err.isEmpty() ? "" : " (" + err + ")"), t);
            note(t, "exit", e.spec.name(), "status " + code + ": " + what);
        } else if (Wait.WTERMSIG(ws) == io.jocclum.api.Signal.SIGBUS) {
            oomKilled(e, t, "killed by SIGBUS at " + Durations.show(t) + ": no EPC page could be had, " + e.cgroup
                    + " reached its sgx_epc limit with nothing left to reclaim");
        } else {
            String sig = io.jocclum.api.Signal.name(Wait.WTERMSIG(ws));
            end(e, "killed", null, "killed at " + Durations.show(t) + ": " + what + " by " + sig
                    + (err.isEmpty() ? "" : " (" + err + ")"), t);
            note(t, "kill", e.spec.name(), what + " by " + sig);
        }
    }

    /** Kills what runs in {@code e}'s LibOS, runs its threads to their end and shuts the LibOS down (not the enclave). */
    private void stopLibOs(Enc e, long t) {
        if (e.os == null) {
            return;
        }
        sched.now(t);
        e.os.kernel().killAll();
        for (Scheduler.GThread g = sched.next(e.lane); g != null; g = sched.next(e.lane)) {
            sched.run(g, Long.MIN_VALUE, -1, 0, 0);
        }
        e.syscalls = e.os.syscalls().total();
        if (!sched.hasThreads(e.lane)) {
            e.os.close();
        }
        e.os = null;
    }

    private static void deleteUpper(Enc e) {
        if (e.upper != null) {
            try {
                io.jocclum.libos.build.EnclaveBuilder.deleteTree(e.upper);
            } catch (java.io.IOException | RuntimeException x) {
                // a temporary directory: the system cleans it up eventually
            }
            e.upper = null;
        }
    }

    /** The last non-empty line of what a program wrote on its stderr, or "". */
    private static String lastLine(ByteArrayOutputStream err) {
        String[] lines = err.toString(java.nio.charset.StandardCharsets.UTF_8).strip().split("\n");
        String l = lines[lines.length - 1].strip();
        return l.length() > 200 ? l.substring(0, 200) + "..." : l;
    }

    /** Keeps the last 4KB written to it (a program's stderr, for the outcome's detail). */
    private static final class Tail extends java.io.OutputStream {
        private final ByteArrayOutputStream to;

        Tail(ByteArrayOutputStream to) {
            this.to = to;
        }

        @Override
        public void write(int b) {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (to) {
                if (to.size() + len > 4096) {
                    byte[] old = to.toByteArray();
                    to.reset();
                    int keep = Math.max(0, Math.min(old.length, 4096 - Math.min(len, 4096)));
                    to.write(old, old.length - keep, keep);
                    to.write(b, off + Math.max(0, len - 4096), Math.min(len, 4096));
                } else {
                    to.write(b, off, len);
                }
            }
        }
    }

    private Scenario.ProgramSpec program(Enc e) {
        return e.spec.programs().get(e.program);
    }

    private void runStep(Enc e) {
        if (e.current == null) {
            e.current = program(e).options().start();
        }
        long before = e.now();
        Workloads.Step s = e.current.step(e);
        switch (s) {
            case OP -> {
                e.ops++;
                e.latency(e.now() - before);
            }
            case WORK -> {
            }
            case DONE -> {
                e.current = null;
                nextProgram(e, e.now());
            }
        }
    }

    /** The current program of {@code e} ended well at {@code t}: true when another follows, else {@code e} has exited. */
    private boolean nextProgram(Enc e, long t) {
        e.program++;
        if (e.program == e.spec.programs().size()) {
            e.program = 0;
            e.rep++;
            e.runs++;
            if (e.rep == e.spec.repeat()) {
                stopLibOs(e, t);
                end(e, "exited", 0, "exited with status 0 at " + Durations.show(t) + " after " + e.runs
                        + (e.runs == 1 ? " run" : " runs"), t);
                note(t, "exit", e.spec.name(), "status 0");
                return false;
            }
        }
        return true;
    }

    private void end(Enc e, String outcome, Integer status, String detail, long t) {
        e.peak = Math.max(e.peak, e.epcBytes());
        e.outcome = outcome;
        e.exitStatus = status;
        e.detail = detail;
        e.ended = t;
        if (e.fd != null) {
            release(e);
        } else if (e.task != null && !e.task.exited()) {
            platform.exit(e.task);
        }
        e.phase = Phase.ENDED;
    }

    private void release(Enc e) {
        try {
            e.fd.close();
        } finally {
            if (!e.task.exited()) {
                platform.exit(e.task);
            }
        }
    }

    // ============================================================================ samples

    /** A series being sampled. */
    private static final class Acc {
        final String scope;
        final String id;
        final String metric;
        final String unit;
        final List<BigDecimal> values = new ArrayList<>();

        Acc(String scope, String id, String metric, String unit) {
            this.scope = scope;
            this.id = id;
            this.metric = metric;
            this.unit = unit;
        }
    }

    private void put(String scope, String id, String metric, String unit, BigDecimal v) {
        String key = scope + "\u0000" + id + "\u0000" + metric;
        Acc a = series.get(key);
        if (a == null) {
            a = new Acc(scope, id, metric, unit);
            series.put(key, a);
            for (int i = 0; i < sampleTimes.size() - 1; i++) {
                a.values.add(null);
            }
        }
        a.values.add(v);
    }

    private static BigDecimal integer(long v) {
        return BigDecimal.valueOf(v);
    }

    private static BigDecimal rate(long delta, long ns) {
        if (ns <= 0) {
            return BigDecimal.ZERO;
        }
        return BigDecimal.valueOf(delta).multiply(BigDecimal.valueOf(1_000_000_000L))
                .divide(BigDecimal.valueOf(ns), 3, RoundingMode.HALF_EVEN).stripTrailingZeros();
    }

    private void sample(long t) {
        long dt = sampleTimes.isEmpty() ? 0 : t - sampleTimes.getLast();
        sampleTimes.add(t);
        int n = COUNTED.length;
        long[] hostDelta = new long[n];
        Map<String, long[]> cgDelta = new LinkedHashMap<>();
        for (Scenario.CgroupSpec c : sc.cgroups()) {
            cgDelta.put(c.path(), new long[n]);
        }
        long hostEpc = 0;
        for (Enc e : encs) {
            long epc = e.epcBytes();
            hostEpc += epc;
            e.peak = Math.max(e.peak, epc);
            String id = e.spec.name();
            put("enclave", id, "epc.current", "bytes", integer(epc));
            for (int i = 0; i < n; i++) {
                long c = e.count(i);
                long d = c - e.last[i];
                e.last[i] = c;
                hostDelta[i] += d;
                for (String cg = e.cgroup; cgDelta.containsKey(cg); cg = parent(cg)) {
                    cgDelta.get(cg)[i] += d;
                }
                put("enclave", id, RATE_METRICS[i], RATE_UNITS[i], rate(d, dt));
            }
            if (!e.real) { // LibOS programs have no operations: only workload models count them
                put("enclave", id, "progress", "operations", integer(e.ops));
                put("enclave", id, "latency", "s", e.periodOps == 0 ? null
                        : BigDecimal.valueOf(e.periodLatencySum).divide(BigDecimal.valueOf(e.periodOps * 1_000_000_000L), 9,
                        RoundingMode.HALF_EVEN).stripTrailingZeros());
            }
            e.periodOps = 0;
            e.periodLatencySum = 0;
        }
        hostPeak = Math.max(hostPeak, hostEpc);
        put("host", "host", "epc.current", "bytes", integer(hostEpc));
        for (int i = 0; i < n; i++) {
            put("host", "host", RATE_METRICS[i], RATE_UNITS[i], rate(hostDelta[i], dt));
        }
        for (Scenario.CgroupSpec c : sc.cgroups()) {
            String p = c.path();
            long cur = miscValue(fs.read(p, "misc.current"), 0L);
            cgPeak.merge(p, cur, Math::max);
            put("cgroup", p, "epc.current", "bytes", integer(cur));
            Long max = miscValue(fs.read(p, "misc.max"), null);
            put("cgroup", p, "epc.limit", "bytes", max == null ? null : integer(max));
            put("cgroup", p, "epc.events.max", "count", integer(miscValue(fs.read(p, "misc.events"), 0L)));
            put("cgroup", p, "memory.current", "bytes", integer(Long.parseLong(fs.read(p, "memory.current").strip())));
            long[] d = cgDelta.get(p);
            for (int i = 0; i < n; i++) {
                put("cgroup", p, RATE_METRICS[i], RATE_UNITS[i], rate(d[i], dt));
            }
        }
        progress.at(t, sc.stop().time());
    }

    /** The sgx_epc value of a misc file ("sgx_epc 4096", "sgx_epc.max 3"); {@code none} when absent or "max". */
    private static Long miscValue(String file, Long none) {
        for (String line : file.split("\n")) {
            if (line.startsWith("sgx_epc")) {
                String v = line.substring(line.lastIndexOf(' ') + 1).strip();
                return v.equals("max") ? none : Long.valueOf(Long.parseLong(v));
            }
        }
        return none;
    }

    // ============================================================================ results

    private RunData data(long end, String reason) {
        List<RunData.CgroupData> cgs = new ArrayList<>();
        for (Scenario.CgroupSpec c : sc.cgroups()) {
            cgs.add(new RunData.CgroupData(c.path(), c.parent(), List.copyOf(limits.get(c.path()))));
        }
        List<RunData.EnclaveData> out = new ArrayList<>();
        Map<String, RunData.Metric> metrics = new LinkedHashMap<>();
        long started = 0;
        long failed = 0;
        long hostOps = 0;
        for (Enc e : encs) {
            long[] lat = Arrays.copyOf(e.latencies, e.latencyCount);
            Arrays.sort(lat);
            Long p50 = lat.length == 0 ? null : lat[rank(lat.length, 50)];
            Long p99 = lat.length == 0 ? null : lat[rank(lat.length, 99)];
            Long max = lat.length == 0 ? null : lat[lat.length - 1];
            String programs = String.join("; ", e.spec.programs().stream().map(Scenario.ProgramSpec::commandLine).toList())
                    + (e.spec.repeat() > 1 ? " (x" + e.spec.repeat() + ")" : "");
            out.add(new RunData.EnclaveData(e.spec.name(), e.spec.cgroup(), e.spec.edmm(), e.start < 0 ? null : e.start, e.startup,
                    e.outcome, e.exitStatus, e.detail, e.runs, e.ops, p50, p99, max, programs));
            String m = "enclave." + e.spec.name() + ".";
            if (e.startup != null) {
                started++;
                metrics.put(m + "startupS", new RunData.Metric(Durations.seconds(e.startup).stripTrailingZeros(), "s"));
                long until = e.ended >= 0 ? e.ended : end;
                long busy = Math.max(1, until - e.started);
                if (!e.real) {
                    metrics.put(m + "throughputOpsPerS", new RunData.Metric(rate(e.ops, busy), "ops/s"));
                }
            } else if (e.outcome.equals("failed-to-start")) {
                failed++;
            }
            if (!e.real) {
                metrics.put(m + "operations", new RunData.Metric(integer(e.ops), "count"));
            }
            if (p99 != null) {
                metrics.put(m + "latencyP50S", new RunData.Metric(seconds9(p50), "s"));
                metrics.put(m + "latencyP99S", new RunData.Metric(seconds9(p99), "s"));
            }
            if (e.real && e.started >= 0) {
                long until = e.ended >= 0 ? e.ended : end;
                metrics.put(m + "runS", new RunData.Metric(Durations.seconds(until - e.started).stripTrailingZeros(), "s"));
                metrics.put(m + "syscalls", new RunData.Metric(integer(e.syscalls), "count"));
            }
            metrics.put(m + "epcPeakBytes", new RunData.Metric(integer(e.peak), "bytes"));
            metrics.put(m + "ewbPages", new RunData.Metric(integer(e.count(0)), "pages"));
            metrics.put(m + "elduPages", new RunData.Metric(integer(e.count(1)), "pages"));
            hostOps += e.ops;
        }
        for (Scenario.CgroupSpec c : sc.cgroups()) {
            String m = "cgroup." + c.path() + ".";
            long peak = Math.max(cgPeak.get(c.path()), miscValue(fs.read(c.path(), "misc.peak"), 0L));
            metrics.put(m + "epcPeakBytes", new RunData.Metric(integer(peak), "bytes"));
            metrics.put(m + "epcEventsMax", new RunData.Metric(integer(miscValue(fs.read(c.path(), "misc.events"), 0L)), "count"));
            metrics.put(m + "oomKills", new RunData.Metric(integer(oomKills.get(c.path())), "count"));
        }
        long ewb = 0;
        long eldu = 0;
        long ooms = 0;
        for (Enc e : encs) {
            ewb += e.count(0);
            eldu += e.count(1);
            ooms += e.outcome.equals("oom-killed") ? 1 : 0;
        }
        metrics.put("host.ewbPages", new RunData.Metric(integer(ewb), "pages"));
        metrics.put("host.elduPages", new RunData.Metric(integer(eldu), "pages"));
        long rootPeak = miscValue(fs.read("/", "misc.peak"), 0L);
        metrics.put("host.epcPeakBytes", new RunData.Metric(integer(Math.max(hostPeak, rootPeak)), "bytes"));
        metrics.put("host.enclavesStarted", new RunData.Metric(integer(started), "count"));
        metrics.put("host.enclavesFailedToStart", new RunData.Metric(integer(failed), "count"));
        metrics.put("host.oomKills", new RunData.Metric(integer(ooms), "count"));
        metrics.put("host.operations", new RunData.Metric(integer(hostOps), "count"));
        metrics.put("host.durationS", new RunData.Metric(Durations.seconds(end).stripTrailingZeros(), "s"));
        List<RunData.Series> ss = new ArrayList<>();
        List<Acc> accs = new ArrayList<>(series.values());
        for (String scope : List.of("host", "cgroup", "enclave")) {
            for (Acc a : accs) {
                if (a.scope.equals(scope)) {
                    ss.add(new RunData.Series(a.scope, a.id, a.metric, a.unit, nullable(a.values)));
                }
            }
        }
        List<RunData.Event> events = new ArrayList<>(timeline);
        events.sort(java.util.Comparator.comparingLong(RunData.Event::at)); // stable
        return new RunData(sc.name(), sc.description(), sc.host().seed(), sc.host(), sc.sampleInterval(), end, reason,
                sc.params(), cgs, out, sampleTimes.stream().mapToLong(Long::longValue).toArray(), ss, events, metrics);
    }

    private static List<BigDecimal> nullable(List<BigDecimal> l) {
        return java.util.Collections.unmodifiableList(new ArrayList<>(l));
    }

    private static BigDecimal seconds9(long ns) {
        return BigDecimal.valueOf(ns, 9).stripTrailingZeros();
    }

    /** Nearest-rank percentile index. */
    private static int rank(int n, int pct) {
        return Math.max(0, (int) Math.ceil(pct / 100.0 * n) - 1);
    }
}
