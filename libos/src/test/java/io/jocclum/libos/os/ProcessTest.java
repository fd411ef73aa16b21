package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Signal;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Wait;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Processes through the syscall interface: exit codes, wait status encoding, spawn, wait4, reparenting, kill. */
class ProcessTest extends OsTestBase {

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void exitStatusOfMainIsTheLow8BitsOfItsReturnValue(Matrix m) throws Exception {
        Booted os = os(m);
        assertThat(os.run((sys, argv, envp) -> 0).status()).isEqualTo(Wait.exited(0));
        Booted.Result r = os.run((sys, argv, envp) -> 300);
        assertThat(Wait.WIFEXITED(r.status())).isTrue();
        assertThat(Wait.WEXITSTATUS(r.status())).isEqualTo(300 & 0xff);
        assertThat(r.status()).isEqualTo(44 << 8);
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void exitGroupEndsEveryThreadAndExitOfTheLastThreadGivesItsCode(Matrix m) throws Exception {
        Booted os = os(m);
        Booted.Result r = os.run((sys, argv, envp) -> {
            sys.threadCreate(s -> {
                s.exitGroup(7);
                return 0;
            });
            int[] p = sys.pipe();
            long buf = Libc.alloc(sys, 16);
            sys.read(p[0], buf, 1); // blocks until the other thread's exit_group ends this one
            return 99;
        });
        assertThat(r.status()).isEqualTo(Wait.exited(7));
        // SYS_exit of the main thread: the process lives on until its last thread ends, whose code it exits with
        r = os.run((sys, argv, envp) -> {
            int mainTid = sys.gettid();
            sys.threadCreate(s -> {
                assertThat(s.threadJoin(mainTid)).as("main's exit value").isEqualTo(3);
                s.exit(12);
                return 0;
            });
            sys.exit(3);
            return 1;
        });
        assertThat(r.status()).as(r.err()).isEqualTo(Wait.exited(12));
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void pidsPpidsAndWaitStatusesOfChildren(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            int code = Integer.parseInt(argv[1]);
            if (code < 0) {
                sys.kill(sys.getpid(), -code);
            }
            Libc.puts(sys, "child " + sys.getpid() + " of " + sys.getppid());
            return code;
        });
        Booted.Result r = os.run((sys, argv, envp) -> {
            assertThat(sys.getpid()).isEqualTo(1);
            assertThat(sys.gettid()).isEqualTo(1);
            assertThat(sys.getppid()).isZero();
            int a = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", "5"}, null);
            int b = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", "-" + Signal.SIGTERM}, null);
            assertThat(a).isNotEqualTo(b).isGreaterThan(1);
            Wait.Result ra = sys.wait4(a, 0);
            assertThat(ra).isEqualTo(new Wait.Result(a, Wait.exited(5)));
            long st = Libc.alloc(sys, 4096);
            assertThat(sys.wait4(-1, st, 0)).isEqualTo(b);
            int status = sys.loadInt(st);
            assertThat(Wait.WIFSIGNALED(status)).isTrue();
            assertThat(Wait.WTERMSIG(status)).isEqualTo(Signal.SIGTERM);
            assertThat(Wait.WIFEXITED(status)).isFalse();
            assertThatThrownBy(() -> sys.wait4(-1, 0)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ECHILD));
            assertThatThrownBy(() -> sys.wait4(a, 0)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ECHILD));
            assertThatThrownBy(() -> sys.wait4(-1, 0x100)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            return 0;
        });
        r.assertOk();
        assertThat(r.out()).contains("child " + 2 + " of 1");
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void wnohangReturnsZeroUntilTheChildHasExited(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 16);
            return (int) sys.read(0, buf, 1); // waits for the parent's byte, then exits with the count
        });
        Booted.Result r = os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int c = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[0], 0)), new String[]{"child"}, null);
            assertThat(sys.wait4(c, Wait.WNOHANG)).isEqualTo(new Wait.Result(0, 0));
            long b = Libc.alloc(sys, 16);
            sys.storeByte(b, (byte) 'x');
            sys.write(p[1], b, 1);
            assertThat(sys.wait4(c, 0)).isEqualTo(new Wait.Result(c, Wait.exited(1)));
            return 0;
        });
        r.assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void orphansAreReparentedToInitWhichReapsThem(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            // the middle process: spawns a grandchild (which inherits its stdin) and exits without waiting
            sys.posixSpawn("/bin/child2", List.of(), new String[]{"child2"}, null);
            return 0;
        });
        os.program("child2", (sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 16);
            sys.read(0, buf, 1); // the byte init writes after the middle process has been reaped
            return sys.getppid();
        });
        Booted.Result r = os.run((sys, argv, envp) -> {
            int[] q = sys.pipe2(OpenFlags.O_CLOEXEC);
            int c = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(q[0], 0)), new String[]{"child"}, null);
            assertThat(sys.wait4(c, 0).status()).isEqualTo(Wait.exited(0));
            long buf = Libc.alloc(sys, 16);
            sys.write(q[1], buf, 1);
            Wait.Result g = sys.wait4(-1, 0); // reparented to init, which reaps it
            assertThat(g.pid()).isNotEqualTo(c);
            assertThat(Wait.WEXITSTATUS(g.status())).as("the grandchild's ppid after reparenting").isEqualTo(1);
            return 0;
        });
        r.assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void uncaughtExceptionAbortsTheProcessAndIsReportedOnStderr(Matrix m) throws Exception {
        Booted os = os(m);
        Booted.Result r = os.run((sys, argv, envp) -> {
            throw new IllegalStateException("guest bug");
        });
        assertThat(r.status()).isEqualTo(Wait.signaled(Signal.SIGABRT));
        assertThat(r.err()).contains("main[1]: uncaught java.lang.IllegalStateException: guest bug");
        r = os.run((sys, argv, envp) -> recurse(sys, 0));
        assertThat(r.status()).as("a stack overflow is SIGSEGV").isEqualTo(Wait.signaled(Signal.SIGSEGV));
    }

    private static int recurse(io.jocclum.api.Syscalls sys, int depth) {
        return recurse(sys, depth + 1) + 1;
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void spawnErrorsAreReturnedToTheParent(Matrix m) throws Exception {
        Booted os = os(m);
        Booted.Result r = os.run((sys, argv, envp) -> {
            assertErrno(() -> sys.posixSpawn("/bin/nope", List.of(), new String[]{"x"}, null), Errno.ENOENT);
            assertErrno(() -> sys.posixSpawn("/bin", List.of(), new String[]{"x"}, null), Errno.EACCES);
            assertErrno(() -> sys.posixSpawn("/bin/hello", List.of(SpawnAction.dup2(77, 1)), new String[]{"x"}, null), Errno.EBADF);
            assertErrno(() -> sys.posixSpawn("/bin/hello", List.of(SpawnAction.open(1, "/nope/x", OpenFlags.O_RDONLY, 0)),
                    new String[]{"x"}, null), Errno.ENOENT);
            assertErrno(() -> sys.wait4(-1, 0), Errno.ECHILD);
            return 0;
        });
        r.assertOk();
    }

    static void assertErrno(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, Errno e) {
        // name the caller's line: a guest's failed assertion reaches the test only as its message
        String at = StackWalker.getInstance().walk(f -> f.skip(1).findFirst().map(Object::toString).orElse("?"));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(c)).as("expected %s at %s", e, at)
                .isInstanceOfSatisfying(ErrnoException.class, x -> assertThat(x.errno()).as(at).isEqualTo(e));
    }
}
