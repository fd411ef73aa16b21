package io.jocclum.libos.os;

import io.jocclum.api.Clocks;
import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.Syscalls;
import io.jocclum.api.TimerFd;
import org.junit.jupiter.api.Test;

import static io.jocclum.libos.os.GuestOps.add;
import static io.jocclum.libos.os.GuestOps.epWait;
import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.poll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * timerfd_create/settime/gettime through the guest API, judged against timerfd_create(2) and
 * fs/timerfd.c; the "never early" checks follow the kernel selftest
 * tools/testing/selftests/timers/set-timer-lat.c (a timer, absolute or relative, does not expire
 * before its time on its clock).
 */
class TimerFdGuestTest extends OsTestBase {
    private static final long MS = 1_000_000L;

    /** Writes a struct itimerspec {interval, value} (nanoseconds) into guest memory. */
    private static long itimerspec(Syscalls sys, long intervalNanos, long valueNanos) {
        long a = Libc.alloc(sys, TimerFd.ITIMERSPEC_SIZE);
        sys.storeLong(a, intervalNanos / 1_000_000_000L);
        sys.storeLong(a + 8, intervalNanos % 1_000_000_000L);
        sys.storeLong(a + 16, valueNanos / 1_000_000_000L);
        sys.storeLong(a + 24, valueNanos % 1_000_000_000L);
        return a;
    }

    /** {it_interval, it_value} in nanoseconds from a struct itimerspec. */
    private static long[] read(Syscalls sys, long a) {
        return new long[] {sys.loadLong(a) * 1_000_000_000L + sys.loadLong(a + 8), sys.loadLong(a + 16) * 1_000_000_000L + sys.loadLong(a + 24)};
    }

    private static long expirations(Syscalls sys, int fd) {
        long b = Libc.alloc(sys, 8);
        assertThat(sys.read(fd, b, 8)).isEqualTo(8);
        return sys.loadLong(b);
    }

