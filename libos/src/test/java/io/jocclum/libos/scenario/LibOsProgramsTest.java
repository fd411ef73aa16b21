package io.jocclum.libos.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.events.Gate;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.testing.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** LibOS programs (built-ins and user jars) in a scenario's enclaves, under the deterministic scheduler. */
class LibOsProgramsTest {
    @TempDir
    Path tmp;

    static final String SMALL = ScenarioFileTest.SMALL;

    /** Two enclaves contending for a small EPC: memtest (one process) and pipebench (two processes, a pipe between them). */
    static final String CONTENDING = """
            { "host": { "epc": "24MB", "seed": 5 }, "sampleInterval": "5ms",
              "cgroups": { "/m": { "epcMax": "12MB" }, "/p": {} },
              "enclaves": [
                { "name": "mem", "cgroup": "/m", "edmm": true, "config": %s,
                  "programs": ["/bin/memtest --size 16MB --pattern random --rounds 2"] },
                { "name": "pipe", "cgroup": "/p", "edmm": true, "config": %s,
                  "programs": [{ "run": "/bin/pipebench", "args": ["--block", "16KB", "--total", "2MB"] }] } ] }
            """.formatted(SMALL, SMALL);

    @Test
    void memtestAndPipebenchRunToTheirEnd() {
        RunData d = Engine.run(EngineTest.scenario(CONTENDING, tmp), (t, s) -> { });
        for (RunData.EnclaveData e : d.enclaves()) {
            System.out.println(e.name() + ": " + e.outcome() + " " + e.exitStatus() + " " + e.detail() + " startup " + e.startup());
        }
        assertThat(d.enclaves()).allSatisfy(e -> {
            assertThat(e.outcome()).as(e.detail()).isEqualTo("exited");
            assertThat(e.exitStatus()).as(e.detail()).isZero();
        });
        assertThat(d.metrics().get("enclave.mem.ewbPages").value().longValue()).as("16MB in a 12MB limit").isPositive();
        assertThat(d.stopReason()).isEqualTo("all enclaves exited");
        // pipebench's writer blocks on the full pipe and its reader on the empty one: both were woken by the scheduler
        RunData.EnclaveData pipe = d.enclaves().get(1);
        assertThat(pipe.startup()).isPositive();
        assertThat(d.metrics().get("enclave.pipe.runS").value().signum()).isPositive();
        assertThat(d.metrics().get("enclave.mem.runS").value()).isGreaterThan(d.metrics().get("enclave.pipe.runS").value());
    }

    @Test
    void theSameSeedGivesIdenticalReportsWithLibOsPrograms() throws IOException {
        for (String run : new String[]{"a", "b"}) {
            ReportFiles.write(Engine.run(EngineTest.scenario(CONTENDING, tmp), (t, s) -> { }), tmp.resolve(run));
        }
        byte[] a = Files.readAllBytes(tmp.resolve("a/data.json"));
        assertThat(Files.readAllBytes(tmp.resolve("b/data.json"))).isEqualTo(a);
        assertThat(Files.readString(tmp.resolve("b/series/enclave-mem-epc.current.csv")))
                .isEqualTo(Files.readString(tmp.resolve("a/series/enclave-mem-epc.current.csv")));
        System.out.println("determinism with LibOS programs: data.json " + a.length + " bytes twice");
    }

    @Test
    void aFailingProgramEndsItsEnclaveWithItsStatusAndStderr() {
        RunData d = Engine.run(EngineTest.scenario("""
                { "enclaves": [ { "name": "bad", "config": %s, "programs": ["/bin/memtest --size lots", "/bin/hello"] },
                                { "name": "seg", "config": %s, "programs": ["/bin/memtest --size 1MB --prot none"] } ] }
                """.formatted(SMALL, SMALL), tmp), (t, s) -> { });
        RunData.EnclaveData bad = d.enclaves().get(0);
        assertThat(bad.outcome()).isEqualTo("exited");
        assertThat(bad.exitStatus()).isEqualTo(2);
        assertThat(bad.detail()).contains("/bin/memtest failed").contains("usage: memtest");
        RunData.EnclaveData seg = d.enclaves().get(1);
        assertThat(seg.outcome()).isEqualTo("killed");
        assertThat(seg.detail()).contains("/bin/memtest by SIGSEGV");
    }

    @Test
    void aKillEventEndsALibOsEnclaveAndItsThreads() {
        RunData d = Engine.run(EngineTest.scenario("""
                { "enclaves": [ { "name": "p", "config": %s,
                                  "programs": [{ "run": "/bin/pipebench", "args": ["--block", "4KB", "--total", "1GB"] }] } ],
                  "events": [ { "at": "30ms", "kill": "p" } ] }
                """.formatted(SMALL), tmp), (t, s) -> { });
        RunData.EnclaveData p = d.enclaves().getFirst();
        assertThat(p.outcome()).as(p.detail()).isEqualTo("killed");
        assertThat(d.duration()).isEqualTo(30_000_000L);
    }

    @Test
    void aPlainRunHasNoGateAndTheSameProgramsRunFreely() throws Exception {
        BuiltEnclave b = TestInstance.builder(tmp.resolve("plain")).edmm(true)
                .set("resource_limits.user_space_size", "16MB").set("resource_limits.user_space_max_size", "256MB").build();
        try (LibOs os = LibOs.boot(b, BootOptions.defaults())) {
            assertThat(os.kernel().gate()).as("jocclum run installs no scheduler gate").isNull();
            assertThat(os.kernel().clock()).isNotInstanceOf(Gate.class);
            assertThat(os.run("/bin/pipebench", List.of("--block", "16KB", "--total", "1MB"))).isZero();
        }
    }
}
