package io.jocclum.sgx.selftest;

import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.CgroupFs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.measure.SigningKey;

import java.io.PrintStream;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The v17 EPC cgroup selftests S0-S7 ({@code run_epc_cg_selftests.sh}, spec section 4) against a
 * simulated platform with the {@code sgx_epc} controller, printed as kselftest-style TAP.
 *
 * <p>The script's steps, on the model: S0 creates {@code sgx_kselftest} and its four children
 * through cgroupfs, enables {@code +misc +memory}, reads C from {@code misc.capacity} and writes
 * SMALL = C/512, LARGE = 4 x SMALL and LARGER = C to {@code misc.max}. S1-S6 start W processes
 * ({@link Workload}: an enclave with a heap of C bytes built through the ioctls and entered twice)
 * placed the {@code ash_cgexec.sh} way (a process writes "0" to {@code cgroup.procs}, then execs
 * W), concurrently on virtual threads interleaved by a round-robin {@link Scheduler}. S5 sends
 * SIGTERM to a seeded random W after a seeded delay (1-5 "seconds", i.e. eighths of a W's life in
 * scheduler rounds) and checks that the kill released its enclave. S6 sets {@code memory.max} of
 * {@code sgx_test_large} to C - 2 x LARGE and turns swap off around the run; the backing store is
 * charged to that memory cgroup and the memcg OOM killer ends each W. S7 reads
 * {@code sgx_kselftest/misc.current} (after running background reclaim instead of the script's
 * 2-second sleep) and removes the cgroups. After every case the platform's invariants are checked;
 * a violation fails the case.
 *
 * <p>Deterministic for a given {@link Options}: the platform runs ksgxd and the cgroup work queue in
 * MANUAL mode, executed by the runner between scheduler rounds and by faults waiting for EPC.
 */
public final class EpcCgroupSelftest {
    /** Default EPC capacity: small enough that S0-S7 run in a few seconds. */
    public static final long DEFAULT_CAPACITY = 16L << 20;
    /**
     * Smallest capacity the scenarios work with: one W's VA and SECS pages must fit under LARGE with
     * room left for its pages being added (C/128 bytes of limit against about C/2 MiB + 2 pages).
     */
    public static final long MIN_CAPACITY = 8L << 20;
    /** Number of cases: S0-S7. */
    public static final int CASES = 8;

    static final String ROOT = "/sgx_kselftest";
    static final String SMALL_PARENT = ROOT + "/sgx_test_small_parent";
    static final String SMALL = SMALL_PARENT + "/sgx_test_small";
    static final String LARGE = ROOT + "/sgx_test_large";
    static final String LARGER = ROOT + "/sgx_test_larger";

    private EpcCgroupSelftest() {
    }

    /**
     * What to run.
     *
     * @param capacityBytes EPC capacity C (a multiple of 4096, at least {@link #MIN_CAPACITY})
     * @param seed          seed of S5's delay and victim and of the data the W processes write
     * @param statedIntent  the controller with the series' stated intent (async reclaim after a
     *                      successful charge at the soft threshold) instead of v17 as posted
     */
    public record Options(long capacityBytes, long seed, boolean statedIntent) {
        public Options {
            String problem = capacityProblem(capacityBytes);
            if (problem != null) {
                throw new IllegalArgumentException("EPC capacity " + capacityBytes + " bytes " + problem);
            }
        }
    }

    /**
     * Why {@code bytes} cannot be the EPC capacity of the selftest, completing the sentence "C ...",
     * or null if it can.
     */
    public static String capacityProblem(long bytes) {
        if (!Pages.isAligned(bytes)) {
            return "is not a multiple of 4KB (EPC pages are 4096 bytes)";
        }
        if (bytes < MIN_CAPACITY) {
            return "is too small to run the scenarios; the EPC capacity must be at least 8MB";
        }
        return null;
    }

