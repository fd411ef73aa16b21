package io.jocclum.libos.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine: determinism, events, outcomes, and what the samples say. */
class EngineTest {
    @TempDir
    Path tmp;

    static final String SMALL = ScenarioFileTest.SMALL;

    static Scenario scenario(String json, Path dir, ScenarioFile.Setting... sets) {
        return ScenarioFile.parse(json.getBytes(StandardCharsets.UTF_8), "t.json", dir, "t", List.of(sets));
    }

    static final String TWO = """
            { "host": { "epc": "128MB", "seed": 11 }, "sampleInterval": "50ms",
              "cgroups": { "/a": { "epcMax": "8MB" }, "/b": {} },
              "enclaves": [
                { "name": "x", "cgroup": "/a", "edmm": true, "config": %s,
                  "programs": ["kv --working-set 12MB --ops 3000 --pages-per-op 2 --compute 20us"] },
                { "name": "y", "cgroup": "/b", "edmm": false, "start": "100ms", "config": %s,
                  "programs": ["memtest --size 4MB --pattern random", "hello"], "repeat": 2 } ],
              "events": [ { "at": "150ms", "limit": "/a", "epcMax": "10MB" }, { "at": "10ms", "note": "go" } ] }
            """.formatted(SMALL, SMALL);

    private static Map<String, String> files(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString(), Files.readString(p));
            }
        }
        return m;
    }

    @Test
    void theSameSeedGivesIdenticalFilesAndAnotherSeedDiffers() throws IOException {
        RunData a = Engine.run(scenario(TWO, tmp), (t, s) -> { });
        RunData b = Engine.run(scenario(TWO, tmp), (t, s) -> { });
        RunData c = Engine.run(scenario(TWO, tmp).withSeed(12), (t, s) -> { });
        ReportFiles.write(a, tmp.resolve("a"));
        ReportFiles.write(b, tmp.resolve("b"));
        ReportFiles.write(c, tmp.resolve("c"));
        Map<String, String> fa = files(tmp.resolve("a"));
        assertThat(fa).containsKeys("data.json", "events.csv", "enclaves.csv", "series/cgroup-a-epc.current.csv",
                "series/enclave-x-latency.csv", "series/host-host-ewb.rate.csv");
        assertThat(files(tmp.resolve("b"))).isEqualTo(fa);
        assertThat(Files.readString(tmp.resolve("c/data.json"))).isNotEqualTo(fa.get("data.json"));
        System.out.println("determinism: seeds 11 (twice) and 12; data.json " + fa.get("data.json").length() + " chars");
    }

    @Test
    void outcomesEventsAndSeries() {
        RunData d = Engine.run(scenario(TWO, tmp), (t, s) -> { });
        assertThat(d.stopReason()).isEqualTo("all enclaves exited");
        RunData.EnclaveData x = d.enclaves().get(0);
        RunData.EnclaveData y = d.enclaves().get(1);
        assertThat(x.outcome()).as(x.detail()).isEqualTo("exited");
        assertThat(x.exitStatus()).isZero();
        assertThat(x.operations()).isEqualTo(3000);
        assertThat(x.latencyP99()).isGreaterThanOrEqualTo(x.latencyP50()).isGreaterThan(20_000L);
        assertThat(y.runs()).isEqualTo(2);
        assertThat(y.operations()).isEqualTo(2 * (1024 / Workloads.CHUNK_PAGES + 1));
        assertThat(y.startup()).as("non-EDMM loads everything: slower than EDMM").isGreaterThan(x.startup());
        // x's 12MB working set does not fit its 8MB then 10MB limit: reclaim inside /a only
        assertThat(d.metrics().get("enclave.x.ewbPages").value().longValue()).isPositive();
        assertThat(d.metrics().get("enclave.y.ewbPages").value().longValue()).isZero();
        assertThat(d.metrics().get("cgroup./a.epcEventsMax").value().longValue()).isPositive();
        assertThat(d.cgroups().getFirst().limits()).extracting(RunData.Limit::epcMax).containsExactly(8L << 20, 10L << 20);
        assertThat(d.events()).extracting(RunData.Event::kind).containsSubsequence("start", "note", "started", "start", "limit",
                "exit", "stop");
        assertThat(d.events()).isSortedAccordingTo(java.util.Comparator.comparingLong(RunData.Event::at));
        // every series has a value per sample; /a's EPC never exceeds its limit by more than the SECS and VA pages
        for (RunData.Series s : d.series()) {
            assertThat(s.values()).hasSize(d.sampleTimes().length);
        }
        RunData.Series cur = series(d, "cgroup", "/a", "epc.current");
        assertThat(cur.values()).allMatch(v -> v.longValue() <= (10L << 20));
        assertThat(series(d, "enclave", "x", "progress").values().getLast().longValue()).isEqualTo(3000);
    }

    static RunData.Series series(RunData d, String scope, String id, String metric) {
        return d.series().stream().filter(s -> s.scope().equals(scope) && s.id().equals(id) && s.metric().equals(metric))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + scope + " " + id + " " + metric));
    }

    @Test
    void killStartAndMoveEvents() {
        RunData d = Engine.run(scenario("""
                { "cgroups": { "/a": {}, "/b": {} }, "stop": { "after": "2s" },
                  "enclaves": [
                    { "name": "k", "cgroup": "/a", "edmm": true, "config": %s, "programs": ["sleep --for 10s"] },
                    { "name": "late", "cgroup": "/a", "edmm": true, "start": "event", "config": %s, "programs": ["kv --ops 50"] },
                    { "name": "never", "edmm": true, "start": "5s", "config": %s, "programs": ["hello"] } ],
                  "events": [ { "at": "500ms", "kill": "k" }, { "at": "600ms", "start": "late" },
                              { "at": "700ms", "move": "late", "to": "/b" } ] }
                """.formatted(SMALL, SMALL, SMALL), tmp), (t, s) -> { });
        assertThat(d.enclaves().get(0).outcome()).isEqualTo("killed");
        assertThat(d.enclaves().get(0).detail()).contains("0.500 s");
        assertThat(d.enclaves().get(1).outcome()).isEqualTo("exited");
        assertThat(d.enclaves().get(1).start()).isEqualTo(600_000_000L);
        assertThat(d.enclaves().get(2).outcome()).isEqualTo("failed-to-start");
        assertThat(d.stopReason()).isEqualTo("time limit reached");
        assertThat(d.duration()).isEqualTo(2_000_000_000L);
        assertThat(d.events()).anyMatch(e -> e.kind().equals("move") && e.detail().equals("/a -> /b"));
        assertThat(series(d, "cgroup", "/a", "epc.current").values().getLast().longValue()).isZero();
    }

    @Test
    void anEnclaveWhoseEvictedPagesExceedMemoryMaxIsOomKilled() {
        RunData d = Engine.run(scenario("""
                { "cgroups": { "/tight": { "epcMax": "4MB", "memoryMax": "512KB" } }, "stop": { "after": "5s" },
                  "enclaves": [ { "name": "big", "cgroup": "/tight", "edmm": true, "config": %s,
                                  "programs": ["memtest --size 16MB"] } ] }
                """.formatted(SMALL), tmp), (t, s) -> { });
        RunData.EnclaveData e = d.enclaves().getFirst();
        assertThat(e.outcome()).as(e.detail()).isEqualTo("oom-killed");
        assertThat(d.metrics().get("cgroup./tight.oomKills").value().longValue()).isEqualTo(1);
        assertThat(d.events()).anyMatch(x -> x.kind().equals("oom-kill"));
    }
}
