package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.Signal;
import io.jocclum.api.SignalFd;
import io.jocclum.api.Syscalls;
import org.junit.jupiter.api.Test;

import static io.jocclum.libos.os.GuestOps.add;
import static io.jocclum.libos.os.GuestOps.epWait;
import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.poll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * signalfd and signalfd4 through the guest API, judged against signalfd(2): the siginfo layout
 * read, consumption of the pending (blocked) signals, the mask update, epoll/poll readiness,
 * blocking reads woken by a signal, the errnos in fs/signalfd.c's order.
 */
class SignalFdGuestTest extends OsTestBase {
    private static final long USR1 = Signal.bit(Signal.SIGUSR1);
    private static final long USR2 = Signal.bit(Signal.SIGUSR2);

    private static long sigset(Syscalls sys, long mask) {
        long m = Libc.alloc(sys, 8);
        sys.storeLong(m, mask);
        return m;
    }

    /** {signo, code, pid} of the n-th siginfo in {@code buf}. */
    private static int[] siginfo(Syscalls sys, long buf, int n) {
        long at = buf + (long) n * SignalFd.SIGINFO_SIZE;
        return new int[] {sys.loadInt(at + SignalFd.SSI_SIGNO), sys.loadInt(at + SignalFd.SSI_CODE), sys.loadInt(at + SignalFd.SSI_PID)};
    }