    /**
     * Java heap a run with capacity {@code bytes} needs: 9/16 x C + 32MB. The pages themselves (the
     * EPC's frames, the eight W's evicted pages in their backing stores) live outside the heap
     * ({@code HostPagePool}); the heap holds their bookkeeping, which grows with C. Measured as the
     * smallest {@code -Xmx} (serial collector, seed 42) with which all eight cases pass: C = 32MB
     * passes with 23MB and runs out with 20MB, 64MB with 37MB / 34MB, 128MB with 67MB / 62MB, 512MB
     * with 275MB / 243MB: about C/2 + 10MB. The estimate adds an eighth of that slope and 32MB of
     * headroom for the collector (320MB at C = 512MB, 41MB at the default 16MB).
     */
    public static long heapNeeded(long bytes) {
        return bytes / 16 * 9 + HEAP_FIXED;
    }

    /** The largest capacity whose {@link #heapNeeded} fits in {@code heap} bytes (0 if none), a whole number of MB. */
    public static long capacityFitting(long heap) {
        long ninths = Math.max(0, heap - HEAP_FIXED) / 9;
        return (ninths > Long.MAX_VALUE / 16 ? Long.MAX_VALUE : ninths * 16) & -(1L << 20);
    }

    /** The part of {@link #heapNeeded} that does not grow with the capacity. */
    static final long HEAP_FIXED = 32L << 20;

    /** The outcome of a case. */
    public enum Status {
        PASS, FAIL, SKIP
    }

    /**
     * One case of the report.
     *
     * @param number      TAP test number (1 for S0)
     * @param description what the case checks, as printed after "ok N - "
     * @param status      pass, fail or skip
     * @param diagnostics lines printed as "# ..." before the result line
     * @param skipReason  why it was skipped (SKIP only)
     */
    public record CaseResult(int number, String description, Status status, List<String> diagnostics, String skipReason) {
        public CaseResult {
            diagnostics = List.copyOf(diagnostics);
        }

        /** The TAP result line. */
        public String tapLine() {
            return switch (status) {
                case PASS -> "ok " + number + " - " + description;
                case FAIL -> "not ok " + number + " - " + description;
                case SKIP -> "ok " + number + " - " + description + " # SKIP " + skipReason;
            };
        }
    }

    /** All cases of a run. */
    public record Report(List<CaseResult> cases) {
        public Report {
            cases = List.copyOf(cases);
        }

        public long count(Status s) {
            return cases.stream().filter(c -> c.status() == s).count();
        }

        /** Exit status 0: every case ran and passed. */
        public boolean allPassed() {
            return cases.size() == CASES && count(Status.PASS) == CASES;
        }

        /** The kselftest totals line. */
        public String totalsLine() {
            return "# totals: pass:" + count(Status.PASS) + " fail:" + count(Status.FAIL) + " xfail:0 xpass:0 skip:"
                    + count(Status.SKIP) + " error:0";
        }
    }

    /** Runs S0-S7 and prints TAP to {@code out} as the cases finish. */
    public static Report run(Options options, PrintStream out) {
        List<CaseResult> results = new ArrayList<>();
        out.println("TAP version 13");
        out.println("1.." + CASES);
        try (Session s = open(options)) {
            for (String line : s.header()) {
                out.println("# " + line);
            }
            out.flush();
            CaseResult setup = emit(out, results, s.s0Setup());
            boolean ready = setup.status() == Status.PASS;
            String why = setup.status() == Status.SKIP ? setup.skipReason() : "setup failed";
            emit(out, results, ready ? s.s1SmallLimit() : s.skipped(2, why));
            emit(out, results, ready ? s.s2FourConcurrentLarge() : s.skipped(3, why));
            emit(out, results, ready ? s.s3FiveConcurrentLarge() : s.skipped(4, why));
            emit(out, results, ready ? s.s4EightConcurrentLarger() : s.skipped(5, why));
            emit(out, results, ready ? s.s5EightConcurrentLargerOneKilled() : s.skipped(6, why));
            emit(out, results, ready ? s.s6MemcgTooSmall() : s.skipped(7, why));
            emit(out, results, ready ? s.s7LeakCheck() : s.skipped(8, why));
        }
        Report r = new Report(results);
        out.println(r.totalsLine());
        out.flush();
        return r;
    }

