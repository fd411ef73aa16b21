package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code jocclum selftest epc-cgroup}: TAP on stdout, exit 0 when all pass, one-sentence errors. */
class SelftestTest {
    @TempDir
    Path tmp;

    @Test
    void epcCgroupPrintsTapAndExitsZero() {
        Run.Result r = Run.jocclum(tmp, "selftest", "epc-cgroup", "--capacity", "8MB", "--seed", "5");
        assertThat(r.exit()).as(r.out()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.getFirst()).isEqualTo("TAP version 13");
        assertThat(lines.get(1)).isEqualTo("1..8");
        assertThat(lines).contains("ok 1 - S0 setup: sgx_kselftest cgroups with SMALL, LARGE and LARGER sgx_epc limits");
        assertThat(lines.stream().filter(l -> l.startsWith("ok "))).hasSize(8);
        assertThat(lines).anyMatch(l -> l.startsWith("# ") && l.contains("seed 5 (replay: --seed 5)")
                && l.contains("C=8388608") && l.contains("v17 as posted"));
        assertThat(lines.getLast()).isEqualTo("# totals: pass:8 fail:0 xfail:0 xpass:0 skip:0 error:0");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void theSeedDefaultsToTheClockAndTheIntentOptionIsShown() {
        Run.Result r = Run.jocclum(tmp, "selftest", "epc-cgroup", "--capacity", "8MB", "--controller-intent");
        assertThat(r.exit()).as(r.out()).isZero();
        long clock = java.time.Instant.parse("2026-01-02T03:04:05Z").toEpochMilli();
        assertThat(r.out()).contains("seed " + clock + " ").contains("stated intent");
    }

    @Test
    void aCapacityTheHeapCannotHoldIsRefusedBeforeRunning() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Cli cli = new Cli(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8), Run.ENV, tmp,
                java.time.Clock.systemUTC());
        cli.maxHeapBytes = 256L << 20;
        cli.machineMemoryBytes = 16L << 30;
        assertThat(Main.run(cli, "selftest", "epc-cgroup", "--capacity", "1GB")).isEqualTo(1);
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).as("nothing ran").isEmpty();
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("jocclum: --capacity 1GB needs about"
                + " 608MB of Java heap (the bookkeeping of eight enclaves of C bytes each, whose pages live outside the heap),"
                + " but this JVM may use 256MB; give at most 398MB, or a larger heap, e.g. JOCCLUM_JAVA_OPTS=-Xmx1g.\n");
        cli.maxHeapBytes = 100L << 20;
        err.reset();
        assertThat(Main.run(cli, "selftest", "epc-cgroup", "--capacity", "64TB")).isEqualTo(1);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("give at most 120MB (this machine has 16GB"
                + " of memory, too little for a heap that large).\n").doesNotContain("-Xmx");
        err.reset();
        cli.machineMemoryBytes = 8L << 30;
        cli.maxHeapBytes = 4L << 30;
        assertThat(Main.run(cli, "selftest", "epc-cgroup", "--capacity", "16GB")).isEqualTo(1);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).as("10g would not fit in 8GB of memory")
                .endsWith("give at most 7224MB (this machine has 8GB of memory, too little for a heap that large).\n");
    }

    @Test
    void badCapacitiesAreOneSentence() {
        Run.Result bad = Run.jocclum(tmp, "selftest", "epc-cgroup", "--capacity", "lots");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("jocclum: --capacity 'lots' is not a size; write an unsigned integer followed by one"
                + " of the units B, KB, MB, GB, TB (case-sensitive), e.g. \"300MB\".\n");
        assertThat(bad.out()).isEmpty();
        Run.Result small = Run.jocclum(tmp, "selftest", "epc-cgroup", "--capacity", "4MB");
        assertThat(small.exit()).isEqualTo(2);
        assertThat(small.err()).isEqualTo("jocclum: --capacity 4MB is too small to run the scenarios; the EPC capacity must"
                + " be at least 8MB.\n");
        Run.Result odd = Run.jocclum(tmp, "selftest", "epc-cgroup", "--capacity", "10001KB");
        assertThat(odd.exit()).isEqualTo(2);
        assertThat(odd.err()).isEqualTo("jocclum: --capacity 10001KB is not a multiple of 4KB (EPC pages are 4096 bytes).\n");
        Run.Result none = Run.jocclum(tmp, "selftest");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("jocclum: no selftest given; use 'jocclum selftest epc-cgroup' (see 'jocclum"
                + " selftest --help').\n");
        Run.Result seed = Run.jocclum(tmp, "selftest", "epc-cgroup", "--seed", "x");
        assertThat(seed.exit()).isEqualTo(2);
        assertThat(seed.err()).isEqualTo("jocclum: --seed must be a whole number, not 'x' (see 'jocclum selftest epc-cgroup"
                + " --help').\n");
    }
}
