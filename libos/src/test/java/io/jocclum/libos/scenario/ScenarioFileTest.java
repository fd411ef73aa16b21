package io.jocclum.libos.scenario;

import io.jocclum.libos.config.ConfigException;
import io.jocclum.libos.config.ConfigProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scenario files: what is accepted, and every kind of problem reported with its JSON path, all at once. */
class ScenarioFileTest {
    @TempDir
    Path tmp;

    static final String SMALL = "{\"resource_limits\": {\"kernel_space_heap_size\": \"1MB\", \"kernel_space_heap_max_size\": \"8MB\","
            + " \"user_space_size\": \"1MB\", \"user_space_max_size\": \"64MB\", \"init_num_of_threads\": 2,"
            + " \"max_num_of_threads\": 8}, \"process\": {\"default_stack_size\": \"256KB\", \"default_heap_size\": \"1MB\","
            + " \"default_mmap_size\": \"16MB\"}}";

    private Scenario parse(String json, ScenarioFile.Setting... sets) {
        return ScenarioFile.parse(json.getBytes(StandardCharsets.UTF_8), "s.json", tmp, "s", List.of(sets));
    }

    private List<String> problems(String json, ScenarioFile.Setting... sets) {
        try {
            parse(json, sets);
        } catch (ConfigException e) {
            return e.errors().stream().map(ConfigProblem::toString).toList();
        }
        throw new AssertionError("no problem reported for " + json);
    }

    @Test
    void aValidFileWithCommentsAndTrailingCommas() {
        Scenario s = parse("""
                // two pods
                { "name": "t", "host": { "epc": "64MB", "seed": 5, },
                  "cgroups": { "/a": { "epcMax": "16MB" }, "/a/x": {}, "/b": { "memoryMax": "1GB" } },
                  "enclaves": [ { "name": "e", "cgroup": "/a/x", "edmm": true, "config": %s, "programs": ["kv --ops 5"] },
                                { "name": "f", "start": "event", "config": %s, "replicas": 2,
                                  "programs": [ { "run": "memtest", "args": ["--size", "1MB"] } ] } ],
                  "events": [ { "at": "2s", "start": "f-1" }, { "at": "1s", "limit": "/a", "epcMax": "max" },
                              { "at": "3s", "start": "f-2" } ],
                  "stop": { "after": "5s" },
                }""".formatted(SMALL, SMALL));
        assertThat(s.name()).isEqualTo("t");
        assertThat(s.host().epcBytes()).isEqualTo(64L << 20);
        assertThat(s.host().seed()).isEqualTo(5);
        assertThat(s.cgroups()).extracting(Scenario.CgroupSpec::path).containsExactly("/a", "/a/x", "/b");
        assertThat(s.cgroups().get(1).parent()).isEqualTo("/a");
        assertThat(s.enclaves()).extracting(Scenario.EnclaveSpec::name).containsExactly("e", "f-1", "f-2");
        assertThat(s.events()).extracting(Scenario.EventSpec::at).containsExactly(1_000_000_000L, 2_000_000_000L, 3_000_000_000L);
        assertThat(s.events().getFirst().epcMax()).isEqualTo(-1L);
        assertThat(s.stop().time()).isEqualTo(5_000_000_000L);
    }