    private static CaseResult emit(PrintStream out, List<CaseResult> results, CaseResult r) {
        for (String d : r.diagnostics()) {
            out.println("# " + d);
        }
        out.println(r.tapLine());
        out.flush();
        results.add(r);
        return r;
    }

    /** A platform prepared for the cases; each {@code sN} method runs one case (S0 first). */
    public static Session open(Options options) {
        return new Session(options);
    }

    /** RSA-3072 keys are slow to make: one per JVM, from a fixed seed (the SIGSTRUCT is not under test). */
    private static RSAPrivateCrtKey key;

    private static synchronized RSAPrivateCrtKey key() {
        if (key == null) {
            try {
                SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
                r.setSeed(0x5E1F7E57L);
                key = SigningKey.generate(r);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no SHA1PRNG", e);
            }
        }
        return key;
    }

    /** One run of the script on its own platform. Not thread-safe: call the cases from one thread. */
    public static final class Session implements AutoCloseable {
        private final Options options;
        private final SgxPlatform platform;
        private final CgroupFs fs;
        private final HostTask script;
        private final Workload.Image image;
        private final SplittableRandom random;
        private long c;
        private long small;
        private long large;
        private long larger;
        private int runs;

        private Session(Options options) {
            this.options = options;
            this.platform = SgxPlatform.start(PlatformConfig.builder()
                    .epcSize(options.capacityBytes())
                    .seed(options.seed())
                    .ksgxd(Ksgxd.Mode.MANUAL)
                    .epcCgroup(options.statedIntent() ? PlatformConfig.EpcCgroup.INTENT : PlatformConfig.EpcCgroup.V17)
                    .build());
            this.fs = platform.cgroups().fs();
            this.script = platform.newTask("run_epc_cg_selftests.sh");
            this.image = Workload.Image.of(options.capacityBytes(), key());
            this.random = new SplittableRandom(options.seed());
        }

        /** The platform (tests check its invariants). */
        public SgxPlatform platform() {
            return platform;
        }

        List<String> header() {
            long cap = options.capacityBytes();
            return List.of(
                    "EPC cgroup selftests (v17 run_epc_cg_selftests.sh) on the simulated platform: C=" + cap + " bytes ("
                            + (cap >> 20) + "MB), seed " + options.seed() + " (replay: --seed " + options.seed() + "), controller "
                            + (options.statedIntent() ? "v17 + stated intent (async reclaim after a charge at the threshold)"
                            : "v17 as posted"),
                    "W = unclobbered_vdso_oversubscribed: " + image.heapPages() + " heap pages + " + Workload.ELF_PAGES
                            + " ELF pages, " + image.vaPages() + " VA pages + SECS unreclaimable, ELRANGE "
                            + (image.image().size() >> 20) + "MB");
        }

        CaseResult skipped(int number, String why) {
            return new CaseResult(number, DESCRIPTIONS[number - 1], Status.SKIP, List.of(), why);
        }

        private static final String[] DESCRIPTIONS = {
            "S0 setup: sgx_kselftest cgroups with SMALL, LARGE and LARGER sgx_epc limits",
            "S1 unclobbered_vdso_oversubscribed with SMALL limit (on the parent), expecting failure",
            "S2 4 concurrent unclobbered_vdso_oversubscribed with LARGE limit, expecting at least one success",
            "S3 5 concurrent unclobbered_vdso_oversubscribed with LARGE limit, expecting at least one failure",
            "S4 8 concurrent unclobbered_vdso_oversubscribed with LARGER limit, expecting no failure",
            "S5 8 concurrent unclobbered_vdso_oversubscribed with LARGER limit, one killed, expecting no failure of the others",
            "S6 4 concurrent unclobbered_vdso_oversubscribed with LARGE limit and too small RAM limit, expecting all failures",
            "S7 final sgx_epc usage of sgx_kselftest is 0",
        };

