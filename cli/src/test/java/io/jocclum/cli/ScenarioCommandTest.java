package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** jocclum scenario run, sweep (with --plan) and merge. */
class ScenarioCommandTest {
    @TempDir
    Path tmp;

    static final String SCENARIO = """
            // a tiny scenario
            { "name": "tiny", "host": { "epc": "64MB", "seed": 4 },
              "cgroups": { "/a": { "epcMax": "16MB" } },
              "enclaves": [ { "name": "e", "cgroup": "/a", "edmm": true,
                "config": { "resource_limits": { "kernel_space_heap_size": "1MB", "kernel_space_heap_max_size": "8MB",
                  "user_space_size": "1MB", "user_space_max_size": "64MB", "init_num_of_threads": 2, "max_num_of_threads": 8 },
                  "process": { "default_stack_size": "256KB", "default_heap_size": "1MB", "default_mmap_size": "16MB" } },
                "programs": [ "kv --working-set 12MB --ops 400 --compute 10us" ] } ] }
            """;

    private Path file() throws IOException {
        Path f = tmp.resolve("tiny.json");
        Files.writeString(f, SCENARIO);
        return f;
    }

    @Test
    void runWritesTheReportAndPrintsASummary() throws IOException {
        file();
        Run.Result r = Run.jocclum(tmp, "scenario", "run", "tiny.json", "--report", "out", "--seed", "5");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Scenario tiny (seed 5)").contains("stopped: all enclaves exited")
                .containsPattern("e +/a +yes .* exited +1 +400 ").contains("Report: out/index.html");
        assertThat(Run.files(tmp.resolve("out"))).containsKeys("data.json", "index.html", "events.csv", "enclaves.csv",
                "series/cgroup-a-epc.current.csv");
        assertThat(Files.readString(tmp.resolve("out/data.json"))).contains("\"schema\" : \"jocclum-scenario/1\"")
                .contains("\"seed\" : 5");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary directory is left")
                    .noneMatch(n -> n.startsWith(".out"));
        }
    }

    @Test
    void usageErrorsAreOneSentenceWithExit2() throws IOException {
        file();
        Run.Result none = Run.jocclum(tmp, "scenario");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).startsWith("jocclum: no scenario command given");
        Run.Result missing = Run.jocclum(tmp, "scenario", "run", "nope.json");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("jocclum: there is no scenario file nope.json.\n");
        Run.Result set = Run.jocclum(tmp, "scenario", "run", "tiny.json", "--set", "novalue");
        assertThat(set.exit()).isEqualTo(2);
        assertThat(set.err()).contains("--set 'novalue' is not PATH=VALUE");
        Run.Result vary = Run.jocclum(tmp, "scenario", "sweep", "tiny.json", "--vary", "host.seed=", "--report", "s");
        assertThat(vary.exit()).isEqualTo(2);
        assertThat(vary.err()).contains("--vary 'host.seed=' is not PATH=V1,V2");
        Run.Result merge = Run.jocclum(tmp, "scenario", "merge", "a", "b");
        assertThat(merge.exit()).isEqualTo(2);
        assertThat(merge.err()).contains("needs --report OUT");
    }

    @Test
    void validationErrorsListEveryProblemAndLeaveTheReportIntact() throws IOException {
        file();
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("data.json"), "earlier");
        Run.Result r = Run.jocclum(tmp, "scenario", "run", "tiny.json", "--report", "out", "--set", "enclaves.e.cgroup=/x",
                "--set", "host.sgx=5");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("tiny.json has 2 problems:")
                .contains("enclaves[0].cgroup: \"/x\" is not a cgroup of this scenario; defined: /a.")
                .contains("host.sgx: 5 is out of range; expected 1 to 2.");
        assertThat(Files.readString(out.resolve("data.json"))).isEqualTo("earlier");
        // an instance that was never built properly is refused before anything is written, too
        Path inst = tmp.resolve("inst/build");
        Files.createDirectories(inst);
        Files.writeString(inst.resolve("enclave.sigstruct"), "not a sigstruct");
        Files.writeString(tmp.resolve("bad.json"), "{ \"enclaves\": [ { \"name\": \"i\", \"instance\": \"inst\","
                + " \"programs\": [\"hello\"] } ] }");
        Run.Result bad = Run.jocclum(tmp, "scenario", "run", "bad.json", "--report", "out");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).startsWith("jocclum: ").doesNotContain("internal error");
        assertThat(Files.readString(out.resolve("data.json"))).isEqualTo("earlier");
    }

    @Test
    void planCommandsRunOneByOneAndMergedGiveTheSweepsSweepJson() throws IOException {
        file();
        String[] vary = {"--vary", "cgroups./a.epcMax=8MB,32MB", "--vary", "host.seed=1,2"};
        List<String> sweepArgs = new ArrayList<>(List.of("scenario", "sweep", "tiny.json", "--report", "sweep", "--jobs", "2"));
        sweepArgs.addAll(List.of(vary));
        Run.Result s = Run.jocclum(tmp, sweepArgs.toArray(String[]::new));
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(Run.files(tmp.resolve("sweep"))).containsKeys("sweep.json", "index.html", "point-000/data.json",
                "point-003/index.html");

        List<String> planArgs = new ArrayList<>(List.of("scenario", "sweep", "tiny.json", "--report", "planned", "--plan"));
        planArgs.addAll(List.of(vary));
        Run.Result plan = Run.jocclum(tmp, planArgs.toArray(String[]::new));
        assertThat(plan.exit()).as(plan.err()).isZero();
        List<String> commands = plan.out().lines().toList();
        assertThat(commands).hasSize(4).first().isEqualTo(
                "jocclum scenario run tiny.json --set cgroups./a.epcMax=8MB --set host.seed=1 --report planned/point-000");
        for (String c : commands) {
            String[] words = c.split(" ");
            assertThat(words[0]).isEqualTo("jocclum");
            Run.Result p = Run.jocclum(tmp, java.util.Arrays.copyOfRange(words, 1, words.length));
            assertThat(p.exit()).as(p.err()).isZero();
        }
        Run.Result m = Run.jocclum(tmp, "scenario", "merge", "planned");
        assertThat(m.exit()).as(m.err()).isZero();
        String sweep = Files.readString(tmp.resolve("sweep/sweep.json"));
        assertThat(Files.readString(tmp.resolve("planned/sweep.json"))).isEqualTo(sweep);
        assertThat(sweep).contains("\"schema\" : \"jocclum-sweep/1\"").contains("\"dir\" : \"point-003\"")
                .contains("\"values\" : [ \"8MB\", \"32MB\" ]");
        for (int i = 0; i < 4; i++) {
            String p = "point-00" + i + "/data.json";
            assertThat(Files.readString(tmp.resolve("planned").resolve(p))).isEqualTo(Files.readString(tmp.resolve("sweep").resolve(p)));
        }
    }
}