    @Test
    void theExampleMessageOfAnUnknownCgroup() {
        assertThat(problems("""
                { "cgroups": { "/pod-a": {}, "/pod-b": {} },
                  "enclaves": [ { "name": "a", "cgroup": "/pod-a", "config": %s, "programs": ["hello"] },
                                { "name": "c", "cgroup": "/pod-c", "config": %s, "programs": ["hello"] } ] }
                """.formatted(SMALL, SMALL)))
                .containsExactly("enclaves[1].cgroup: \"/pod-c\" is not a cgroup of this scenario; defined: /pod-a, /pod-b.");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsPath() {
        List<String> p = problems("""
                { "nmae": "x",
                  "host": { "epc": "lots", "sgx": 3, "costModel": { "costs": { "EWX": 1 } } },
                  "sampleInterval": "soon",
                  "cgroups": { "pod": {}, "/a/b": {}, "/c": { "epcMax": "12XB" } },
                  "enclaves": [
                    { "name": "e", "config": %s, "programs": ["kv --ops zero", "/bin/app.jar", "memtest --bogus 1"] },
                    { "name": "e", "config": %s, "programs": [] },
                    { "name": "g", "config": { "resource_limits": { "user_space_size": "ten" } }, "programs": ["hello"] },
                    { "config": %s, "programs": ["trace"] },
                    { "name": "h", "start": "event", "config": %s, "programs": ["hello"] },
                    { "name": "i", "config": %s, "instance": "x", "programs": ["hello"] }
                  ],
                  "events": [ { "at": "1s", "kill": "nobody" }, { "at": "1s" }, { "at": "2s", "start": "e" },
                              { "at": "-1s", "note": "n" }, { "at": "1s", "move": "e", "to": "/nowhere" } ],
                  "stop": { "after": 0, "whenAllExited": "yes" } }
                """.formatted(SMALL, SMALL, SMALL, SMALL, SMALL));
        assertThat(p).contains(
                "nmae: is not a key here; the keys are name, description, host, sampleInterval, cgroups, enclaves, events, stop.",
                "host.sgx: 3 is out of range; expected 1 to 2.",
                "sampleInterval: \"soon\" is not a duration; write a duration such as \"250ms\", \"1.5s\", \"2min\", \"20us\" or a"
                        + " number of seconds.",
                "cgroups.pod: \"pod\" is not a cgroup path; write /NAME or /PARENT/NAME with letters, digits, - and _.",
                "cgroups./a/b: its parent /a is not a cgroup of this scenario; add it to cgroups.",
                "enclaves[0].programs[0]: kv option --ops \"zero\" is not a whole number.",
                "enclaves[1].name: \"e\" is the name of an earlier enclave; names are unique.",
                "enclaves[1].programs: is empty; give at least one program.",
                "enclaves[3].name: is missing; every enclave has a unique name.",
                "enclaves[3].programs[0]: trace needs --file FILE (a strace -f -tt output).",
                "enclaves[5]: has both config and instance; give one.",
                "events[0].kill: \"nobody\" is not an enclave of this scenario; the enclaves are e, g, h.",
                "events[1]: does nothing; give one of limit, kill, start, move, note.",
                "events[2].start: e starts by itself at 0.000 s; give it \"start\": \"event\" to start it with an event.",
                "events[4].to: \"/nowhere\" is not a cgroup of this scenario; defined: /c.",
                "enclaves.h.start: is \"event\" but no event starts h; add {\"at\": \"...\", \"start\": \"h\"} to events.",
                "stop.after: must be longer than 0.",
                "stop.whenAllExited: \"yes\" is a string; expected true or false.");
        assertThat(p).anyMatch(s -> s.startsWith("host.epc: \"lots\" is not a size"));
        assertThat(p).anyMatch(s -> s.startsWith("host.costModel.costs.EWX: is not a cost event; the events are ECREATE"));
        assertThat(p).anyMatch(s -> s.startsWith("cgroups./c.epcMax: \"12XB\""));
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[0].programs[1]: \"/bin/app.jar\" is not a LibOS built-in (/bin/hello,")
                && s.contains("{\"jar\": \"path/to/program.jar\"}"));
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[0].programs[2]: memtest has no option \"--bogus\""));
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[2].config.resource_limits.user_space_size:"));
        assertThat(p).anyMatch(s -> s.startsWith("events[3].at: \"-1s\""));
    }

    @Test
    void libosProgramsAndJarsAreCheckedWithTheirPaths() throws java.io.IOException {
        java.nio.file.Files.write(tmp.resolve("app.jar"), new byte[]{1});
        List<String> p = problems("""
                { "enclaves": [
                    { "name": "a", "config": %s, "programs": ["wc.jar x", { "run": "/bin/hello", "jar": "app.jar" },
                                                              { "jar": "missing.jar" }, { "jar": "notes.txt" }, "/bin/epollecho"] },
                    { "name": "b", "config": %s, "programs": ["hello", "/bin/memtest --size 1MB", { "jar": "app.jar" }] },
                    { "name": "c", "config": %s, "programs": [{ "args": ["1"] }] } ] }
                """.formatted(SMALL, SMALL, SMALL));
        assertThat(p).contains(
                "enclaves[0].programs[0]: \"wc.jar\" looks like a jar on the host; write {\"jar\": \"wc.jar\", \"args\": [...]}"
                        + " (a path relative to the scenario file), or the jar's absolute path in the enclave's image.",
                "enclaves[0].programs[1]: has both run and jar; give one.",
                "enclaves[1].programs: mixes workload models (hello) and LibOS programs (/bin/memtest, /bin/app.jar); an enclave"
                        + " runs one kind, so give each kind an enclave of its own.");
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[0].programs[2].jar: \"missing.jar\" is not a readable file"));
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[0].programs[3].jar: \"notes.txt\" is not a .jar file"));
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[0].programs[4]: /bin/epollecho cannot run in a scenario: it serves"
                + " host TCP connections"));
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[2].programs[0].run: is missing; name the program"));
        assertThat(p).hasSize(7);
        Scenario ok = parse("""
                { "enclaves": [ { "name": "a", "config": %s,
                                  "programs": ["/bin/memtest --size 1MB", { "jar": "app.jar", "args": ["-v"] }] } ] }
                """.formatted(SMALL));
        var progs = ok.enclaves().getFirst().programs();
        assertThat(progs).allMatch(Scenario.ProgramSpec::libos);
        assertThat(progs.get(0).program()).isEqualTo("/bin/memtest");
        assertThat(progs.get(1).program()).isEqualTo("/bin/app.jar");
        assertThat(progs.get(1).jar()).isEqualTo(tmp.resolve("app.jar"));
        assertThat(progs.get(1).commandLine()).isEqualTo("/bin/app.jar -v");
    }

    @Test
    void edmmNeedsAnSgx2HostAndAnInstanceMustBeBuilt() {
        List<String> p = problems("""
                { "host": { "sgx": 1 },
                  "enclaves": [ { "name": "a", "edmm": true, "config": %s, "programs": ["hello"] },
                                { "name": "b", "instance": "nothing-here", "programs": ["hello"] } ] }
                """.formatted(SMALL));
        assertThat(p).contains("enclaves[0].edmm: true needs an SGX2 host, but host.sgx is 1.");
        assertThat(p).anyMatch(s -> s.startsWith("enclaves[1].instance: ") && s.contains("is not a built instance"));
    }

    @Test
    void notJsonAndNotAnObject() {
        assertThatThrownBy(() -> parse("{ \"enclaves\": [ }")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("s.json is not valid JSON at line 1");
        assertThatThrownBy(() -> parse("[1]")).isInstanceOf(ConfigException.class)
                .hasMessage("s.json must hold one JSON object such as {\"host\": {...}, \"enclaves\": [...]}.");
    }

    @Test
    void settingsOverrideTheFileByPathIndexOrName() {
        String json = """
                { "cgroups": { "/a": { "epcMax": "16MB" } },
                  "enclaves": [ { "name": "e1", "cgroup": "/a", "config": %s, "programs": ["hello"] },
                                { "name": "e2", "config": %s, "programs": ["hello"] } ] }
                """.formatted(SMALL, SMALL);
        Scenario s = parse(json, new ScenarioFile.Setting("cgroups./a.epcMax", "32MB"),
                new ScenarioFile.Setting("enclaves.e2.edmm", "true"), new ScenarioFile.Setting("enclaves[0].repeat", "3"),
                new ScenarioFile.Setting("host.seed", "9"));
        assertThat(s.cgroups().getFirst().epcMax().getAsLong()).isEqualTo(32L << 20);
        assertThat(s.enclaves().get(1).edmm()).isTrue();
        assertThat(s.enclaves().get(0).repeat()).isEqualTo(3);
        assertThat(s.host().seed()).isEqualTo(9);
        assertThat(s.params()).containsEntry("cgroups./a.epcMax", "32MB").containsEntry("host.seed", "9");
        assertThat(problems(json, new ScenarioFile.Setting("enclaves.e3.edmm", "true"))).containsExactly(
                "--set enclaves.e3.edmm: there is no element \"e3\" in enclaves; write an index [0] to [1] or a name: e1, e2.");
        assertThat(problems(json, new ScenarioFile.Setting("cgroups./a.epcMax", "lots"))).hasSize(1)
                .allMatch(m -> m.startsWith("cgroups./a.epcMax: \"lots\" is not a size"));
    }

    @Test
    void durations() {
        assertThat(Durations.parse("250ms")).isEqualTo(250_000_000L);
        assertThat(Durations.parse("1.5s")).isEqualTo(1_500_000_000L);
        assertThat(Durations.parse("2min")).isEqualTo(120_000_000_000L);
        assertThat(Durations.parse("20us")).isEqualTo(20_000L);
        assertThat(Durations.parse("3")).isEqualTo(3_000_000_000L);
        assertThatThrownBy(() -> Durations.parse("1h")).hasMessageStartingWith("is not a duration");
    }
}