        /** The TAP description of case {@code number} (1 = S0). */
        public static String description(int number) {
            return DESCRIPTIONS[number - 1];
        }

        // ---- S0 ----------------------------------------------------------------------------------

        /** S0: preconditions and setup. */
        public CaseResult s0Setup() {
            List<String> d = new ArrayList<>();
            try {
                fs.cgroup(ROOT);
                return new CaseResult(1, DESCRIPTIONS[0], Status.SKIP, d, ROOT + " already exists, please clean up");
            } catch (ErrnoException expected) {
                // ENOENT: fresh
            }
            try {
                for (String p : List.of(ROOT, SMALL_PARENT, LARGE, SMALL, LARGER)) {
                    fs.mkdir(p);
                }
                fs.write("/", "cgroup.subtree_control", "+misc +memory");
                fs.write(ROOT, "cgroup.subtree_control", "+misc +memory");
                fs.write(SMALL_PARENT, "cgroup.subtree_control", "+misc");
            } catch (ErrnoException e) {
                d.add("setup failed: " + e.getMessage());
                return new CaseResult(1, DESCRIPTIONS[0], Status.FAIL, d, null);
            }
            try {
                String capacity = fs.read("/", "misc.capacity");
                c = Long.parseLong(capacity.strip().substring("sgx_epc ".length()));
                small = c / 512;
                large = 4 * small;
                larger = c;
                fs.write(SMALL_PARENT, "misc.max", "sgx_epc " + small);
                fs.write(LARGE, "misc.max", "sgx_epc " + large);
                fs.write(LARGER, "misc.max", "sgx_epc " + larger);
            } catch (ErrnoException | StringIndexOutOfBoundsException | NumberFormatException e) {
                return new CaseResult(1, DESCRIPTIONS[0], Status.SKIP, d, "kernel does not support SGX cgroup");
            }
            d.add("C=" + c + " SMALL=" + small + " LARGE=" + large + " LARGER=" + larger + " bytes ("
                    + small / Pages.SIZE + ", " + large / Pages.SIZE + ", " + larger / Pages.SIZE + " pages)");
            boolean ok = fs.read(SMALL_PARENT, "misc.max").equals("sgx_epc " + small + "\n")
                    && fs.read(LARGE, "misc.max").equals("sgx_epc " + large + "\n")
                    && fs.read(LARGER, "misc.max").equals("sgx_epc " + larger + "\n")
                    && fs.read(SMALL, "misc.max").equals("sgx_epc max\n");
            if (!ok) {
                d.add("misc.max does not read back the written limits");
            }
            return finish(1, ok, d);
        }

        // ---- S1-S6 ------------------------------------------------------------------------------

        /** S1: one W in {@code sgx_test_small} under the SMALL limit of its parent must fail. */
        public CaseResult s1SmallLimit() {
            List<String> d = new ArrayList<>();
            long[] before = {events(SMALL_PARENT), eventsLocal(SMALL_PARENT), events(ROOT), eventsLocal(ROOT),
                events(SMALL), eventsLocal(SMALL)};
            List<Workload> ws = runConcurrent(1, SMALL, -1, d);
            boolean ok = !ws.getFirst().passed();
            long[] after = {events(SMALL_PARENT), eventsLocal(SMALL_PARENT), events(ROOT), eventsLocal(ROOT),
                events(SMALL), eventsLocal(SMALL)};
            d.add("misc.events / misc.events.local increase: sgx_test_small_parent +" + (after[0] - before[0]) + " / +"
                    + (after[1] - before[1]) + ", sgx_kselftest +" + (after[2] - before[2]) + " / +" + (after[3] - before[3])
                    + ", sgx_test_small +" + (after[4] - before[4]) + " / +" + (after[5] - before[5]));
            // model assertion (spec 4, S1): the limit is hit at the parent
            if (after[0] == before[0] || after[1] - before[1] != after[0] - before[0] || after[2] - before[2] != after[0] - before[0]
                    || after[3] != before[3] || after[4] != before[4] || after[5] != before[5]) {
                d.add("events not placed at sgx_test_small_parent (and its ancestors) only");
                ok = false;
            }
            return finish(2, ok, d);
        }

