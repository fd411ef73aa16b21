package io.jocclum.bench;

import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BenchMainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return BenchMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void listShowsExactNamesOnePerLine() {
        assertThat(run("--list")).isZero();
        String listed = out.toString(StandardCharsets.UTF_8);
        assertThat(listed.lines().map(l -> l.split("\\s+")[0]))
                .contains("events-pipe-syscall", "events-epoll-pingpong-syscall", "os-mmap-munmap", "os-mmap-munmap-100k-vmas-random",
                        "epc-ewb-eldu", "vm-guest-seq-write-sgx", "os-cold-run-hello", "events-pipe-64k-internal", "scenario-example")
                .doesNotHaveDuplicates()
                .allMatch(n -> n.matches("[a-z0-9-]+"));
    }

    @Test
    void aPrefixNeedsItsStar() {
        assertThat(run("--quick", "epc-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no benchmark is named epc-; names match exactly, epc-* selects");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("compare:");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run("--fast")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("bench: unknown option --fast (allowed: --list, --quick, --help)\n");
    }

    @Test
    void compareLineKeepsItsFormatAndAppendsTheRange() {
        Comparison.Result r = Comparison.Result.of(Figure.ofRounds(new double[]{2, 4, 3}, "GiB/s", true),
                Figure.ofRounds(new double[]{1, 1, 2}, "GiB/s", true));
        assertThat(BenchMain.line("x", r)).isEqualTo("compare: x ours=3 GiB/s anchor=1 GiB/s speedup=2 min-max=1.5-4 rounds=3");
        Comparison.Result plain = Comparison.Result.of(Figure.time(2, "ms"), Figure.time(4, "ms"));
        assertThat(BenchMain.line("y", plain)).isEqualTo("compare: y ours=2 ms anchor=4 ms speedup=2 (not measured in interleaved rounds: ratio of the two figures)");
        Comparison.Result alone = new Comparison.Result(Figure.ofRounds(new double[]{5, 7, 6}, "ms", false), null, java.util.List.of());
        assertThat(BenchMain.line("z", alone)).isEqualTo("result: z 6 ms min-max=5-7 rounds=3");
    }
}
