package io.jocclum.libos.os;

import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Signal;
import io.jocclum.api.Wait;
import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.process.GuestProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Programs started from the host next to each other in one booted enclave ({@code LibOs.spawnHost},
 * what {@code jocclum exec} uses): each has its own stdio and exit status, none is init, they share
 * the file systems, and a signal from the host ends one without touching the others.
 */
class HostProcessTest extends OsTestBase {

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void hostStartedProcessesShareTheEnclaveEachWithItsOwnStdioAndStatus(Matrix m) throws Exception {
        Booted b = os(m);
        b.program("child", (sys, argv, envp) -> {
            switch (argv[1]) {
                case "write" -> {
                    int fd = sys.open("/tmp/shared.txt", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
                    Libc.print(sys, fd, argv[2]);
                    sys.close(fd);
                    return 3;
                }
                case "read" -> {
                    int fd = sys.open("/tmp/shared.txt", OpenFlags.O_RDONLY, 0);
                    String text = Libc.readAll(sys, fd);
                    sys.close(fd);
                    Libc.print(sys, 1, "read " + text + " stdin " + Libc.readAll(sys, 0).strip() + " pid " + sys.getpid());
                    Libc.print(sys, 2, "on stderr");
                    return 0;
                }
                case "sleep" -> {
                    Libc.print(sys, 1, "sleeping");
                    for (;;) {
                        sys.nanosleep(1_000_000_000L);
                    }
                }
                default -> {
                    return 1;
                }
            }
        });
        ByteArrayOutputStream sleeperOut = new ByteArrayOutputStream();
        GuestProcess sleeper = b.os.spawnHost("/bin/child", List.of("sleep"), Map.of(), InputStream.nullInputStream(), sleeperOut,
                new ByteArrayOutputStream());

        ByteArrayOutputStream writerOut = new ByteArrayOutputStream();
        GuestProcess writer = b.os.spawnHost("/bin/child", List.of("write", "from the writer"), Map.of(), InputStream.nullInputStream(),
                writerOut, writerOut);
        assertThat(b.os.awaitExit(writer)).isEqualTo(Wait.exited(3));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        GuestProcess reader = b.os.spawnHost("/bin/child", List.of("read"), Map.of(),
                new ByteArrayInputStream("typed\n".getBytes(StandardCharsets.UTF_8)), out, err);
        assertThat(b.os.awaitExit(reader)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("read from the writer stdin typed pid " + reader.pid());
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("on stderr");
        assertThat(writerOut.size()).isZero();

        assertThat(sleeper.exited()).isFalse();
        assertThat(b.os.kernel().init()).isNull();
        b.os.signal(sleeper, Signal.SIGTERM);
        int st = b.os.awaitExit(sleeper);
        assertThat(Wait.shellStatus(st)).isEqualTo(128 + Signal.SIGTERM);
        b.os.signal(sleeper, Signal.SIGKILL); // after its exit: nothing
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aMissingProgramIsOneSentenceAndLeavesNothingRunning(Matrix m) {
        Booted b = os(m);
        assertThatThrownBy(() -> b.os.spawnHost("/bin/nope", List.of(), Map.of(), InputStream.nullInputStream(),
                new ByteArrayOutputStream(), new ByteArrayOutputStream()))
                .isInstanceOf(BootException.class).hasMessageContaining("there is no program /bin/nope");
        assertThat(b.os.kernel().processes()).isEmpty();
    }
}