    @Test
    void createChecksClockAndFlags() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            assertThat(errno(() -> sys.timerfdCreate(Clocks.CLOCK_PROCESS_CPUTIME_ID, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdCreate(-1, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, TimerFd.TFD_TIMER_ABSTIME))).isEqualTo(Errno.EINVAL);
            int t = sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, TimerFd.TFD_NONBLOCK | TimerFd.TFD_CLOEXEC);
            assertThat(sys.fcntl(t, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK);
            assertThat(sys.fcntl(t, Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
            sys.timerfdCreate(Clocks.CLOCK_REALTIME, 0);
            sys.timerfdCreate(Clocks.CLOCK_BOOTTIME, 0);
            // a new timer is disarmed: gettime zeros, nothing to read
            long cur = itimerspec(sys, 7, 7);
            sys.timerfdGettime(t, cur);
            assertThat(read(sys, cur)).containsExactly(0, 0);
            long b = Libc.alloc(sys, 8);
            assertThat(errno(() -> sys.read(t, b, 8))).isEqualTo(Errno.EAGAIN);
            assertThat(errno(() -> sys.read(t, b, 4))).as("a buffer under 8 bytes").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.write(t, b, 8))).as("no write").isEqualTo(Errno.EINVAL);
            assertThat(poll(sys, t, Poll.POLLIN, 0)).isZero();
            return 0;
        }).assertOk();
    }

    @Test
    void settimeAndGettimeErrnos() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int t = sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, 0);
            int[] p = sys.pipe();
            long ok = itimerspec(sys, 0, 10_000 * MS);
            long badNsec = Libc.alloc(sys, 32);
            sys.storeLong(badNsec + 24, 1_000_000_000L);
            assertThat(errno(() -> sys.timerfdSettime(t, 0, badNsec, 0))).isEqualTo(Errno.EINVAL);
            sys.storeLong(badNsec + 24, 0);
            sys.storeLong(badNsec + 8, -1);
            assertThat(errno(() -> sys.timerfdSettime(t, 0, badNsec, 0))).as("a bad it_interval").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdSettime(t, 4, ok, 0))).as("flags").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdSettime(p[0], 0, ok, 0))).as("not a timerfd").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdSettime(999, 0, ok, 0))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.timerfdSettime(999, 4, ok, 0))).as("flags before the descriptor").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdSettime(t, 0, 8, 0))).as("new_value unmapped").isEqualTo(Errno.EFAULT);
            assertThat(errno(() -> sys.timerfdGettime(p[0], ok))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.timerfdGettime(999, ok))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.timerfdGettime(t, 8))).isEqualTo(Errno.EFAULT);
            // old_value: the previous setting, the time left of it
            sys.timerfdSettime(t, 0, itimerspec(sys, 3 * MS, 10_000 * MS), 0);
            long old = itimerspec(sys, 0, 0);
            sys.timerfdSettime(t, 0, itimerspec(sys, 0, 0), old);
            assertThat(read(sys, old)[0]).isEqualTo(3 * MS);
            assertThat(read(sys, old)[1]).isBetween(1L, 10_000 * MS);
            long cur = itimerspec(sys, 1, 1);
            sys.timerfdGettime(t, cur);
            assertThat(read(sys, cur)).as("disarmed by it_value 0").containsExactly(0, 0);
            return 0;
        }).assertOk();
    }

    /** A one-shot relative timer: read blocks until it expires, gives 1, and the timer is disarmed after it. */
    @Test
    void aOneShotTimerExpiresOnceAndNotEarly() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int t = sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, 0);
            long start = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
            sys.timerfdSettime(t, 0, itimerspec(sys, 0, 3 * MS), 0);
            long cur = itimerspec(sys, 0, 0);
            sys.timerfdGettime(t, cur);
            assertThat(read(sys, cur)[1]).as("the time left (0 once expired)").isBetween(0L, 3 * MS);
            assertThat(expirations(sys, t)).isEqualTo(1);
            assertThat(sys.clockGettime(Clocks.CLOCK_MONOTONIC) - start).as("not early").isGreaterThanOrEqualTo(3 * MS);
            sys.timerfdGettime(t, cur);
            assertThat(read(sys, cur)).containsExactly(0, 0);
            sys.fcntl(t, Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
            assertThat(errno(() -> expirations(sys, t))).as("read took the expiration").isEqualTo(Errno.EAGAIN);
            return 0;
        }).assertOk();
    }

    /** A periodic timer counts every interval that passed between reads (the overrun). */
    @Test
    void aPeriodicTimerCountsTheIntervalsThatPassed() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int t = sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, 0);
            sys.timerfdSettime(t, 0, itimerspec(sys, MS, MS), 0);
            sys.nanosleep(6 * MS);
            assertThat(expirations(sys, t)).as("1 ms, then every 1 ms, 6 ms later").isGreaterThanOrEqualTo(6);
            assertThat(expirations(sys, t)).as("the next one").isGreaterThanOrEqualTo(1);
            long cur = itimerspec(sys, 0, 0);
            sys.timerfdGettime(t, cur);
            assertThat(read(sys, cur)[0]).isEqualTo(MS);
            assertThat(read(sys, cur)[1]).isBetween(1L, MS);
            // settime drops the unread expirations
            sys.nanosleep(2 * MS);
            sys.timerfdSettime(t, 0, itimerspec(sys, 0, 10_000 * MS), 0);
            sys.fcntl(t, Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
            assertThat(errno(() -> expirations(sys, t))).isEqualTo(Errno.EAGAIN);
            return 0;
        }).assertOk();
    }

    /** TFD_TIMER_ABSTIME on CLOCK_MONOTONIC and CLOCK_REALTIME: expires at that time, not before; in the past at once. */
    @Test
    void absoluteTimersOnBothClocks() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            for (int clock : new int[] {Clocks.CLOCK_MONOTONIC, Clocks.CLOCK_REALTIME}) {
                int t = sys.timerfdCreate(clock, 0);
                long start = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
                long at = sys.clockGettime(clock) + 3 * MS;
                sys.timerfdSettime(t, TimerFd.TFD_TIMER_ABSTIME, itimerspec(sys, 0, at), 0);
                assertThat(expirations(sys, t)).isEqualTo(1);
                // 3 ms of the LibOS's time passed (the tests' wall clock may stand still: a realtime
                // timer runs on the monotonic clock from its setting)
                assertThat(sys.clockGettime(Clocks.CLOCK_MONOTONIC) - start).as("clock %d: not early", clock)
                        .isGreaterThanOrEqualTo(3 * MS);
                sys.timerfdSettime(t, TimerFd.TFD_TIMER_ABSTIME | TimerFd.TFD_TIMER_CANCEL_ON_SET,
                        itimerspec(sys, 0, 1), 0); // 1 ns after the clock's origin: long past
                assertThat(poll(sys, t, Poll.POLLIN, 0)).as("clock %d: in the past, at once", clock).isEqualTo(Poll.POLLIN);
                assertThat(expirations(sys, t)).isEqualTo(1);
            }
            return 0;
        }).assertOk();
    }

    /** A timerfd in an epoll: epoll_wait sleeps until the expiry, then reports EPOLLIN until it is read. */
    @Test
    void epollReportsAnExpiredTimer() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int t = sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, TimerFd.TFD_NONBLOCK);
            int ep = sys.epollCreate1(0);
            add(sys, ep, t, Epoll.EPOLLIN, 42);
            assertThat(epWait(sys, ep, 4, 0)).isEmpty();
            sys.timerfdSettime(t, 0, itimerspec(sys, 0, 2 * MS), 0);
            assertThat(epWait(sys, ep, 4, -1)).containsExactly(new EpollEvent(Epoll.EPOLLIN, 42));
            assertThat(epWait(sys, ep, 4, 0)).as("level-triggered until read").hasSize(1);
            assertThat(expirations(sys, t)).isEqualTo(1);
            assertThat(epWait(sys, ep, 4, 0)).isEmpty();
            // edge-triggered: one report per expiry
            sys.epollCtl(ep, Epoll.EPOLL_CTL_MOD, t, new EpollEvent(Epoll.EPOLLIN | Epoll.EPOLLET, 43));
            sys.timerfdSettime(t, 0, itimerspec(sys, 0, MS), 0);
            assertThat(epWait(sys, ep, 4, -1)).containsExactly(new EpollEvent(Epoll.EPOLLIN, 43));
            assertThat(epWait(sys, ep, 4, 0)).isEmpty();
            sys.close(t);
            return 0;
        }).assertOk();
    }
}
