package io.jocclum.sgx.selftest;

import io.jocclum.sgx.selftest.EpcCgroupSelftest.CaseResult;
import io.jocclum.sgx.selftest.EpcCgroupSelftest.Options;
import io.jocclum.sgx.selftest.EpcCgroupSelftest.Session;
import io.jocclum.sgx.selftest.EpcCgroupSelftest.Status;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The v17 selftests S0-S7 (run_epc_cg_selftests.sh) as JUnit tests, one per case under the
 * selftest's names: each sets up (S0), runs its case on a fresh platform and checks for leaks (S7);
 * the platform's invariants are checked after every test. Seed: {@code -Djocclum.test.seed=N}.
 */
@ExtendWith(SgxInvariantsExtension.class)
class EpcCgroupSelftestTest {
    private static final long SEED = Long.getLong("jocclum.test.seed", 20240830L);

    private static Session session(boolean intent) {
        Session s = EpcCgroupSelftest.open(new Options(EpcCgroupSelftest.DEFAULT_CAPACITY, SEED, intent));
        SgxTestSupport.track(s.platform());
        CaseResult setup = s.s0Setup();
        assertThat(setup.status()).as("S0 (seed %d): %s", SEED, setup.diagnostics()).isEqualTo(Status.PASS);
        return s;
    }

    private static void passes(CaseResult r, Session s) {
        assertThat(r.status()).as("seed %d: %s %s", SEED, r.description(), r.diagnostics()).isEqualTo(Status.PASS);
        CaseResult leak = s.s7LeakCheck();
        assertThat(leak.status()).as("S7 after %s (seed %d): %s", r.description(), SEED, leak.diagnostics())
                .isEqualTo(Status.PASS);
    }

    private static long exits(CaseResult r, String code) {
        return r.diagnostics().stream().filter(d -> d.matches("W\\d+ in .*: exit " + code + ".*")).count();
    }

    @Test
    @DisplayName("S0 setup: sgx_kselftest cgroups with SMALL, LARGE and LARGER sgx_epc limits")
    void s0Setup() {
        Session s = session(false);
        String fsRead = s.platform().cgroups().fs().read(EpcCgroupSelftest.SMALL_PARENT, "misc.max");
        assertThat(fsRead).isEqualTo("sgx_epc " + EpcCgroupSelftest.DEFAULT_CAPACITY / 512 + "\n");
        assertThat(s.platform().cgroups().fs().read(EpcCgroupSelftest.SMALL, "misc.max")).isEqualTo("sgx_epc max\n");
        CaseResult again = s.s0Setup();
        assertThat(again.status()).as("the test root exists: SKIP, please clean up").isEqualTo(Status.SKIP);
        assertThat(again.tapLine()).isEqualTo("ok 1 - " + Session.description(1) + " # SKIP "
                + EpcCgroupSelftest.ROOT + " already exists, please clean up");
        assertThat(s.s7LeakCheck().status()).isEqualTo(Status.PASS);
    }

    @Test
    @DisplayName("S1 unclobbered_vdso_oversubscribed with SMALL limit (on the parent), expecting failure")
    void s1SmallLimit() {
        Session s = session(false);
        CaseResult r = s.s1SmallLimit();
        assertThat(exits(r, "1")).isEqualTo(1);
        assertThat(r.diagnostics()).anyMatch(d -> d.contains("ENOMEM"));
        passes(r, s);
    }

    @Test
    @DisplayName("S2 4 concurrent unclobbered_vdso_oversubscribed with LARGE limit, expecting at least one success")
    void s2FourConcurrentLarge() {
        Session s = session(false);
        CaseResult r = s.s2FourConcurrentLarge();
        assertThat(exits(r, "0")).isPositive();
        assertThat(exits(r, "1")).as("4 x (VA + SECS) > LARGE: the builds overlapped").isPositive();
        passes(r, s);
    }

    @Test
    @DisplayName("S3 5 concurrent unclobbered_vdso_oversubscribed with LARGE limit, expecting at least one failure")
    void s3FiveConcurrentLarge() {
        Session s = session(false);
        CaseResult r = s.s3FiveConcurrentLarge();
        assertThat(exits(r, "1")).isPositive();
        assertThat(exits(r, "0")).as("failed W released their pages in time for others").isPositive();
        passes(r, s);
    }

    @Test
    @DisplayName("S4 8 concurrent unclobbered_vdso_oversubscribed with LARGER limit, expecting no failure")
    void s4EightConcurrentLarger() {
        Session s = session(false);
        CaseResult r = s.s4EightConcurrentLarger();
        assertThat(exits(r, "0")).isEqualTo(8);
        passes(r, s);
    }