        /** S2: 4 W under LARGE, at least one succeeds. */
        public CaseResult s2FourConcurrentLarge() {
            List<String> d = new ArrayList<>();
            List<Workload> ws = runConcurrent(4, LARGE, -1, d);
            return finish(3, ws.stream().anyMatch(Workload::passed), d);
        }

        /** S3: 5 W under LARGE, at least one fails. */
        public CaseResult s3FiveConcurrentLarge() {
            List<String> d = new ArrayList<>();
            List<Workload> ws = runConcurrent(5, LARGE, -1, d);
            return finish(4, ws.stream().anyMatch(w -> !w.passed()), d);
        }

        /** S4: 8 W under LARGER = C, all succeed. */
        public CaseResult s4EightConcurrentLarger() {
            List<String> d = new ArrayList<>();
            List<Workload> ws = runConcurrent(8, LARGER, -1, d);
            return finish(5, ws.stream().allMatch(Workload::passed), d);
        }

        /** S5: 8 W under LARGER, one SIGTERMed after a random delay; the others succeed, the victim's enclave is released. */
        public CaseResult s5EightConcurrentLargerOneKilled() {
            List<String> d = new ArrayList<>();
            int delay = 1 + random.nextInt(5);
            int victim = random.nextInt(8);
            d.add("S5: SIGTERM to W" + victim + " after " + delay + " s (seeded)");
            List<Workload> ws = runConcurrent(8, LARGER, delay * 1000L + victim, d);
            boolean ok = true;
            for (Workload w : ws) {
                if (w.index() != victim && !w.passed()) {
                    ok = false;
                }
            }
            Workload v = ws.get(victim);
            if (v.fd() != null && !v.fd().enclave().isReleased()) {
                d.add("the killed W's enclave was not released");
                ok = false;
            }
            return finish(6, ok, d);
        }

        /** S6: 4 W under LARGE with memory.max = C - 2 x LARGE and swap off: none succeeds. */
        public CaseResult s6MemcgTooSmall() {
            List<String> d = new ArrayList<>();
            long memMax = c - 2 * large;
            fs.write(LARGE, "memory.max", Long.toString(memMax));
            platform.cgroups().memory().setSwapEnabled(false);
            List<Workload> ws;
            try {
                d.add("S6: memory.max of sgx_test_large = " + memMax + " bytes, swap off");
                ws = runConcurrent(4, LARGE, -1, d);
            } finally {
                platform.cgroups().memory().setSwapEnabled(true);
            }
            String ev = fs.read(LARGE, "memory.events");
            d.add("S6: sgx_test_large memory.events: " + ev.strip().replace('\n', ','));
            return finish(7, ws.stream().noneMatch(Workload::passed), d);
        }

        // ---- S7 ---------------------------------------------------------------------------------

        /** S7: no EPC left charged to {@code sgx_kselftest}; the cgroups are removed (leaves first). */
        public CaseResult s7LeakCheck() {
            List<String> d = new ArrayList<>();
            background();
            String cur = fs.read(ROOT, "misc.current");
            long usage = Long.parseLong(cur.strip().substring("sgx_epc ".length()));
            boolean ok = usage == 0;
            if (!ok) {
                d.add("Final usage is " + usage + ", not 0.");
            }
            for (String p : List.of(SMALL, SMALL_PARENT, LARGE, LARGER, ROOT)) {
                try {
                    fs.rmdir(p);
                } catch (ErrnoException e) {
                    d.add("cleanup: rmdir " + p + ": " + e.getMessage());
                    ok = false;
                }
            }
            return finish(8, ok, d);
        }

