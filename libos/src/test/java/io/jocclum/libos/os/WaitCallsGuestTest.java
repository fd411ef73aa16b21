package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.Errno;
import io.jocclum.api.FdSet;
import io.jocclum.api.Libc;
import io.jocclum.api.Poll;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.Syscalls;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.libos.os.GuestOps.add;
import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * epoll_create, epoll_pwait (NULL mask), epoll_pwait2, ppoll and pselect6 through the guest API,
 * judged against the man pages (epoll_create(2), epoll_wait(2), poll(2), select(2)) and
 * fs/eventpoll.c, fs/select.c: argument checks in Linux's order, masks installed for the call,
 * the time left written back by ppoll and pselect6.
 */
class WaitCallsGuestTest extends OsTestBase {
    private static final long USR1 = Signal.bit(Signal.SIGUSR1);

    /** A struct timespec in guest memory. */
    private static long timespec(Syscalls sys, long sec, long nsec) {
        long t = Libc.alloc(sys, 16);
        sys.storeLong(t, sec);
        sys.storeLong(t + 8, nsec);
        return t;
    }

    private static long nanos(Syscalls sys, long ts) {
        return sys.loadLong(ts) * 1_000_000_000L + sys.loadLong(ts + 8);
    }

    private static long sigset(Syscalls sys, long mask) {
        long m = Libc.alloc(sys, 8);
        sys.storeLong(m, mask);
        return m;
    }