    @Test
    @DisplayName("S5 8 concurrent unclobbered_vdso_oversubscribed with LARGER limit, one killed, expecting no failure of the others")
    void s5EightConcurrentLargerOneKilled() {
        Session s = session(false);
        CaseResult r = s.s5EightConcurrentLargerOneKilled();
        assertThat(r.diagnostics()).anyMatch(d -> d.matches("S5: SIGTERM to W[0-7] after [1-5] s \\(seeded\\)"));
        assertThat(exits(r, "0")).isEqualTo(7);
        assertThat(r.diagnostics()).anyMatch(d -> d.contains("exit 1 (killed"));
        passes(r, s);
    }

    @Test
    @DisplayName("S6 4 concurrent unclobbered_vdso_oversubscribed with LARGE limit and too small RAM limit, expecting all failures")
    void s6MemcgTooSmall() {
        Session s = session(false);
        CaseResult r = s.s6MemcgTooSmall();
        assertThat(exits(r, "1")).isEqualTo(4);
        assertThat(r.diagnostics()).anyMatch(d -> d.contains("oom_kill 4"));
        assertThat(s.platform().cgroups().memory().swapEnabled()).as("swap back on").isTrue();
        passes(r, s);
    }

    @Test
    @DisplayName("S7 final sgx_epc usage of sgx_kselftest is 0")
    void s7LeakCheck() {
        Session s = session(false);
        s.s2FourConcurrentLarge();
        CaseResult r = s.s7LeakCheck();
        assertThat(r.status()).as("seed %d: %s", SEED, r.diagnostics()).isEqualTo(Status.PASS);
        assertThat(s.platform().cgroups().fs().list("/")).doesNotContain("sgx_kselftest");
    }

    @Test
    void s7ReportsALeakAsAFailure() {
        Session s = session(false);
        var fs = s.platform().cgroups().fs();
        var t = s.platform().newTask("leaker");
        fs.write(t, EpcCgroupSelftest.LARGER, "cgroup.procs", "0");
        var fd = SgxTestSupport.load(s.platform(), t, SgxTestSupport.image(1 << 20, 4));
        CaseResult r = s.s7LeakCheck();
        assertThat(r.status()).isEqualTo(Status.FAIL);
        assertThat(r.diagnostics()).anyMatch(d -> d.equals("Final usage is " + 8 * 4096 + ", not 0."));
        fd.close();
        s.platform().exit(t);
    }

