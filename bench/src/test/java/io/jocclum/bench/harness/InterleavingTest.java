package io.jocclum.bench.harness;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class InterleavingTest {
    @BeforeEach
    void clear() {
        FakeBench.LOG.clear();
    }

    private static List<String> protocol(ForkMain.Spec spec) throws Throwable {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ForkMain.run(spec, out);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(ForkMain.PREFIX))
                .map(l -> l.substring(ForkMain.PREFIX.length())).toList();
    }

    private static ForkMain.SideSpec side(String label, String method, int size) {
        return new ForkMain.SideSpec(label, FakeBench.class.getName(), method, new TreeMap<>(Map.of("size", Integer.toString(size))));
    }

    @Test
    void roundsAlternateBetweenTheSidesAfterAWarmUpInTheSameAlternation() throws Throwable {
        ForkMain.Spec spec = new ForkMain.Spec(3, 2, 2, 2, 4, List.of(side("A", "a", 1), side("B", "a", 2)), List.of());
        List<String> lines = protocol(spec);
        List<String> order = new ArrayList<>();
        for (String l : lines) {
            String[] f = l.split(" ");
            if (f[0].equals("warm") || f[0].equals("round")) {
                order.add(f[0] + " " + f[1] + " " + f[2]);
            }
        }
        int warm = (int) order.stream().filter(s -> s.startsWith("warm")).count() / 2;
        assertThat(warm).isBetween(2, 4);
        List<String> expected = new ArrayList<>();
        for (int w = 0; w < warm; w++) {
            expected.add("warm A " + w);
            expected.add("warm B " + w);
        }
        for (int r = 0; r < 3; r++) {
            expected.add("round A " + r);
            expected.add("round B " + r);
        }
        assertThat(order).isEqualTo(expected);
        assertThat(lines).contains("side A us/op false", "side B us/op false");
        // one state per parameter value, set up once, torn down at the end of the fork
        assertThat(FakeBench.LOG).containsExactly("trial 1", "trial 2", "down 2", "down 1");
    }

    @Test
    void methodsOnTheSameStateAndParametersShareOneStateObject() throws Throwable {
        ForkMain.Spec spec = new ForkMain.Spec(1, 1, 1, 1, 1, List.of(side("A", "a", 1), side("B", "b", 1)), List.of());
        List<String> lines = protocol(spec);
        assertThat(FakeBench.LOG).containsExactly("trial 1", "down 1");
        assertThat(lines).contains("side B ops/s true");
    }

    @Test
    void perInvocationFixturesRunAroundEveryCall() throws Throwable {
        ForkMain.Spec spec = new ForkMain.Spec(2, 1, 1, 1, 1,
                List.of(new ForkMain.SideSpec("P", FakeBench.class.getName(), "perInvocation", new TreeMap<>(Map.of("size", "1")))),
                List.of());
        protocol(spec);
        String last = FakeBench.LOG.stream().filter(s -> s.startsWith("refill")).findFirst().orElseThrow();
        String[] f = last.split("[ =]");
        assertThat(Long.parseLong(f[2])).isPositive().isEqualTo(Long.parseLong(f[4])).isEqualTo(Long.parseLong(f[6]));
    }

    @Test
    void benchMethodLabelsUnitsAndScores() {
        BenchMethod a = BenchMethod.of(FakeBench.class, "a");
        assertThat(a.params()).containsOnlyKeys("size");
        assertThat(a.combinations(Map.of())).hasSize(2);
        assertThat(a.combinations(Map.of("size", List.of("7")))).containsExactly(new TreeMap<>(Map.of("size", "7")));
        assertThat(a.label(Map.of("size", "7"))).isEqualTo("a[size=7]");
        assertThat(a.scoreUnit()).isEqualTo("us/op");
        // 1000 calls in 2 ms: 2 us each
        assertThat(a.score(1000, 2_000_000)).isCloseTo(2, within(1e-12));
        BenchMethod b = BenchMethod.of(FakeBench.class, "b");
        assertThat(b.scoreUnit()).isEqualTo("ops/s");
        // 1000 calls of 10 operations in 2 ms: 5e6 ops/s
        assertThat(b.score(1000, 2_000_000)).isCloseTo(5e6, within(1e-3));
        assertThat(b.higherIsBetter()).isTrue();
    }

    @Test
    void forkOutputsPoolRoundsInForkOrderAndKeepTheSidesPaired() {
        BenchContext.ForkOutput all = new BenchContext.ForkOutput();
        for (int fork = 0; fork < 2; fork++) {
            BenchContext.ForkOutput one = new BenchContext.ForkOutput();
            assertThat(one.accept("not a protocol line")).isFalse();
            one.accept(ForkMain.PREFIX + "side ours us/op false");
            one.accept(ForkMain.PREFIX + "entries nat 2.0");
            for (int r = 0; r < 2; r++) {
                one.accept(ForkMain.PREFIX + "warm ours " + r + " 99");
                one.accept(ForkMain.PREFIX + "round ours " + r + " " + (10 * fork + r + 1) + " us/op");
                one.accept(ForkMain.PREFIX + "round nat " + r + " " + 2 * (10 * fork + r + 1) + " us/op");
                one.accept(ForkMain.PREFIX + "null-syscall nat " + r + " 100");
            }
            all.add(one);
        }
        List<NativeReport> reports = new ArrayList<>();
        Map<String, Figure> f = all.figures(reports::add);
        assertThat(f.get("ours").rounds()).containsExactly(1, 2, 11, 12);
        assertThat(f.get("nat").rounds()).containsExactly(2, 4, 22, 24);
        assertThat(Comparison.Result.of(f.get("ours"), f.get("nat")).ratios()).containsExactly(2, 2, 2, 2);
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("nat");
            assertThat(r.entriesPerWork()).isEqualTo(2);
        });
    }

    @Test
    void theRunnerRejectsWhatItCannotMeasure() {
        BenchContext ctx = new BenchContext(true, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ctx.jmh().threads(2)).hasMessageContaining("one thread");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ctx.jmh().include(FakeBench.class, "nope").sides())
                .hasMessageContaining("no public @Benchmark method nope");
        assertThat(ctx.jmh().include(FakeBench.class, "a").param("size", "3", "4").sides())
                .extracting(ForkMain.SideSpec::label).containsExactly("a[size=3]", "a[size=4]");
    }
}
