package io.jocclum.libos.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The trace program replays a recorded strace's memory calls in the enclave. */
class TraceProgramTest {
    @TempDir
    Path tmp;

    private static final String TRACE = """
            100  10:00:00.000001 brk(NULL)         = 0x55f9f87c1000 <0.000040>
            100  10:00:00.000002 mmap(NULL, 8388608, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f8a70000000 <0.000057>
            100  10:00:00.000003 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3 <0.000118>
            100  10:00:00.000004 mmap(NULL, 34547, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f8a7150f000 <0.000033>
            100  10:00:00.000005 brk(0x55f9f8bc1000) = 0x55f9f8bc1000 <0.000010>
            100  10:00:00.000006 munmap(0x7f8a70000000, 4194304) = 0 <0.000020>
            100  10:00:00.000007 mremap(0x7f8a70400000, 4194304, 6291456, MREMAP_MAYMOVE) = 0x7f8a60000000 <0.000020>
            100  10:00:00.000008 exit_group(0)     = ?
            100  10:00:00.000009 +++ exited with 0 +++
            """;

    @Test
    void replaysTheMemoryCallsAndCommitsWhatTheyTouch() throws IOException {
        Files.writeString(tmp.resolve("app.trace"), TRACE);
        RunData d = Engine.run(EngineTest.scenario("""
                { "enclaves": [ { "name": "t", "edmm": true, "config": %s, "programs": ["trace --file app.trace"] } ] }
                """.formatted(EngineTest.SMALL), tmp), (t, s) -> { });
        RunData.EnclaveData e = d.enclaves().getFirst();
        assertThat(e.outcome()).as(e.detail()).isEqualTo("exited");
        assertThat(e.exitStatus()).isZero();
        assertThat(e.operations()).as("brk, mmap, mmap, brk, munmap, mremap").isEqualTo(6);
        assertThat(EngineTest.series(d, "enclave", "t", "eaug.rate").values()).anyMatch(v -> v.signum() > 0);
        // 8MB written by the first mmap, 4MB by brk and 2MB by the mremap's growth: the peak holds at least 10MB
        assertThat(d.metrics().get("enclave.t.epcPeakBytes").value().longValue()).isGreaterThanOrEqualTo(10L << 20);
    }

    @Test
    void aCallThatFailsInTheEnclaveEndsTheProgramWithStatus1() throws IOException {
        Files.writeString(tmp.resolve("big.trace"), """
                100  10:00:00.000002 mmap(NULL, 1099511627776, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
                """);
        RunData d = Engine.run(EngineTest.scenario("""
                { "enclaves": [ { "name": "t", "edmm": true, "config": %s, "programs": ["trace --file big.trace"] } ] }
                """.formatted(EngineTest.SMALL), tmp), (t, s) -> { });
        RunData.EnclaveData e = d.enclaves().getFirst();
        assertThat(e.outcome()).isEqualTo("exited");
        assertThat(e.exitStatus()).isEqualTo(1);
        assertThat(e.detail()).contains("trace line 1: mmap succeeded in the trace but failed in the enclave with ENOMEM");
    }
}
