package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import io.jocclum.libos.process.GuestThread;
import io.jocclum.libos.process.GuestProcess;
import io.jocclum.libos.support.Quiesce;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signals through the syscall interface: kill with SIGTERM and SIGKILL of busy and blocked
 * processes, Java handlers at syscall boundaries, SA_RESTART against EINTR (signal(7)), masks,
 * epoll_pwait's temporary mask, SIGPIPE's default action.
 */
class SignalTest extends OsTestBase {

    /** Waits (host side, no sleeping) until thread {@code tid} of process {@code pid} is parked in a blocking call. */
    static void awaitParked(Booted os, int pid, int tid) {
        Quiesce.until(() -> {
            GuestProcess p = os.os.kernel().process(pid);
            if (p == null) {
                return false;
            }
            for (GuestThread t : p.threads()) {
                if (t.tid() == tid) {
                    return t.waiter().isParked();
                }
            }
            return false;
        }, "thread " + tid + " of " + pid + " parked");
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void sigtermAndSigkillStopProcessesAtTheirNextSyscallAccessOrWait(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            switch (argv[1]) {
                case "block" -> {
                    long b = Libc.alloc(sys, 16);
                    sys.read(0, b, 1);
                }
                case "syscalls" -> {
                    for (;;) {
                        sys.getpid();
                    }
                }
                case "memory" -> {
                    long b = Libc.alloc(sys, 4096);
                    for (long i = 0; ; i++) {
                        sys.storeLong(b, i);
                    }
                }
                default -> {
                }
            }
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int blocked = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[0], 0)), new String[]{"c", "block"}, null);
            int busy = sys.posixSpawn("/bin/child", List.of(), new String[]{"c", "syscalls"}, null);
            int touching = sys.posixSpawn("/bin/child", List.of(), new String[]{"c", "memory"}, null);
            awaitParked(os, blocked, blocked);
            sys.kill(blocked, Signal.SIGTERM);
            sys.kill(busy, Signal.SIGKILL);
            sys.kill(touching, Signal.SIGTERM);
            assertThat(sys.wait4(blocked, 0).status()).isEqualTo(Wait.signaled(Signal.SIGTERM));
            assertThat(sys.wait4(busy, 0).status()).isEqualTo(Wait.signaled(Signal.SIGKILL));
            assertThat(sys.wait4(touching, 0).status()).isEqualTo(Wait.signaled(Signal.SIGTERM));
            assertErrno(() -> sys.kill(99_999, 0), Errno.ESRCH);
            assertErrno(() -> sys.kill(sys.getpid(), 65), Errno.EINVAL);
            sys.kill(sys.getpid(), 0);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void sigkillEndsAProcessBlockedInWait4AndItsOrphanGoesToInit(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            int b = sys.posixSpawn("/bin/child2", List.of(), new String[]{"b"}, null);
            sys.wait4(b, 0); // blocks: B never ends by itself
            return 0;
        });
        os.program("child2", (sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 16);
            sys.read(0, buf, 1);
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int a = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[0], 0)), new String[]{"a"}, null);
            awaitParked(os, a, a);
            sys.kill(a, Signal.SIGKILL);
            assertThat(sys.wait4(a, 0)).isEqualTo(new Wait.Result(a, Wait.signaled(Signal.SIGKILL)));
            Wait.Result none = sys.wait4(-1, Wait.WNOHANG);
            assertThat(none.pid()).as("B is alive and now init's child").isZero();
            sys.kill(-1, Signal.SIGTERM); // everyone but init and the caller
            Wait.Result b = sys.wait4(-1, 0);
            assertThat(b.status()).isEqualTo(Wait.signaled(Signal.SIGTERM));
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aHandlerRunsWhenTheSyscallReturnsAndMasksDeferIt(Matrix m) throws Exception {
        Booted os = os(m);
        AtomicInteger runs = new AtomicInteger();
        os.run((sys, argv, envp) -> {
            long flag = Libc.alloc(sys, 4096);
            SigAction old = sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> {
                runs.incrementAndGet();
                s.storeInt(flag, sig);
                // the signal is blocked while its handler runs
                assertThat(Signal.member(s.sigprocmask(Signal.SIG_BLOCK, 0), Signal.SIGUSR1)).isTrue();
            }, 0));
            assertThat(old.kind()).isEqualTo(SigAction.Kind.DEFAULT);
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            assertThat(sys.loadInt(flag)).as("delivered before kill returned").isEqualTo(Signal.SIGUSR1);
            assertThat(Signal.member(sys.sigprocmask(Signal.SIG_BLOCK, 0), Signal.SIGUSR1)).isFalse();

            sys.storeInt(flag, 0);
            sys.sigprocmask(Signal.SIG_BLOCK, Signal.bit(Signal.SIGUSR1));
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            assertThat(sys.loadInt(flag)).as("blocked: not delivered").isZero();
            assertThat(Signal.member(sys.sigpending(), Signal.SIGUSR1)).isTrue();
            sys.sigprocmask(Signal.SIG_UNBLOCK, Signal.bit(Signal.SIGUSR1));
            assertThat(sys.loadInt(flag)).as("delivered when unblocked").isEqualTo(Signal.SIGUSR1);
            assertThat(sys.sigpending()).isZero();

            // SIG_IGN discards; SIGKILL's action cannot change
            sys.sigaction(Signal.SIGUSR2, SigAction.IGNORE);
            sys.kill(sys.getpid(), Signal.SIGUSR2);
            assertErrno(() -> sys.sigaction(Signal.SIGKILL, SigAction.IGNORE), Errno.EINVAL);
            assertErrno(() -> sys.sigaction(0, null), Errno.EINVAL);
            assertErrno(() -> sys.sigprocmask(7, 0), Errno.EINVAL);
            // SIGKILL cannot be blocked
            sys.sigprocmask(Signal.SIG_SETMASK, -1L);
            assertThat(Signal.member(sys.sigprocmask(Signal.SIG_SETMASK, 0), Signal.SIGKILL)).isFalse();
            return 0;
        }).assertOk();
        assertThat(runs.get()).isEqualTo(2);
    }

    /** signal(7): a read interrupted by a handler fails with EINTR, or is restarted with SA_RESTART. */
    @ParameterizedTest
    @EnumSource(Matrix.class)
    void readIsRestartedWithSaRestartAndFailsWithEintrWithout(Matrix m) throws Exception {
        Booted os = os(m);
        for (boolean restart : new boolean[]{true, false}) {
            os.run((sys, argv, envp) -> {
                AtomicInteger handled = new AtomicInteger();
                sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> handled.incrementAndGet(),
                        restart ? Signal.SA_RESTART : 0));
                int[] p = sys.pipe();
                long[] result = {-2};
                int reader = sys.threadCreate(s -> {
                    long b = Libc.alloc(s, 16);
                    try {
                        result[0] = s.read(p[0], b, 1);
                    } catch (io.jocclum.api.ErrnoException e) {
                        result[0] = -e.errno().number();
                    }
                    return 0;
                });
                sys.sigprocmask(Signal.SIG_BLOCK, Signal.bit(Signal.SIGUSR1)); // only the reader takes it
                awaitParked(os, sys.getpid(), reader);
                sys.kill(sys.getpid(), Signal.SIGUSR1);
                if (restart) {
                    Quiesce.until(() -> handled.get() == 1, "handler ran");
                    awaitParked(os, sys.getpid(), reader); // restarted and blocked again
                    long b = Libc.alloc(sys, 16);
                    sys.write(p[1], b, 1);
                }
                sys.threadJoin(reader);
                assertThat(handled.get()).isEqualTo(1);
                assertThat(result[0]).isEqualTo(restart ? 1 : -Errno.EINTR.number());
                return 0;
            }).assertOk();
        }
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void epollPwaitInstallsItsMaskForTheCallAndRestoresItAfterTheHandler(Matrix m) throws Exception {
        Booted os = os(m);
        os.run((sys, argv, envp) -> {
            AtomicInteger handled = new AtomicInteger();
            long[] maskInHandler = {0};
            sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> {
                handled.incrementAndGet();
                maskInHandler[0] = s.sigprocmask(Signal.SIG_BLOCK, 0);
            }, Signal.SA_RESTART));
            sys.sigprocmask(Signal.SIG_BLOCK, Signal.bit(Signal.SIGUSR1));
            int ep = sys.epollCreate1(0);
            int[] p = sys.pipe();
            sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, p[0], new EpollEvent(Epoll.EPOLLIN, 7));
            long[] out = {0, 0};
            int waiter = sys.threadCreate(s -> {
                long ev = Libc.alloc(s, 4096);
                try {
                    s.epollPwait(ep, ev, 8, -1, 0); // SIGUSR1 unblocked only during the wait
                    out[0] = 1;
                } catch (io.jocclum.api.ErrnoException e) {
                    out[0] = -e.errno().number();
                }
                out[1] = s.sigprocmask(Signal.SIG_BLOCK, 0);
                return 0;
            });
            awaitParked(os, sys.getpid(), waiter);
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            sys.threadJoin(waiter);
            assertThat(out[0]).as("epoll_pwait is never restarted").isEqualTo(-Errno.EINTR.number());
            assertThat(handled.get()).isEqualTo(1);
            assertThat(Signal.member(maskInHandler[0], Signal.SIGUSR1)).isTrue();
            assertThat(Signal.member(out[1], Signal.SIGUSR1)).as("the thread's own mask is back").isTrue();
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void writingToAPipeWithoutReadersRaisesSigpipe(Matrix m) throws Exception {
        Booted os = os(m);
        Booted.Result r = os.run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            sys.close(p[0]);
            long b = Libc.alloc(sys, 16);
            sys.write(p[1], b, 1);
            return 0;
        });
        assertThat(r.status()).as("default action of SIGPIPE").isEqualTo(Wait.signaled(Signal.SIGPIPE));
        os.run((sys, argv, envp) -> {
            sys.sigaction(Signal.SIGPIPE, SigAction.IGNORE);
            int[] p = sys.pipe();
            sys.close(p[0]);
            long b = Libc.alloc(sys, 16);
            assertErrno(() -> sys.write(p[1], b, 1), Errno.EPIPE);
            AtomicInteger h = new AtomicInteger();
            sys.sigaction(Signal.SIGPIPE, SigAction.handler((s, sig) -> h.incrementAndGet(), 0));
            assertErrno(() -> sys.write(p[1], b, 1), Errno.EPIPE);
            assertThat(h.get()).isEqualTo(1);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void nanosleepIsInterruptedByAHandlerAndSleepsOtherwise(Matrix m) throws Exception {
        Booted os = os(m);
        os.run((sys, argv, envp) -> {
            sys.nanosleep(0);
            sys.nanosleep(1_000_000);
            assertErrno(() -> sys.nanosleep(-1), Errno.EINVAL);
            sys.sigaction(Signal.SIGALRM, SigAction.handler((s, sig) -> { }, Signal.SA_RESTART));
            sys.sigprocmask(Signal.SIG_BLOCK, Signal.bit(Signal.SIGALRM));
            long[] r = {0};
            int sleeper = sys.threadCreate(s -> {
                s.sigprocmask(Signal.SIG_UNBLOCK, Signal.bit(Signal.SIGALRM));
                try {
                    s.nanosleep(3_600_000_000_000L);
                } catch (io.jocclum.api.ErrnoException e) {
                    r[0] = e.errno().number();
                }
                return 0;
            });
            awaitParked(os, sys.getpid(), sleeper);
            sys.kill(sys.getpid(), Signal.SIGALRM);
            sys.threadJoin(sleeper);
            assertThat(r[0]).as("nanosleep is never restarted").isEqualTo(Errno.EINTR.number());
            return 0;
        }).assertOk();
    }

    static long unused(Syscalls s) {
        return s.getpid();
    }
}