    @Test
    void errnosInLinuxOrder() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            long m = sigset(sys, USR1);
            int[] p = sys.pipe();
            assertThat(errno(() -> sys.signalfd4(-1, m, 4, 0))).as("sizemask").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.signalfd4(-1, 8, 8, 0))).as("mask unmapped").isEqualTo(Errno.EFAULT);
            assertThat(errno(() -> sys.signalfd4(-1, m, 8, 1))).as("flags").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.signalfd4(999, m, 8, 0))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.signalfd4(999, m, 8, 1))).as("flags before the descriptor").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.signalfd(p[0], m, 8))).as("not a signalfd").isEqualTo(Errno.EINVAL);
            int s = sys.signalfd4(-1, m, 8, SignalFd.SFD_NONBLOCK | SignalFd.SFD_CLOEXEC);
            assertThat(sys.fcntl(s, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK);
            assertThat(sys.fcntl(s, Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
            long b = Libc.alloc(sys, 256);
            assertThat(errno(() -> sys.read(s, b, 256))).as("nothing pending").isEqualTo(Errno.EAGAIN);
            assertThat(errno(() -> sys.read(s, b, SignalFd.SIGINFO_SIZE - 1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.write(s, b, 8))).isEqualTo(Errno.EINVAL);
            assertThat(sys.signalfd(s, sigset(sys, USR2 | Signal.bit(Signal.SIGKILL)), 8)).as("new mask, same fd").isEqualTo(s);
            return 0;
        }).assertOk();
    }

    /** A read takes the blocked pending signals of the mask, lowest first, one siginfo each. */
    @Test
    void readTakesTheBlockedPendingSignalsWithTheirSiginfo() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int pid = sys.getpid();
            sys.sigprocmask(Signal.SIG_BLOCK, USR1 | USR2);
            int s = sys.signalfd(-1, sigset(sys, USR1 | USR2), Signal.SIGSET_SIZE);
            long b = Libc.alloc(sys, 3L * SignalFd.SIGINFO_SIZE);
            assertThat(poll(sys, s, Poll.POLLIN, 0)).isZero();
            sys.kill(pid, Signal.SIGUSR2);
            sys.kill(pid, Signal.SIGUSR1);
            assertThat(sys.sigpending()).isEqualTo(USR1 | USR2);
            assertThat(poll(sys, s, Poll.POLLIN, 0)).isEqualTo(Poll.POLLIN);
            assertThat(sys.read(s, b, 3L * SignalFd.SIGINFO_SIZE)).as("two siginfos").isEqualTo(2L * SignalFd.SIGINFO_SIZE);
            assertThat(siginfo(sys, b, 0)).containsExactly(Signal.SIGUSR1, SignalFd.SI_USER, pid);
            assertThat(siginfo(sys, b, 1)).containsExactly(Signal.SIGUSR2, SignalFd.SI_USER, pid);
            assertThat(sys.loadInt(b + SignalFd.SSI_UID)).isZero();
            assertThat(sys.sigpending()).as("consumed").isZero();
            // tgkill: SI_TKILL; a one-siginfo buffer takes one at a time
            sys.tgkill(pid, sys.gettid(), Signal.SIGUSR1);
            sys.kill(pid, Signal.SIGUSR2);
            assertThat(sys.read(s, b, SignalFd.SIGINFO_SIZE + 10)).isEqualTo(SignalFd.SIGINFO_SIZE);
            assertThat(siginfo(sys, b, 0)).containsExactly(Signal.SIGUSR1, SignalFd.SI_TKILL, pid);
            assertThat(sys.sigpending()).isEqualTo(USR2);
            // a new mask without SIGUSR2: it stays pending, the signalfd is not readable
            sys.signalfd(s, sigset(sys, USR1), Signal.SIGSET_SIZE);
            sys.fcntl(s, Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
            assertThat(poll(sys, s, Poll.POLLIN, 0)).isZero();
            assertThat(errno(() -> sys.read(s, b, SignalFd.SIGINFO_SIZE))).isEqualTo(Errno.EAGAIN);
            assertThat(sys.sigpending()).isEqualTo(USR2);
            return 0;
        }).assertOk();
    }

    /** A signalfd in an epoll, and a blocking read: both woken by a signal another thread sends. */
    @Test
    void epollAndBlockingReadsAreWokenBySignals() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.run((sys, argv, envp) -> {
            int pid = sys.getpid();
            sys.sigprocmask(Signal.SIG_BLOCK, USR1 | USR2);
            int s = sys.signalfd(-1, sigset(sys, USR1 | USR2), Signal.SIGSET_SIZE);
            int ep = sys.epollCreate1(0);
            add(sys, ep, s, Epoll.EPOLLIN, 9);
            assertThat(epWait(sys, ep, 4, 0)).isEmpty();
            int sender = sys.threadCreate(t -> {
                t.sigprocmask(Signal.SIG_BLOCK, USR1 | USR2);
                GuestOps.awaitEpollWaiters(os, pid, ep, 1);
                t.kill(pid, Signal.SIGUSR1);
                return 0;
            });
            assertThat(epWait(sys, ep, 4, -1)).containsExactly(new EpollEvent(Epoll.EPOLLIN, 9));
            sys.threadJoin(sender);
            long b = Libc.alloc(sys, SignalFd.SIGINFO_SIZE);
            assertThat(sys.read(s, b, SignalFd.SIGINFO_SIZE)).isEqualTo(SignalFd.SIGINFO_SIZE);
            assertThat(siginfo(sys, b, 0)[0]).isEqualTo(Signal.SIGUSR1);
            assertThat(epWait(sys, ep, 4, 0)).isEmpty();
            // a blocking read, woken by a tgkill from another thread
            int main = sys.gettid();
            int sender2 = sys.threadCreate(t -> {
                t.sigprocmask(Signal.SIG_BLOCK, USR1 | USR2);
                GuestOps.awaitParked(os, pid, 1);
                t.tgkill(pid, main, Signal.SIGUSR2);
                return 0;
            });
            assertThat(sys.read(s, b, SignalFd.SIGINFO_SIZE)).isEqualTo(SignalFd.SIGINFO_SIZE);
            assertThat(siginfo(sys, b, 0)).containsExactly(Signal.SIGUSR2, SignalFd.SI_TKILL, pid);
            sys.threadJoin(sender2);
            return 0;
        }).assertOk();
    }
}
