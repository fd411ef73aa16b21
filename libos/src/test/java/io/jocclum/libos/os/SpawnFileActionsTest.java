package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/** posix_spawn file actions at guest level: a child's stdio from pipes and files, FD_CLOEXEC, and the errnos glibc reports. */
class SpawnFileActionsTest extends OsTestBase {

    /** The child: reports which of the descriptors named in argv are open, copies stdin to stdout, exits 0. */
    private static void catWithReport(Booted os) {
        os.program("child", (sys, argv, envp) -> {
            StringBuilder sb = new StringBuilder("open:");
            for (int i = 1; i < argv.length; i++) {
                int fd = Integer.parseInt(argv[i]);
                try {
                    sys.fcntl(fd, Fcntl.F_GETFD, 0);
                    sb.append(' ').append(fd);
                } catch (io.jocclum.api.ErrnoException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EBADF);
                }
            }
            Libc.println(sys, 1, sb.toString());
            Libc.print(sys, 1, Libc.readAll(sys, 0));
            return 0;
        });
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aPipeAsTheChildsStdoutAndAFileAsItsStdin(Matrix m) throws Exception {
        Booted os = os(m);
        catWithReport(os);
        os.run((sys, argv, envp) -> {
            int f = sys.open("/tmp/spawn-in", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
            write(sys, f, "lines from a file\n".getBytes());
            sys.close(f);
            int[] out = sys.pipe2(OpenFlags.O_CLOEXEC);
            int[] keep = sys.pipe(); // not close-on-exec: inherited unless an action closes it
            int child = sys.posixSpawn("/bin/child", List.of(
                            SpawnAction.dup2(out[1], 1),
                            SpawnAction.close(keep[1]),
                            SpawnAction.close(900), // not open: ignored, as glibc does
                            SpawnAction.open(0, "/tmp/spawn-in", OpenFlags.O_RDONLY, 0)),
                    new String[]{"child", "0", "1", "2", String.valueOf(out[0]), String.valueOf(out[1]), String.valueOf(keep[0]),
                            String.valueOf(keep[1])}, null);
            sys.close(out[1]);
            String got = Libc.readAll(sys, out[0]);
            assertThat(got).isEqualTo("open: 0 1 2 " + keep[0] + "\nlines from a file\n");
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            // the parent's descriptors are untouched by the child's actions
            assertThat(sys.fcntl(keep[1], Fcntl.F_GETFD, 0)).isZero();
            return 0;
        }).assertOk();
    }

    @Test
    void actionsRunInOrderAndDup2OntoItselfClearsCloseOnExec() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        catWithReport(os);
        os.run((sys, argv, envp) -> {
            int[] in = sys.pipe2(OpenFlags.O_CLOEXEC);
            int[] cl = sys.pipe2(OpenFlags.O_CLOEXEC);
            // close 1, then open a file: it lands on the lowest free descriptor, then is moved to 1
            int child = sys.posixSpawn("/bin/child", List.of(
                            SpawnAction.close(1),
                            SpawnAction.open(1, "/tmp/spawn-out", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600),
                            SpawnAction.dup2(in[0], 0),
                            SpawnAction.dup2(cl[0], cl[0])),
                    new String[]{"child", String.valueOf(in[0]), String.valueOf(in[1]), String.valueOf(cl[0]), String.valueOf(cl[1])}, null);
            write(sys, in[1], "via stdin".getBytes());
            sys.close(in[1]);
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            int f = sys.open("/tmp/spawn-out", OpenFlags.O_RDONLY, 0);
            assertThat(Libc.readAll(sys, f)).isEqualTo("open: " + cl[0] + "\nvia stdin");
            sys.close(f);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void badActionsAreReportedByPosixSpawnAndNoChildIsLeft(Matrix m) throws Exception {
        Booted os = os(m);
        catWithReport(os);
        os.run((sys, argv, envp) -> {
            String[] args = {"child"};
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(77, 1)), args, null)))
                    .as("dup2 of a descriptor that is not open").isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(-1, 1)), args, null))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(0, 1024)), args, null)))
                    .as("target at RLIMIT_NOFILE").isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.close(4096)), args, null))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.open(3, "/tmp/no/such", OpenFlags.O_RDONLY, 0)),
                    args, null))).isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.open(3, "/tmp", OpenFlags.O_WRONLY, 0)),
                    args, null))).isEqualTo(Errno.EISDIR);
            // a later action fails after earlier ones succeeded: nothing leaks into the parent
            int[] p = sys.pipe();
            assertThat(errno(() -> sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[1], 1), SpawnAction.dup2(p[0], 3000)),
                    args, null))).isEqualTo(Errno.EBADF);
            // the actions run in the child before its program is looked up (glibc's child applies them, then execs)
            assertThat(errno(() -> sys.posixSpawn("/bin/no-such-program", List.of(SpawnAction.dup2(77, 1)), args, null)))
                    .isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.posixSpawn("/bin/no-such-program", List.of(), args, null))).isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> sys.wait4(-1, Wait.WNOHANG))).as("no child was created").isEqualTo(Errno.ECHILD);
            sys.close(p[1]);
            assertThat(errno(() -> GuestOps.read(sys, -5, 1))).isEqualTo(Errno.EBADF);
            // the pipe's write end was only in the failed child's table: its read end sees EOF now
            assertThat(GuestOps.read(sys, p[0], 10)).isEmpty();
            return 0;
        }).assertOk();
    }
}