        // ---- running W processes ---------------------------------------------------------------

        /**
         * Starts {@code n} W processes in {@code path} and runs them to the end; with
         * {@code killPlan} >= 0 (delay * 1000 + victim) SIGTERMs the victim after the delay.
         */
        private List<Workload> runConcurrent(int n, String path, long killPlan, List<String> d) {
            Scheduler sched = new Scheduler();
            platform.epcManager().allocator().setSchedulingPoint(sched::reapKilled);
            List<Workload> ws = new ArrayList<>();
            runs++;
            for (int i = 0; i < n; i++) {
                HostTask t = platform.cgroups().fork(script, "test_sgx");
                fs.write(t, path, "cgroup.procs", "0");      // ash_cgexec.sh: join the cgroup, then exec W
                long dataSeed = new SplittableRandom(options.seed() ^ (runs * 0x9E3779B97F4A7C15L) ^ i).nextLong();
                ws.add(new Workload(i, platform, t, sched, image, dataSeed));
            }
            List<Workload> byIndex = new ArrayList<>(ws);
            ws.forEach(Workload::start);
            long stepsPerW = image.heapPages() / Workload.QUANTUM_PAGES + 7;
            int killRound = killPlan < 0 ? -1 : (int) Math.max(1, (killPlan / 1000) * stepsPerW / 8);
            Workload victim = killPlan < 0 ? null : byIndex.get((int) (killPlan % 1000));
            int round = 0;
            while (ws.stream().anyMatch(w -> !sched.hasLeft(w))) {
                for (Workload w : ws) {
                    sched.grant(w);
                }
                round++;
                background();
                if (round == killRound) {
                    if (!sched.hasLeft(victim)) {
                        platform.kill(victim.task());           // SIGTERM
                        sched.grant(victim);                    // it dies in the turn it is given
                        d.add("S5: W" + byIndex.indexOf(victim) + " killed in scheduler round " + round + ": "
                                + victim.outcome());
                    } else {
                        d.add("S5: W" + byIndex.indexOf(victim) + " had already exited when the kill was due");
                    }
                }
            }
            ws.forEach(Workload::join);
            platform.epcManager().allocator().setSchedulingPoint(() -> { });
            for (int i = 0; i < ws.size(); i++) {
                Workload w = ws.get(i);
                d.add("W" + i + " in " + path.substring(ROOT.length() + 1) + ": exit "
                        + (w.passed() ? "0" : "1 (" + w.outcome().name().toLowerCase(java.util.Locale.ROOT) + ": "
                        + w.detail() + ")"));
            }
            return ws;
        }

        /** What ksgxd and the cgroup work queue would do meanwhile (MANUAL mode). */
        private void background() {
            platform.controller().runPendingWork();
            platform.ksgxd().runPending();
            platform.controller().runPendingWork();
        }

        private CaseResult finish(int number, boolean ok, List<String> d) {
            List<String> problems = platform.checkInvariants();
            for (String p : problems) {
                d.add("invariant violated: " + p);
            }
            boolean internal = d.stream().anyMatch(x -> x.contains("(error: "));
            return new CaseResult(number, DESCRIPTIONS[number - 1],
                    ok && problems.isEmpty() && !internal ? Status.PASS : Status.FAIL, d, null);
        }

        private long events(String path) {
            return value(fs.read(path, "misc.events"));
        }

        private long eventsLocal(String path) {
            return value(fs.read(path, "misc.events.local"));
        }

        private static long value(String flatKeyed) {
            return Long.parseLong(flatKeyed.strip().substring("sgx_epc.max ".length()));
        }

        @Override
        public void close() {
            platform.close();
        }
    }
}
