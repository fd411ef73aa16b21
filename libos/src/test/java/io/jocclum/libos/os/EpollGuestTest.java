package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.EventFd;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.api.Epoll.EPOLLERR;
import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLEXCLUSIVE;
import static io.jocclum.api.Epoll.EPOLLHUP;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLONESHOT;
import static io.jocclum.api.Epoll.EPOLLOUT;
import static io.jocclum.api.Epoll.EPOLLRDHUP;
import static io.jocclum.api.Epoll.EPOLL_CTL_ADD;
import static io.jocclum.api.Epoll.EPOLL_CTL_DEL;
import static io.jocclum.api.Epoll.EPOLL_CTL_MOD;
import static io.jocclum.libos.os.GuestOps.add;
import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.poll;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.epWait;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * epoll(7) through the syscall interface: epoll_ctl's checks in Linux's order, LT/ET/ONESHOT,
 * EXCLUSIVE, nesting and ELOOP, registrations that follow the open file across dup, close and
 * processes, wake-up counts with several waiting threads (after the kernel's
 * epoll_wakeup_test), epoll_pwait's mask and EINTR.
 */
class EpollGuestTest extends OsTestBase {
    private static final EpollEvent IN = new EpollEvent(EPOLLIN, 0);

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void epollCtlChecksInLinuxOrder(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int ep = sys.epollCreate1(Epoll.EPOLL_CLOEXEC);
            int[] p = sys.pipe();
            int file = sys.open("/tmp/epoll-regular", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
            assertThat(errno(() -> sys.epollCtl(-1, EPOLL_CTL_ADD, -1, null))).as("EFAULT before anything").isEqualTo(Errno.EFAULT);
            assertThat(errno(() -> sys.epollCtl(999, EPOLL_CTL_ADD, p[0], IN))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_ADD, 999, IN))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.epollCtl(p[1], EPOLL_CTL_ADD, file, IN))).as("EPERM before 'not an epoll'").isEqualTo(Errno.EPERM);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_ADD, file, IN))).isEqualTo(Errno.EPERM);
            assertThat(errno(() -> sys.epollCtl(p[1], EPOLL_CTL_ADD, p[0], IN))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_ADD, ep, IN))).as("itself").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_MOD, p[0], IN))).isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_DEL, p[0], null))).isEqualTo(Errno.ENOENT);
            sys.epollCtl(ep, EPOLL_CTL_ADD, p[0], IN);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_ADD, p[0], IN))).isEqualTo(Errno.EEXIST);
            assertThat(errno(() -> sys.epollCtl(ep, 7, p[0], IN))).as("unknown op").isEqualTo(Errno.EINVAL);
            // EPOLLEXCLUSIVE rules
            assertThat(errno(() -> add(sys, ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> add(sys, ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLRDHUP, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_MOD, p[0], new EpollEvent(EPOLLIN | EPOLLEXCLUSIVE, 0)))).isEqualTo(Errno.EINVAL);
            add(sys, ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET, 0);
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_MOD, p[1], new EpollEvent(EPOLLOUT, 0))))
                    .as("any MOD of an exclusive item").isEqualTo(Errno.EINVAL);
            int inner = sys.epollCreate1(0);
            assertThat(errno(() -> add(sys, ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 0))).as("exclusive on an epoll").isEqualTo(Errno.EINVAL);
            // loops and depth
            add(sys, ep, inner, EPOLLIN, 0);
            assertThat(errno(() -> add(sys, inner, ep, EPOLLIN, 0))).isEqualTo(Errno.ELOOP);
            int[] chain = new int[6];
            int[] q = sys.pipe();
            chain[0] = sys.epollCreate1(0);
            add(sys, chain[0], q[0], EPOLLIN, 0);
            for (int i = 1; i < 5; i++) {
                chain[i] = sys.epollCreate1(0);
                add(sys, chain[i], chain[i - 1], EPOLLIN, i);
            }
            chain[5] = sys.epollCreate1(0);
            assertThat(errno(() -> add(sys, chain[5], chain[4], EPOLLIN, 5))).as("a sixth level").isEqualTo(Errno.ELOOP);
            // readiness propagates through five levels
            write(sys, q[1], new byte[]{1});
            assertThat(epWait(sys, chain[4], 4, -1)).containsExactly(new EpollEvent(EPOLLIN, 4));
            // create and wait argument checks
            assertThat(errno(() -> sys.epollCreate1(1))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> epWait(sys, ep, 0, 0))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> epWait(sys, p[0], 1, 0))).as("not an epoll").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> epWait(sys, 999, 1, 0))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sys.epollWait(ep, 0, 4, 0))).as("ready events, unwritable buffer").isEqualTo(Errno.EFAULT);
            return 0;
        }).assertOk();
    }

    @Test
    void levelEdgeAndOneShot() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int ep = sys.epollCreate1(0);
            int[] lt = sys.pipe();
            int[] et = sys.pipe();
            int[] os = sys.pipe();
            add(sys, ep, lt[0], EPOLLIN, 1);
            add(sys, ep, et[0], EPOLLIN | EPOLLET, 2);
            add(sys, ep, os[0], EPOLLIN | EPOLLONESHOT, 3);
            assertThat(epWait(sys, ep, 8, 0)).isEmpty();
            for (int[] p : List.of(lt, et, os)) {
                write(sys, p[1], new byte[]{1});
            }
            assertThat(epWait(sys, ep, 8, 0)).containsExactlyInAnyOrder(new EpollEvent(EPOLLIN, 1), new EpollEvent(EPOLLIN, 2),
                    new EpollEvent(EPOLLIN, 3));
            assertThat(epWait(sys, ep, 8, 0)).as("only LT again").containsExactly(new EpollEvent(EPOLLIN, 1));
            write(sys, et[1], new byte[]{2});
            write(sys, os[1], new byte[]{2});
            assertThat(epWait(sys, ep, 8, 0)).as("every write is a new edge; ONESHOT stays disarmed")
                    .containsExactlyInAnyOrder(new EpollEvent(EPOLLIN, 1), new EpollEvent(EPOLLIN, 2));
            sys.close(os[1]);
            assertThat(epWait(sys, ep, 8, 0)).as("not even HUP for a disarmed item").containsExactly(new EpollEvent(EPOLLIN, 1));
            sys.epollCtl(ep, EPOLL_CTL_MOD, os[0], new EpollEvent(EPOLLIN | EPOLLONESHOT, 33));
            assertThat(epWait(sys, ep, 8, 0)).as("MOD re-arms and polls at once")
                    .containsExactlyInAnyOrder(new EpollEvent(EPOLLIN, 1), new EpollEvent(EPOLLIN | EPOLLHUP, 33));
            // ET re-arm by MOD while still readable
            sys.epollCtl(ep, EPOLL_CTL_MOD, et[0], new EpollEvent(EPOLLIN | EPOLLET, 22));
            assertThat(epWait(sys, ep, 8, 0)).containsExactlyInAnyOrder(new EpollEvent(EPOLLIN, 1), new EpollEvent(EPOLLIN, 22));
            // events are readiness ∩ (mask ∪ ERR|HUP): a write end polled for IN only reports ERR once the reader is gone
            add(sys, ep, lt[1], EPOLLIN, 4);
            sys.epollCtl(ep, EPOLL_CTL_DEL, lt[0], null);
            assertThat(epWait(sys, ep, 8, 0)).isEmpty();
            sys.close(lt[0]);
            assertThat(epWait(sys, ep, 8, 0)).containsExactly(new EpollEvent(EPOLLERR, 4));
            // pipes never produce RDHUP, even when asked: a closed writer is HUP
            int[] rd = sys.pipe();
            int hup = sys.epollCreate1(0);
            add(sys, hup, rd[0], EPOLLIN | EPOLLRDHUP, 5);
            sys.close(rd[1]);
            assertThat(epWait(sys, hup, 8, 0)).containsExactly(new EpollEvent(EPOLLHUP, 5));
            // round robin: maxevents 1 over three LT items returns each in turn
            int rr = sys.epollCreate1(0);
            int[][] ps = {sys.pipe(), sys.pipe(), sys.pipe()};
            for (int i = 0; i < 3; i++) {
                add(sys, rr, ps[i][0], EPOLLIN, 100 + i);
                write(sys, ps[i][1], new byte[]{1});
            }
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                List<EpollEvent> one = epWait(sys, rr, 1, 0);
                assertThat(one).hasSize(1);
                seen.add(one.getFirst().data());
            }
            assertThat(seen).containsExactlyInAnyOrder(100L, 101L, 102L);
            return 0;
        }).assertOk();
    }

    @Test
    void registrationsFollowTheOpenFileAcrossDupCloseAndProcesses() throws Exception {
        Booted os = os(Matrix.PLAIN_ON_SGX2);
        os.program("child", (sys, argv, envp) -> {
            // holds the inherited read end (fd 5) until told to go: the parent's registration must live until then
            read(sys, 0, 1);
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int ep = sys.epollCreate1(0);
            int[] p = sys.pipe();
            add(sys, ep, p[0], EPOLLIN, 7);
            int d = sys.dup(p[0]);
            add(sys, ep, d, EPOLLIN | EPOLLET, 8);
            write(sys, p[1], new byte[]{1});
            assertThat(epWait(sys, ep, 8, 0)).as("each registration reports on its own")
                    .containsExactlyInAnyOrder(new EpollEvent(EPOLLIN, 7), new EpollEvent(EPOLLIN, 8));
            sys.close(p[0]);
            assertThat(epWait(sys, ep, 8, 0)).as("closing one descriptor keeps the registration (a dup lives)")
                    .containsExactly(new EpollEvent(EPOLLIN, 7));
            assertThat(errno(() -> sys.epollCtl(ep, EPOLL_CTL_DEL, p[0], null))).as("DEL of the closed number").isEqualTo(Errno.EBADF);
            // a child inherits the read end as fd 5, then the parent closes its last copy
            int[] go = sys.pipe2(OpenFlags.O_CLOEXEC);
            int child = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(d, 5), SpawnAction.dup2(go[0], 0)),
                    new String[]{"child"}, null);
            sys.close(d);
            assertThat(epWait(sys, ep, 8, 0)).as("the child's descriptor keeps the open file").containsExactly(new EpollEvent(EPOLLIN, 7));
            write(sys, go[1], new byte[]{1});
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            assertThat(epWait(sys, ep, 8, 0)).as("the last descriptor anywhere is gone").isEmpty();
            sys.close(go[0]);
            sys.close(go[1]);
            // the number is reused by a new file and can be added again
            int[] p2 = sys.pipe();
            assertThat(p2[0]).isEqualTo(p[0]);
            add(sys, ep, p2[0], EPOLLIN, 9);
            write(sys, p2[1], new byte[]{1});
            assertThat(epWait(sys, ep, 8, 0)).containsExactly(new EpollEvent(EPOLLIN, 9));
            // an epoll is pollable, exactly: readable iff epoll_wait would return something
            assertThat(poll(sys, ep, Poll.POLLIN, 0)).isEqualTo(Poll.POLLIN);
            read(sys, p2[0], 10);
            assertThat(poll(sys, ep, Poll.POLLIN, 0)).as("a stale ready item does not count").isZero();
            return 0;
        }).assertOk();
    }

    /** Threads of the guest process, each doing one epoll_wait(-1) on its epoll and counting returns. */
    private static final class Waiters {
        final AtomicInteger returned = new AtomicInteger();
        final List<Integer> tids = new ArrayList<>();

        void start(Syscalls sys, int ep, int n) {
            for (int i = 0; i < n; i++) {
                tids.add(sys.threadCreate(s -> {
                    assertThat(epWait(s, ep, 4, -1)).isNotEmpty();
                    returned.incrementAndGet();
                    return 0;
                }));
            }
        }

        void join(Syscalls sys) {
            for (int t : tids) {
                sys.threadJoin(t);
            }
        }
    }

    @Test
    void wakeUpCountsWithSeveralThreadsOnOneEpoll() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.run((sys, argv, envp) -> {
            int pid = sys.getpid();
            // t0 t1 t2 on e0 (lt) on s0: one write wakes all three
            int[] s = sys.pipe();
            int ep = sys.epollCreate1(0);
            add(sys, ep, s[0], EPOLLIN, 0);
            Waiters w = new Waiters();
            w.start(sys, ep, 3);
            GuestOps.awaitEpollWaiters(os, pid, ep, 3);
            write(sys, s[1], new byte[]{1});
            w.join(sys);
            assertThat(w.returned).hasValue(3);

            // t0 t1 t2 on e0 (et) on s0: one write wakes exactly one
            int[] s2 = sys.pipe();
            int ep2 = sys.epollCreate1(0);
            add(sys, ep2, s2[0], EPOLLIN | EPOLLET, 0);
            Waiters w2 = new Waiters();
            w2.start(sys, ep2, 3);
            GuestOps.awaitEpollWaiters(os, pid, ep2, 3);
            for (int k = 1; k <= 3; k++) {
                write(sys, s2[1], new byte[]{1});
                int want = k;
                io.jocclum.libos.support.Quiesce.until(() -> w2.returned.get() >= want, want + " returned");
                GuestOps.awaitSettled(os, pid, ep2, 3 - k);
                assertThat(w2.returned).as("after write %d", k).hasValue(k);
            }
            w2.join(sys);

            // EPOLLEXCLUSIVE: e0 and e1 both exclusive on s0, one thread on each: a write wakes one epoll
            int efd = sys.eventfd(0, EventFd.EFD_NONBLOCK);
            int x0 = sys.epollCreate1(0);
            int x1 = sys.epollCreate1(0);
            add(sys, x0, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLET, 0);
            add(sys, x1, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLET, 1);
            Waiters w3 = new Waiters();
            w3.start(sys, x0, 1);
            w3.start(sys, x1, 1);
            GuestOps.awaitEpollWaiters(os, pid, x0, 1);
            GuestOps.awaitEpollWaiters(os, pid, x1, 1);
            GuestOps.efdWrite(sys, efd, 1);
            io.jocclum.libos.support.Quiesce.until(() -> w3.returned.get() >= 1, "one returned");
            io.jocclum.libos.support.Quiesce.until(() -> GuestOps.epollWaiters(os, pid, x0) + GuestOps.epollWaiters(os, pid, x1) == 1,
                    "one still waiting");
            int still = GuestOps.epollWaiters(os, pid, x0) == 1 ? x0 : x1;
            GuestOps.awaitSettled(os, pid, still, 1);
            assertThat(w3.returned).hasValue(1);
            GuestOps.efdWrite(sys, efd, 1); // nobody waits on the first epoll any more: the second takes it
            w3.join(sys);
            assertThat(w3.returned).hasValue(2);
            return 0;
        }).assertOk();
    }

    @Test
    void wakeUpCountsThroughNestedEpolls() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.run((sys, argv, envp) -> {
            int pid = sys.getpid();
            // t0 t1 on e1 (lt) -> e0 (lt) -> s0: a write wakes both
            int[] s = sys.pipe();
            int e0 = sys.epollCreate1(0);
            int e1 = sys.epollCreate1(0);
            add(sys, e0, s[0], EPOLLIN, 0);
            add(sys, e1, e0, EPOLLIN, 0);
            Waiters w = new Waiters();
            w.start(sys, e1, 2);
            GuestOps.awaitEpollWaiters(os, pid, e1, 2);
            write(sys, s[1], new byte[]{1});
            w.join(sys);
            assertThat(w.returned).hasValue(2);

            // t0 on e0 (the inner, lt on s0), t1 on e1 (the outer, et on e0): a write wakes both, each once.
            // (With e0 et on s0 it is a race, as on Linux: t1 finds e0 empty when t0 consumed the edge first,
            // which is why the kernel's epoll_wakeup_test accepts 1 or 2 there.)
            int[] s2 = sys.pipe();
            int f0 = sys.epollCreate1(0);
            int f1 = sys.epollCreate1(0);
            add(sys, f0, s2[0], EPOLLIN, 0);
            add(sys, f1, f0, EPOLLIN | EPOLLET, 0);
            Waiters inner = new Waiters();
            Waiters outer = new Waiters();
            inner.start(sys, f0, 1);
            outer.start(sys, f1, 1);
            GuestOps.awaitEpollWaiters(os, pid, f0, 1);
            GuestOps.awaitEpollWaiters(os, pid, f1, 1);
            write(sys, s2[1], new byte[]{1});
            inner.join(sys);
            outer.join(sys);
            assertThat(inner.returned).hasValue(1);
            assertThat(outer.returned).hasValue(1);

            // t0 t1 on e1 (et) -> e0 (et) -> s0: one write wakes exactly one
            int[] s3 = sys.pipe();
            int g0 = sys.epollCreate1(0);
            int g1 = sys.epollCreate1(0);
            add(sys, g0, s3[0], EPOLLIN | EPOLLET, 0);
            add(sys, g1, g0, EPOLLIN | EPOLLET, 0);
            Waiters w3 = new Waiters();
            w3.start(sys, g1, 2);
            GuestOps.awaitEpollWaiters(os, pid, g1, 2);
            write(sys, s3[1], new byte[]{1});
            io.jocclum.libos.support.Quiesce.until(() -> w3.returned.get() >= 1, "one returned");
            GuestOps.awaitSettled(os, pid, g1, 1);
            assertThat(w3.returned).hasValue(1);
            write(sys, s3[1], new byte[]{1});
            w3.join(sys);
            assertThat(w3.returned).hasValue(2);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void epollPwaitInstallsItsMaskAndEpollWaitIsNeverRestarted(Matrix m) throws Exception {
        Booted os = os(m);
        os.run((sys, argv, envp) -> {
            int pid = sys.getpid();
            AtomicInteger handled = new AtomicInteger();
            sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> handled.incrementAndGet(), Signal.SA_RESTART));
            long usr1 = Signal.bit(Signal.SIGUSR1);
            sys.sigprocmask(Signal.SIG_BLOCK, usr1);
            int ep = sys.epollCreate1(0);
            int[] p = sys.pipe();
            add(sys, ep, p[0], EPOLLIN, 0);
            // blocked: a pending SIGUSR1 does not disturb epoll_wait
            sys.kill(pid, Signal.SIGUSR1);
            assertThat(epWait(sys, ep, 4, 0)).isEmpty();
            assertThat(handled).hasValue(0);
            // epoll_pwait with a mask that lets it in: EINTR (never restarted, despite SA_RESTART), handler ran once
            assertThat(errno(() -> epWait(sys, ep, 4, -1, 0L))).isEqualTo(Errno.EINTR);
            assertThat(handled).hasValue(1);
            assertThat(sys.sigprocmask(Signal.SIG_BLOCK, 0)).as("the old mask is back").isEqualTo(usr1);
            // a signal sent while the thread sleeps in epoll_pwait (from another thread, which blocks it too)
            int killer = sys.threadCreate(s -> {
                GuestOps.awaitEpollWaiters(os, pid, ep, 1);
                s.kill(pid, Signal.SIGUSR1);
                return 0;
            });
            assertThat(errno(() -> epWait(sys, ep, 4, -1, 0L))).isEqualTo(Errno.EINTR);
            sys.threadJoin(killer);
            assertThat(handled).hasValue(2);
            // ready events win over the signal, and the old mask is restored at once: the signal stays pending
            // (Linux: restore_saved_sigmask_unless(ep_err == -EINTR))
            write(sys, p[1], new byte[]{1});
            sys.kill(pid, Signal.SIGUSR1);
            assertThat(epWait(sys, ep, 4, -1, 0L)).containsExactly(new EpollEvent(EPOLLIN, 0));
            assertThat(handled).hasValue(2);
            assertThat(Signal.member(sys.sigpending(), Signal.SIGUSR1)).isTrue();
            sys.sigprocmask(Signal.SIG_UNBLOCK, usr1);
            assertThat(handled).hasValue(3);
            return 0;
        }).assertOk();
    }
}