    /** epoll_create(2): "size ... must be greater than zero"; EINVAL otherwise; the result is an epoll. */
    @Test
    void epollCreateNeedsAPositiveSize() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            assertThat(errno(() -> sys.epollCreate(0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollCreate(-1))).isEqualTo(Errno.EINVAL);
            int ep = sys.epollCreate(1);
            int[] p = sys.pipe();
            add(sys, ep, p[0], Epoll.EPOLLIN, 7);
            write(sys, p[1], new byte[]{1});
            assertThat(GuestOps.epWait(sys, ep, 4, 0)).hasSize(1);
            assertThat(sys.epollCreate(Integer.MAX_VALUE)).as("the size is only a hint").isGreaterThan(ep);
            return 0;
        }).assertOk();
    }

    /**
     * epoll_pwait2(2): the timespec is read and checked first (EINVAL for tv_nsec outside
     * [0, 10^9) or tv_sec &lt; 0, EFAULT), then the mask size, then maxevents; {0, 0} returns at
     * once; NULL waits until an event.
     */
    @Test
    void epollPwait2TakesATimespec() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int ep = sys.epollCreate1(0);
            int[] p = sys.pipe();
            add(sys, ep, p[0], Epoll.EPOLLIN, 3);
            long ev = Libc.alloc(sys, 4L * Epoll.EVENT_SIZE);
            long zero = timespec(sys, 0, 0);
            assertThat(sys.epollPwait2(ep, ev, 4, zero, 0, 0)).isZero();
            assertThat(errno(() -> sys.epollPwait2(ep, ev, 4, timespec(sys, 0, 1_000_000_000L), 0, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollPwait2(ep, ev, 4, timespec(sys, -1, 0), 0, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollPwait2(ep, ev, 0, timespec(sys, 0, -1), 0, 0))).as("the timeout before maxevents")
                    .isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollPwait2(ep, ev, 4, 8, 0, 0))).as("an unmapped timespec").isEqualTo(Errno.EFAULT);
            assertThat(errno(() -> sys.epollPwait2(ep, ev, 4, zero, sigset(sys, 0), 4))).as("sigsetsize").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollPwait2(ep, ev, 0, zero, 0, 0))).as("maxevents").isEqualTo(Errno.EINVAL);
            assertThat(sys.epollPwait2(ep, ev, 4, timespec(sys, 0, 2_000_000), 0, 0)).as("a 2 ms timeout expires").isZero();
            write(sys, p[1], new byte[]{1});
            assertThat(sys.epollPwait2(ep, ev, 4, 0, 0, 0)).as("NULL: waits, an event is ready").isEqualTo(1);
            assertThat(sys.loadLong(ev + 4)).isEqualTo(3);
            assertThat(sys.epollPwait2(ep, ev, 4, zero, sigset(sys, 0), Signal.SIGSET_SIZE)).isEqualTo(1);
            return 0;
        }).assertOk();
    }

    /**
     * epoll_pwait(2) with a NULL sigmask is epoll_wait: the thread's mask stays (a blocked pending
     * signal is not delivered) and sigsetsize is not looked at; with a mask that unblocks it, the
     * handler runs and the call fails with EINTR, the old mask back afterwards.
     */
    @Test
    void epollPwaitWithANullMaskLeavesTheMaskAlone() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            AtomicInteger handled = new AtomicInteger();
            sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> handled.incrementAndGet(), 0));
            sys.sigprocmask(Signal.SIG_BLOCK, USR1);
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            int ep = sys.epollCreate1(0);
            long ev = Libc.alloc(sys, Epoll.EVENT_SIZE);
            assertThat(sys.epollPwait(ep, ev, 1, 0, 0, 12345)).as("NULL mask: nothing delivered").isZero();
            assertThat(handled).hasValue(0);
            assertThat(sys.sigpending()).isEqualTo(USR1);
            assertThat(errno(() -> sys.epollPwait(ep, ev, 1, 0, sigset(sys, 0), 7))).as("sigsetsize").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollPwait(ep, ev, 1, -1, sigset(sys, 0), Signal.SIGSET_SIZE))).isEqualTo(Errno.EINTR);
            assertThat(handled).hasValue(1);
            assertThat(sys.sigprocmask(Signal.SIG_BLOCK, 0)).as("the old mask is back").isEqualTo(USR1);
            return 0;
        }).assertOk();
    }

    /**
     * ppoll(2): the system call writes the time left back to its timespec (poll(2), NOTES: "The
     * Linux ppoll() system call modifies its tmo_p argument"); EINVAL for a bad timespec or
     * sigsetsize, nfds above RLIMIT_NOFILE; a mask is installed for the call (EINTR) and put back.
     */
    @Test
    void ppollWritesTheTimeLeftBackAndInstallsItsMask() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            long fds = Libc.alloc(sys, Poll.POLLFD_SIZE);
            sys.storeInt(fds, p[0]);
            sys.storeInt(fds + 4, Poll.POLLIN);
            write(sys, p[1], new byte[]{1});
            long ts = timespec(sys, 5, 0);
            assertThat(sys.ppoll(fds, 1, ts, 0, 0)).isEqualTo(1);
            assertThat(nanos(sys, ts)).as("time left of 5 s").isBetween(1L, 5_000_000_000L);
            assertThat(sys.loadLong(ts + 8)).isBetween(0L, 999_999_999L);
            GuestOps.read(sys, p[0], 1);
            long shortTs = timespec(sys, 0, 1_000_000);
            assertThat(sys.ppoll(fds, 1, shortTs, 0, 0)).as("times out").isZero();
            assertThat(nanos(sys, shortTs)).as("nothing left").isZero();
            assertThat(errno(() -> sys.ppoll(fds, 1, timespec(sys, 0, -5), 0, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.ppoll(fds, 1, timespec(sys, 0, 0), sigset(sys, 0), 16))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.ppoll(fds, Integer.MAX_VALUE, timespec(sys, 0, 0), 0, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.ppoll(fds, 1, 16, 0, 0))).as("unmapped timespec").isEqualTo(Errno.EFAULT);
            // the mask: SIGUSR1 blocked and pending; ppoll with an empty mask takes it, EINTR
            AtomicInteger handled = new AtomicInteger();
            sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> handled.incrementAndGet(), 0));
            sys.sigprocmask(Signal.SIG_BLOCK, USR1);
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            assertThat(sys.ppoll(fds, 1, timespec(sys, 0, 0), 0, 0)).as("NULL mask: still blocked").isZero();
            long left = timespec(sys, 100, 0);
            assertThat(errno(() -> sys.ppoll(fds, 1, left, sigset(sys, 0), Signal.SIGSET_SIZE))).isEqualTo(Errno.EINTR);
            assertThat(handled).hasValue(1);
            assertThat(nanos(sys, left)).as("written back on EINTR too").isBetween(1L, 100_000_000_000L);
            assertThat(sys.sigprocmask(Signal.SIG_BLOCK, 0)).isEqualTo(USR1);
            return 0;
        }).assertOk();
    }

    /**
     * pselect6(2): the sixth argument is {const sigset_t *ss; size_t ss_len}; the time left is
     * written back (select(2): "On Linux, select() modifies timeout to reflect the amount of time
     * not slept"); EINVAL for nfds &lt; 0, a bad timespec or ss_len; EBADF for a closed descriptor.
     */
    @Test
    void pselect6TakesAMaskPairAndWritesTheTimeLeftBack() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            long set = Libc.alloc(sys, FdSet.SIZE);
            sys.storeLong(set, 1L << p[0]);
            write(sys, p[1], new byte[]{1});
            long ts = timespec(sys, 3, 500);
            assertThat(sys.pselect6(p[0] + 1, set, 0, 0, ts, 0)).isEqualTo(1);
            assertThat(sys.loadLong(set)).isEqualTo(1L << p[0]);
            assertThat(nanos(sys, ts)).isBetween(1L, 3_000_000_500L);
            GuestOps.read(sys, p[0], 1);
            long shortTs = timespec(sys, 0, 1_000_000);
            sys.storeLong(set, 1L << p[0]);
            assertThat(sys.pselect6(p[0] + 1, set, 0, 0, shortTs, 0)).isZero();
            assertThat(sys.loadLong(set)).as("cleared on timeout").isZero();
            assertThat(nanos(sys, shortTs)).isZero();
            assertThat(errno(() -> sys.pselect6(-1, 0, 0, 0, timespec(sys, 0, 0), 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.pselect6(1, 0, 0, 0, timespec(sys, 0, 2_000_000_000L), 0))).isEqualTo(Errno.EINVAL);
            long pack = Libc.alloc(sys, 16);
            sys.storeLong(pack, sigset(sys, 0));
            sys.storeLong(pack + 8, 4);
            assertThat(errno(() -> sys.pselect6(1, 0, 0, 0, timespec(sys, 0, 0), pack))).as("ss_len").isEqualTo(Errno.EINVAL);
            sys.storeLong(pack + 8, Signal.SIGSET_SIZE);
            int closed = sys.dup(p[0]);
            sys.close(closed);
            sys.storeLong(set, 1L << closed);
            assertThat(errno(() -> sys.pselect6(closed + 1, set, 0, 0, timespec(sys, 0, 0), pack))).isEqualTo(Errno.EBADF);
            // the mask of the pair is installed for the call
            AtomicInteger handled = new AtomicInteger();
            sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> handled.incrementAndGet(), 0));
            sys.sigprocmask(Signal.SIG_BLOCK, USR1);
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            sys.storeLong(set, 1L << p[0]);
            assertThat(errno(() -> sys.pselect6(p[0] + 1, set, 0, 0, 0, pack))).isEqualTo(Errno.EINTR);
            assertThat(handled).hasValue(1);
            assertThat(sys.sigprocmask(Signal.SIG_BLOCK, 0)).isEqualTo(USR1);
            sys.storeLong(pack, 0);
            sys.kill(sys.getpid(), Signal.SIGUSR1);
            assertThat(sys.pselect6(p[0] + 1, set, 0, 0, timespec(sys, 0, 0), pack)).as("NULL ss: the mask stays").isZero();
            assertThat(handled).hasValue(1);
            return 0;
        }).assertOk();
    }
}