    @Test
    void theWholeRunPrintsKselftestTap() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EpcCgroupSelftest.Report r = EpcCgroupSelftest.run(new Options(EpcCgroupSelftest.MIN_CAPACITY, SEED, true),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0)).isEqualTo("TAP version 13");
        assertThat(lines.get(1)).isEqualTo("1..8");
        assertThat(lines).anyMatch(l -> l.contains("seed " + SEED) && l.contains("stated intent"));
        List<String> results = lines.stream().filter(l -> l.matches("(not )?ok \\d+ - .*")).toList();
        assertThat(results).hasSize(8);
        for (int i = 1; i <= 8; i++) {
            assertThat(results.get(i - 1)).as("seed %d", SEED).isEqualTo("ok " + i + " - " + Session.description(i));
        }
        assertThat(lines.getLast()).isEqualTo("# totals: pass:8 fail:0 xfail:0 xpass:0 skip:0 error:0");
        assertThat(lines).allMatch(l -> l.startsWith("#") || l.startsWith("ok ") || l.startsWith("not ok ")
                || l.equals("TAP version 13") || l.equals("1..8"));
        assertThat(r.allPassed()).isTrue();
    }

    /**
     * Same seed, same output: the whole run twice with one seed prints the same TAP, line by line —
     * S5's kill point and S6's kill points and memory events included (the W processes are
     * scheduled deterministically, killed ones die at fixed points); S6 once more on its own.
     */
    @Test
    void theSameSeedGivesTheSameOutput() {
        assertThat(wholeRun(SEED)).as("the whole selftest again with seed %d", SEED).containsExactlyElementsOf(wholeRun(SEED));
        List<String> s6 = s6Lines(SEED);
        assertThat(s6).anyMatch(l -> l.contains("oom_kill 4"));
        assertThat(s6Lines(SEED)).as("S6 again with seed %d", SEED).containsExactlyElementsOf(s6);
    }

    private static List<String> wholeRun(long seed) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EpcCgroupSelftest.Report r = EpcCgroupSelftest.run(new Options(EpcCgroupSelftest.MIN_CAPACITY, seed, false),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(r.allPassed()).as("seed %d", seed).isTrue();
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static List<String> s6Lines(long seed) {
        Session s = EpcCgroupSelftest.open(new Options(EpcCgroupSelftest.MIN_CAPACITY, seed, false));
        SgxTestSupport.track(s.platform());
        s.s0Setup();
        CaseResult r = s.s6MemcgTooSmall();
        s.s7LeakCheck();
        List<String> lines = new java.util.ArrayList<>(r.diagnostics());
        lines.add(r.tapLine());
        return lines;
    }

    @Test
    void theSeedChoosesS5sVictimAndDelay() {
        String a = victimLine(1);
        assertThat(victimLine(1)).isEqualTo(a);
        assertThat(java.util.stream.LongStream.range(2, 12).mapToObj(this::victimLine).distinct().count())
                .as("different seeds choose differently").isGreaterThan(1);
    }

    private String victimLine(long seed) {
        Session s = EpcCgroupSelftest.open(new Options(EpcCgroupSelftest.MIN_CAPACITY, seed, false));
        SgxTestSupport.track(s.platform());
        s.s0Setup();
        CaseResult r = s.s5EightConcurrentLargerOneKilled();
        assertThat(r.status()).as("seed %d: %s", seed, r.diagnostics()).isEqualTo(Status.PASS);
        s.s7LeakCheck();
        return r.diagnostics().stream().filter(d -> d.startsWith("S5: SIGTERM")).findFirst().orElseThrow();
    }

    @Test
    void wsElrangeIsNaturallyAlignedForEveryCapacity() {
        for (int log = 13; log <= 46; log++) {
            long size = 1L << log;
            long base = Workload.elrangeBase(size);
            assertThat(base % size).as("ELRANGE of 2^%d bytes at 0x%x", log, base).isZero();
            assertThat(base).isGreaterThanOrEqualTo(Workload.BASE);
        }
    }

    @Test
    void theHeapNeededGrowsWithTheCapacityAndNamesTheLargestThatFits() {
        assertThat(EpcCgroupSelftest.heapNeeded(128L << 20)).isEqualTo((72L + 32) << 20);
        assertThat(EpcCgroupSelftest.heapNeeded(512L << 20) - EpcCgroupSelftest.heapNeeded(256L << 20)).isEqualTo(144L << 20);
        assertThat(EpcCgroupSelftest.heapNeeded(Long.MAX_VALUE)).isPositive();
        for (long c : new long[]{8L << 20, 100L << 20, 1L << 30, 1L << 40}) {
            long fits = EpcCgroupSelftest.capacityFitting(EpcCgroupSelftest.heapNeeded(c));
            assertThat(fits).as("capacity %d", c).isEqualTo(c & -(1L << 20));
            assertThat(EpcCgroupSelftest.heapNeeded(fits + (1L << 20))).isGreaterThan(EpcCgroupSelftest.heapNeeded(c));
        }
        assertThat(EpcCgroupSelftest.capacityFitting(16L << 20)).isZero();
        assertThat(EpcCgroupSelftest.capacityFitting(Long.MAX_VALUE)).isPositive();
    }

    /** {@code java -Xmx<heap> SelftestHeapProbe <capacityMB>}: its exit status. */
    private static int probe(long heapBytes, long capacityMb) throws Exception {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-Xmx" + (heapBytes >> 20) + "m",
                "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SelftestHeapProbe.class.getName(), Long.toString(capacityMb)).redirectErrorStream(true).start();
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        boolean ended = p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS); // guards a hang only
        if (!ended) {
            p.destroyForcibly();
        }
        assertThat(ended).isTrue();
        return p.exitValue();
    }

    @Test
    void theEstimatedHeapIsEnoughAndNotFarTooMuch() throws Exception {
        // the pages live outside the heap: C = 32MB passes in the estimated 50MB, and a third of it runs out
        long need = EpcCgroupSelftest.heapNeeded(32L << 20);
        assertThat(probe(need, 32)).as("with the estimated heap").isZero();
        assertThat(probe(need / 3, 32)).as("with a third of it").isEqualTo(SelftestHeapProbe.OUT_OF_HEAP);
    }

    @Test
    void capacitiesTheScenariosCannotUseAreRefused() {
        assertThat(EpcCgroupSelftest.capacityProblem(16L << 20)).isNull();
        assertThat(EpcCgroupSelftest.capacityProblem((8L << 20) - 4096)).contains("too small").contains("8MB");
        assertThat(EpcCgroupSelftest.capacityProblem((16L << 20) + 1)).contains("multiple of 4KB");
        assertThatThrownBy(() -> new Options(4096, 1, false)).isInstanceOf(IllegalArgumentException.class);
    }
}
