package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.Wait;
import io.jocclum.libos.support.Quiesce;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.libos.os.GuestOps.errno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * gettid, tgkill and tkill through the guest API (tgkill(2), kernel/signal.c do_send_specific): a
 * thread-directed signal is pending for that thread only and its handler runs on it; a fatal one
 * still ends the process; the errnos in the man page's order.
 */
class ThreadSignalGuestTest extends OsTestBase {
    private static final long USR1 = Signal.bit(Signal.SIGUSR1);

    @Test
    void aThreadDirectedSignalReachesExactlyThatThread() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.run((sys, argv, envp) -> {
            int pid = sys.getpid();
            assertThat(sys.gettid()).as("the main thread's tid is the pid").isEqualTo(pid);
            List<Integer> ranOn = new CopyOnWriteArrayList<>();
            sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> ranOn.add(s.gettid()), 0));
            AtomicInteger workerTid = new AtomicInteger();
            AtomicInteger phase = new AtomicInteger();
            int worker = sys.threadCreate(s -> {
                workerTid.set(s.gettid());
                s.sigprocmask(Signal.SIG_BLOCK, USR1);       // blocked here, open in main
                phase.set(1);
                Quiesce.until(() -> phase.get() == 2, "main sent the signal");
                assertThat(s.sigpending()).as("pending for this thread").isEqualTo(USR1);
                s.sigprocmask(Signal.SIG_UNBLOCK, USR1);      // delivered here, on return
                assertThat(ranOn).containsExactly(s.gettid());
                return 0;
            });
            Quiesce.until(() -> phase.get() == 1, "the worker blocked SIGUSR1");
            assertThat(workerTid.get()).isEqualTo(worker).isNotEqualTo(pid);
            sys.tgkill(pid, worker, Signal.SIGUSR1);
            sys.schedYield();
            assertThat(ranOn).as("main does not block it but must not take it").isEmpty();
            assertThat(sys.sigpending()).as("not pending for main").isZero();
            phase.set(2);
            sys.threadJoin(worker);
            assertThat(ranOn).containsExactly(worker);
            // tkill to the main thread: runs on main at the next boundary
            sys.tkill(pid, Signal.SIGUSR1);
            assertThat(ranOn).containsExactly(worker, pid);
            return 0;
        }).assertOk();
    }

    /** tgkill(2) ERRORS: EINVAL (tgid/tid &lt;= 0, bad signal), ESRCH (no such thread, or not in tgid); 0 only checks. */
    @Test
    void tgkillAndTkillErrnos() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int pid = sys.getpid();
            assertThat(errno(() -> sys.tgkill(0, pid, Signal.SIGUSR1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tgkill(-1, pid, Signal.SIGUSR1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tgkill(pid, 0, Signal.SIGUSR1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tgkill(pid, pid, 65))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tgkill(pid, pid, -1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tkill(0, Signal.SIGUSR1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tkill(-3, Signal.SIGUSR1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.tgkill(pid, 99_999, 0))).isEqualTo(Errno.ESRCH);
            assertThat(errno(() -> sys.tkill(99_999, 0))).isEqualTo(Errno.ESRCH);
            int t = sys.threadCreate(s -> 0);
            sys.threadJoin(t);
            assertThat(errno(() -> sys.tkill(t, 0))).as("a thread that has ended").isEqualTo(Errno.ESRCH);
            assertThat(errno(() -> sys.tgkill(pid + 1000, pid, 0))).as("tid not in that process").isEqualTo(Errno.ESRCH);
            sys.tgkill(pid, pid, 0);
            sys.tkill(pid, 0);
            return 0;
        }).assertOk();
    }

    /** A fatal thread-directed signal (default action) ends the whole process with that signal. */
    @Test
    void aFatalThreadDirectedSignalKillsTheProcess() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.program("child", (sys, argv, envp) -> {
            int t = sys.threadCreate(s -> {
                s.tgkill(s.getpid(), s.gettid(), Signal.SIGTERM);
                return 0;
            });
            sys.threadJoin(t);
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int child = sys.posixSpawn("/bin/child", List.of(), new String[]{"child"}, null);
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.signaled(Signal.SIGTERM));
            return 0;
        }).assertOk();
    }
}
