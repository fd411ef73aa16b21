package io.jocclum.libos.os;

import io.jocclum.api.Clocks;
import io.jocclum.api.Errno;
import io.jocclum.api.EventFd;
import io.jocclum.api.FdSet;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.Socket;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.jocclum.libos.os.GuestOps.efdRead;
import static io.jocclum.libos.os.GuestOps.efdWrite;
import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.poll;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/** poll(2), select(2) and eventfd(2) through the syscall interface. */
class PollSelectGuestTest extends OsTestBase {

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void pollRevents(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            write(sys, 1, "wake".getBytes());
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            int closed = sys.dup(p[0]);
            sys.close(closed);
            write(sys, p[1], new byte[]{1});
            // negative fd ignored; a closed fd is POLLNVAL and counted, and the others are still evaluated
            int[] r = poll(sys, new int[]{-1, closed, p[0], p[1]}, new int[]{Poll.POLLIN, Poll.POLLIN, Poll.POLLIN | Poll.POLLRDNORM,
                    Poll.POLLOUT}, 0);
            assertThat(r).containsExactly(3, 0, Poll.POLLNVAL, Poll.POLLIN | Poll.POLLRDNORM, Poll.POLLOUT);
            // ERR and HUP are reported even when not asked for
            sys.close(p[0]);
            assertThat(poll(sys, p[1], 0, 0)).isEqualTo(Poll.POLLERR);
            int[] q = sys.pipe();
            sys.close(q[1]);
            assertThat(poll(sys, q[0], Poll.POLLOUT, 0)).isEqualTo(Poll.POLLHUP);
            // a timeout returns 0 after at least the time asked for (on CLOCK_MONOTONIC)
            int[] e = sys.pipe();
            long t0 = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
            assertThat(poll(sys, new int[]{e[0]}, new int[]{Poll.POLLIN}, 30)).containsExactly(0, 0);
            assertThat(sys.clockGettime(Clocks.CLOCK_MONOTONIC) - t0).isGreaterThanOrEqualTo(30_000_000L);
            // blocking poll woken by another process
            int c = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(e[1], 1)), new String[]{"child"}, null);
            assertThat(poll(sys, e[0], Poll.POLLIN, -1)).isEqualTo(Poll.POLLIN);
            assertThat(sys.wait4(c, 0).status()).isEqualTo(Wait.exited(0));
            assertThat(errno(() -> sys.poll(0, 1025, 0))).as("nfds above RLIMIT_NOFILE").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.poll(0, 1, 0))).isEqualTo(Errno.EFAULT);
            return 0;
        }).assertOk();
    }

    @Test
    void selectSetsErrnosAndTimeouts() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            int sock = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
            long rs = Libc.alloc(sys, 3 * FdSet.SIZE);
            long ws = rs + FdSet.SIZE;
            long xs = ws + FdSet.SIZE;
            int nfds = Math.max(sock, p[1]) + 1;
            Runnable reset = () -> {
                for (long s : new long[]{rs, ws, xs}) {
                    FdSet.zero(sys, s);
                    FdSet.set(sys, s, p[0]);
                    FdSet.set(sys, s, p[1]);
                    FdSet.set(sys, s, sock);
                }
            };
            reset.run();
            // empty pipe: write end writable; the never-connected socket polls OUT|HUP: readable and writable
            assertThat(sys.select(nfds, rs, ws, xs, 0)).isEqualTo(3);
            assertThat(FdSet.isSet(sys, rs, p[0])).isFalse();
            assertThat(FdSet.isSet(sys, rs, sock)).isTrue();
            assertThat(FdSet.isSet(sys, ws, p[1])).isTrue();
            assertThat(FdSet.isSet(sys, ws, sock)).isTrue();
            assertThat(FdSet.isSet(sys, ws, p[0])).isFalse();
            assertThat(FdSet.isSet(sys, xs, p[0]) || FdSet.isSet(sys, xs, p[1]) || FdSet.isSet(sys, xs, sock)).isFalse();
            write(sys, p[1], new byte[]{1});
            reset.run();
            assertThat(sys.select(nfds, rs, ws, xs, -1)).isEqualTo(4);
            assertThat(FdSet.isSet(sys, rs, p[0])).isTrue();
            // only the pipe's read end, with a timeout, after draining: 0 and the set cleared
            read(sys, p[0], 10);
            FdSet.zero(sys, rs);
            FdSet.set(sys, rs, p[0]);
            assertThat(sys.select(p[0] + 1, rs, 0, 0, 20_000)).isZero();
            assertThat(FdSet.isSet(sys, rs, p[0])).isFalse();
            // a closed descriptor in a set is EBADF (Occlum returned 0); bits beyond nfds are ignored
            int closed = sys.dup(p[0]);
            sys.close(closed);
            FdSet.zero(sys, rs);
            FdSet.set(sys, rs, closed);
            assertThat(errno(() -> sys.select(closed + 1, rs, 0, 0, 0))).isEqualTo(Errno.EBADF);
            assertThat(sys.select(closed, rs, 0, 0, 0)).isZero();
            assertThat(errno(() -> sys.select(-1, 0, 0, 0, 0))).isEqualTo(Errno.EINVAL);
            // select(0, ...) is a sleep
            long t0 = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
            assertThat(sys.select(0, 0, 0, 0, 10_000)).isZero();
            assertThat(sys.clockGettime(Clocks.CLOCK_MONOTONIC) - t0).isGreaterThanOrEqualTo(10_000_000L);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void eventfdCounterSemaphoreAndOverflow(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            assertThat(errno(() -> sys.eventfd(0, 0x4000_0000))).isEqualTo(Errno.EINVAL);
            int e = sys.eventfd(5, EventFd.EFD_NONBLOCK);
            assertThat(poll(sys, e, Poll.POLLIN | Poll.POLLOUT, 0)).isEqualTo(Poll.POLLIN | Poll.POLLOUT);
            efdWrite(sys, e, 7);
            assertThat(efdRead(sys, e)).as("the whole counter, reset to 0").isEqualTo(12);
            assertThat(errno(() -> efdRead(sys, e))).isEqualTo(Errno.EAGAIN);
            assertThat(poll(sys, e, Poll.POLLIN | Poll.POLLOUT, 0)).isEqualTo(Poll.POLLOUT);
            long b = Libc.alloc(sys, 8);
            assertThat(errno(() -> sys.read(e, b, 7))).as("buffer below 8").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.write(e, b, 4))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> efdWrite(sys, e, -1L))).as("2^64-1").isEqualTo(Errno.EINVAL);
            efdWrite(sys, e, -2L); // 2^64-2: the maximum
            assertThat(poll(sys, e, Poll.POLLIN | Poll.POLLOUT, 0)).as("full: not writable").isEqualTo(Poll.POLLIN);
            assertThat(errno(() -> efdWrite(sys, e, 1))).as("overflow, non-blocking").isEqualTo(Errno.EAGAIN);
            efdWrite(sys, e, 0); // writing 0 is allowed even when full
            assertThat(efdRead(sys, e)).isEqualTo(-2L);
            // semaphore: each read takes 1
            int s = sys.eventfd(3, EventFd.EFD_SEMAPHORE | EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
            assertThat(List.of(efdRead(sys, s), efdRead(sys, s), efdRead(sys, s))).containsExactly(1L, 1L, 1L);
            assertThat(errno(() -> efdRead(sys, s))).isEqualTo(Errno.EAGAIN);
            // a blocking write that would overflow waits for a reader (another thread)
            int blk = sys.eventfd(0, 0);
            efdWrite(sys, blk, -3L);
            int pid = sys.getpid();
            int t = sys.threadCreate(s2 -> {
                efdWrite(s2, blk, 5);
                return 0;
            });
            GuestOps.awaitParked(os(m), pid, 1);
            assertThat(efdRead(sys, blk)).isEqualTo(-3L);
            sys.threadJoin(t);
            assertThat(efdRead(sys, blk)).isEqualTo(5);
            return 0;
        }).assertOk();
    }
}
