package io.jocclum.libos.scenario;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Each example of examples/scenarios runs, and what its comments say it shows holds. */
class ExamplesTest {
    static Path examples() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples/scenarios"))) {
                return p.resolve("examples/scenarios");
            }
        }
        throw new IllegalStateException("examples/scenarios not found above " + Path.of("").toAbsolutePath());
    }

    static RunData run(String name, ScenarioFile.Setting... sets) throws IOException {
        Path f = examples().resolve(name);
        Scenario sc = ScenarioFile.parse(Files.readAllBytes(f), name, f.getParent(), name.replace(".json", ""), List.of(sets));
        long t0 = System.nanoTime();
        RunData d = Engine.run(sc, (t, s) -> { });
        System.out.printf("example %s: %.3f s simulated in %.2f s of wall time%n", name, d.duration() / 1e9,
                (System.nanoTime() - t0) / 1e9);
        return d;
    }

    private static long metric(RunData d, String name) {
        return d.metrics().get(name).value().longValue();
    }

    private static double mean(RunData.Series s, long[] t, long from, long to) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < t.length; i++) {
            BigDecimal v = s.values().get(i);
            if (t[i] >= from && t[i] < to && v != null) {
                sum += v.doubleValue();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    @Test
    void twoPodsPodAIsUnharmed() throws IOException {
        RunData d = run("two-pods.json");
        assertThat(d.enclaves()).allMatch(e -> e.outcome().equals("exited"));
        assertThat(metric(d, "enclave.a1.ewbPages")).as("pod-a's EPC is never reclaimed").isZero();
        assertThat(EngineTest.series(d, "cgroup", "/pod-a", "ewb.rate").values()).allMatch(v -> v.signum() == 0);
        assertThat(metric(d, "cgroup./pod-b.epcEventsMax")).as("pod-b hits its limit").isPositive();
        assertThat(metric(d, "enclave.b1.ewbPages") + metric(d, "enclave.b2.ewbPages")).isPositive();
        assertThat(EngineTest.series(d, "cgroup", "/pod-b", "epc.current").values())
                .allMatch(v -> v.longValue() <= (32L << 20));
    }

    @Test
    void edmmStartsFasterAndMoreEnclavesFit() throws IOException {
        RunData d = run("edmm-vs-non-edmm.json");
        for (int i = 1; i <= 3; i++) {
            RunData.EnclaveData plain = d.enclaves().get(i - 1);
            RunData.EnclaveData edmm = d.enclaves().get(2 + i);
            assertThat(edmm.name()).isEqualTo("edmm-" + i);
            assertThat(edmm.startup() * 10).as("EDMM start-up at least 10x faster").isLessThan(plain.startup());
        }
        long plainFit = d.enclaves().stream().filter(e -> !e.edmm() && metric(d, "enclave." + e.name() + ".ewbPages") == 0).count();
        long edmmFit = d.enclaves().stream().filter(e -> e.edmm() && metric(d, "enclave." + e.name() + ".ewbPages") == 0).count();
        assertThat(plainFit).as("non-EDMM enclaves that fit the pod's 1GB without paging").isLessThanOrEqualTo(1);
        assertThat(edmmFit).as("EDMM enclaves that fit").isEqualTo(3);
        assertThat(metric(d, "cgroup./non-edmm.epcEventsMax")).isPositive();
    }

    @Test
    void aLimitOnTheNoisyNeighbourRestoresTheVictimsLatency() throws IOException {
        RunData d = run("noisy-neighbour.json");
        RunData.Series lat = EngineTest.series(d, "enclave", "victim", "latency");
        double before = mean(lat, d.sampleTimes(), 1_000_000_000L, 3_000_000_000L);
        double after = mean(lat, d.sampleTimes(), 4_000_000_000L, 6_000_000_000L);
        System.out.printf("victim latency: %.1f us without the limit, %.1f us with it%n", before * 1e6, after * 1e6);
        assertThat(before).as("the victim suffers while noisy is unlimited").isGreaterThan(2 * after);
        RunData.Series noisy = EngineTest.series(d, "cgroup", "/noisy", "epc.current");
        for (int i = 0; i < d.sampleTimes().length; i++) {
            if (d.sampleTimes()[i] >= 4_000_000_000L) {
                assertThat(noisy.values().get(i).longValue()).isLessThanOrEqualTo(40L << 20);
            }
        }
    }

    @Test
    void throughputFallsOffBelowTheWorkingSet() throws IOException {
        double small = throughput(run("epc-limit-sweep.json", new ScenarioFile.Setting("cgroups./app.epcMax", "16MB")));
        double large = throughput(run("epc-limit-sweep.json", new ScenarioFile.Setting("cgroups./app.epcMax", "64MB")));
        System.out.printf("kv throughput: %.0f ops/s at 16MB, %.0f ops/s at 64MB%n", small, large);
        assertThat(large).isGreaterThan(2 * small);
    }

    private static double throughput(RunData d) {
        return d.metrics().get("enclave.kv.throughputOpsPerS").value().doubleValue();
    }

    @Test
    void libosProgramsMemtestReclaimsInsideItsPodAndPipebenchIsUnharmed() throws IOException {
        RunData d = run("libos-programs.json");
        assertThat(d.enclaves()).allSatisfy(e -> {
            assertThat(e.outcome()).as(e.detail()).isEqualTo("exited");
            assertThat(e.exitStatus()).as(e.detail()).isZero();
        });
        assertThat(d.enclaves().get(1).runs()).isEqualTo(3);
        assertThat(metric(d, "cgroup./pod-mem.epcEventsMax")).as("pod-mem hits its limit").isPositive();
        assertThat(metric(d, "enclave.mem.ewbPages")).isPositive();
        assertThat(metric(d, "enclave.pipe.ewbPages")).as("pipebench's EPC is never reclaimed").isZero();
        assertThat(metric(d, "enclave.pipe.syscalls")).isPositive();
        assertThat(EngineTest.series(d, "cgroup", "/pod-mem", "epc.current").values())
                .allMatch(v -> v.longValue() <= (24L << 20));
    }
}
