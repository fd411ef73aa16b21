package io.jocclum.libos.epoll;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLHUP;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLONESHOT;
import static io.jocclum.api.Epoll.EPOLLOUT;
import static io.jocclum.api.Epoll.EPOLLRDNORM;
import static org.assertj.core.api.Assertions.assertThat;

/** epoll_wait/epoll_pwait conformance: LTP epoll_wait01–07, epoll_pwait01–02, and the epoll(7) rules. */
class EpollWaitTest extends EpollTesting {

    private Object waitIn(Caller who, int ep, int timeoutMs) {
        EpollEvents ev = new EpollEvents(8);
        try {
            int n = epolls.epollWait(who, ep, ev, 8, timeoutMs);
            return n == 0 ? 0 : ev.toList(n);
        } catch (ErrnoException e) {
            return e.errno();
        }
    }

    /** LTP epoll_wait01: a pipe's write end is writable, its read end readable after a write. */
    @Test
    void epoll_wait01_pipeInAndOut() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[1], EPOLLOUT, 1);
        assertThat(poll(ep, 4).toList(1)).containsExactly(new EpollEvent(EPOLLOUT, 1));
        add(ep, p[0], EPOLLIN, 0);
        write(p[1], 1);
        assertThat(count(ep)).isEqualTo(2);
    }

    /** LTP epoll_wait02/04: a timeout measured on the injected clock; 0 does not block. */
    @Test
    void epoll_wait02_timeoutAndZeroTimeout() {
        int ep = epoll();
        assertThat(waitIn(c, ep, 0)).isEqualTo(0);
        AtomicReference<Object> out = new AtomicReference<>();
        Caller t = thread(c, new TestSignals());
        Thread w = vthread("waiter", () -> out.set(waitIn(t, ep, 100)));
        Quiesce.until(() -> clock.timedWaiters() == 1 && epollFile(ep).waiterCount() == 1, "waiter blocked with a timeout");
        clock.advanceMillis(99);
        assertThat(w.isAlive()).as("still before the deadline").isTrue();
        clock.advanceMillis(1);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(0);
    }

    /** LTP epoll_wait03: argument errors; maxevents is checked before the descriptor. */
    @Test
    void epoll_wait03_errnos() {
        int ep = epoll();
        int[] p = pipes.pipe(c);
        EpollEvents ev = new EpollEvents(4);
        assertThat(errno(() -> epolls.epollWait(c, ep, ev, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollWait(c, ep, ev, -1, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollWait(c, 99, ev, 0, 0))).as("EINVAL before EBADF").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollWait(c, ep, ev, EpollCalls.EP_MAX_EVENTS + 1, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollWait(c, 99, ev, 4, 0))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> epolls.epollWait(c, p[0], ev, 4, 0))).as("not an epoll").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollWait(c, ep, ev, 5, 0))).as("buffer too small").isEqualTo(Errno.EFAULT);
    }

    @Test
    void eventsGoToGuestMemoryAsPackedStructs() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[1], EPOLLOUT, 0x1122334455667788L);
        ByteBuffer mem = ByteBuffer.allocateDirect(3 * Epoll.EVENT_SIZE + 5).position(5);
        assertThat(epolls.epollWait(c, ep, new EpollEventBuffer(mem), 3, 0)).isEqualTo(1);
        mem.order(ByteOrder.LITTLE_ENDIAN);
        assertThat(mem.getInt(5)).isEqualTo(EPOLLOUT);
        assertThat(mem.getLong(9)).isEqualTo(0x1122334455667788L);
    }

    /** LTP epoll_wait06 style: level-triggered reports again, edge-triggered only on a new event. */
    @Test
    void levelVersusEdge() {
        int[] p = pipes.pipe(c);
        int lt = epoll();
        int et = epoll();
        add(lt, p[0], EPOLLIN, 0);
        add(et, p[0], EPOLLIN | EPOLLET, 0);
        write(p[1], 10);
        assertThat(count(lt)).isEqualTo(1);
        assertThat(count(lt)).isEqualTo(1);
        assertThat(count(et)).isEqualTo(1);
        assertThat(count(et)).isZero();
        FileCalls.read(c, p[0], ByteBuffer.allocate(3)); // still readable, but no new event
        assertThat(count(et)).isZero();
        write(p[1], 1); // every write is a new edge (Linux >= 5.14)
        assertThat(count(et)).isEqualTo(1);
        drain(p[0]);
        assertThat(count(lt)).as("stale ready entries vanish on re-poll").isZero();
    }

    /** LTP epoll_wait07: EPOLLONESHOT reports once — not even HUP — until MOD re-arms it. */
    @Test
    void epoll_wait07_oneShot() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN | EPOLLONESHOT, 9);
        write(p[1], 1);
        assertThat(count(ep)).isEqualTo(1);
        write(p[1], 1);
        assertThat(count(ep)).isZero();
        FileCalls.close(c, p[1]);
        assertThat(count(ep)).as("disarmed: HUP is silenced too").isZero();
        mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 10);
        assertThat(poll(ep, 2).toList(1)).containsExactly(new EpollEvent(EPOLLIN | EPOLLHUP, 10));
    }

    @Test
    void reportedEventsAreReadinessIntersectedWithTheMask() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLRDNORM, 0);
        write(p[1], 1);
        assertThat(poll(ep, 1).events(0)).isEqualTo(EPOLLRDNORM);
    }

    /** Kernel bugzilla 205933: MOD of a ready edge-triggered item re-queues it and wakes a blocked waiter. */
    @Test
    void modOfAReadyEdgeTriggeredItemWakesABlockedWaiter() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN | EPOLLET, 1);
        write(p[1], 1);
        assertThat(count(ep)).isEqualTo(1);
        AtomicReference<Object> out = new AtomicReference<>();
        Caller t = thread(c, new TestSignals());
        Thread w = vthread("waiter", () -> out.set(waitIn(t, ep, -1)));
        Quiesce.until(() -> epollFile(ep).waiterCount() == 1 && Quiesce.parked(w), "blocked");
        mod(ep, p[0], EPOLLIN | EPOLLET, 2);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(java.util.List.of(new EpollEvent(EPOLLIN, 2)));
    }

    @Test
    void addingAReadyFileWakesABlockedWaiter() {
        int[] p = pipes.pipe(c);
        write(p[1], 1);
        int ep = epoll();
        AtomicReference<Object> out = new AtomicReference<>();
        Caller t = thread(c, new TestSignals());
        Thread w = vthread("waiter", () -> out.set(waitIn(t, ep, -1)));
        Quiesce.until(() -> epollFile(ep).waiterCount() == 1, "blocked");
        add(ep, p[0], EPOLLIN, 3);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(java.util.List.of(new EpollEvent(EPOLLIN, 3)));
    }

    /** More ready files than maxevents: successive calls go round-robin. */
    @Test
    void roundRobinBeyondMaxevents() {
        int ep = epoll();
        for (int i = 0; i < 10; i++) {
            int[] p = pipes.pipe(c);
            write(p[1], 1);
            add(ep, p[0], EPOLLIN, i);
        }
        Set<Long> seen = new HashSet<>();
        EpollEvents ev = new EpollEvents(3);
        for (int call = 0; call < 4; call++) {
            int n = epolls.epollWait(c, ep, ev, 3, 0);
            assertThat(n).isEqualTo(3);
            for (int i = 0; i < n; i++) {
                if (call < 3) {
                    assertThat(seen.add(ev.data(i))).as("no repeat before every file was reported").isTrue();
                } else {
                    seen.add(ev.data(i));
                }
            }
        }
        assertThat(seen).hasSize(10);
    }

    /** An epoll_wait interrupted by a signal returns EINTR and is never restarted (signal(7)). */
    @Test
    void signalInterruptsWithEintrButReadyEventsWin() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 0);
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        AtomicReference<Object> out = new AtomicReference<>();
        Thread w = vthread("waiter", () -> out.set(waitIn(t, ep, -1)));
        Quiesce.until(() -> epollFile(ep).waiterCount() == 1 && Quiesce.parked(w), "blocked");
        sig.deliver(10, t.waiter());
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(Errno.EINTR);
        write(p[1], 1);
        assertThat(waitIn(t, ep, -1)).as("events ready: returned even with a signal pending")
                .isEqualTo(java.util.List.of(new EpollEvent(EPOLLIN, 0)));
    }

    /** LTP epoll_pwait01/02: the sigmask is installed for the call; a blocked signal does not interrupt. */
    @Test
    void epoll_pwait_installsTheSignalMaskForTheCall() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 0);
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        long usr1 = 1L << (10 - 1);
        AtomicReference<Object> out = new AtomicReference<>();
        Thread w = vthread("waiter", () -> {
            try {
                out.set(epolls.epollPwait(t, ep, new EpollEvents(1), 1, -1, usr1));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> epollFile(ep).waiterCount() == 1 && Quiesce.parked(w) && sig.mask() == usr1, "blocked with mask");
        sig.deliver(10, t.waiter()); // blocked by the temporary mask: stays pending
        assertThat(w.isAlive()).isTrue();
        write(p[1], 1);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(1);
        assertThat(sig.mask()).as("original mask restored").isZero();
        assertThat(sig.interruptPending()).as("the signal is delivered once unblocked").isTrue();
        assertThat(sig.log).containsExactly("mask 200", "blocked 10", "restore 0");
    }

    @Test
    void epollPwaitRestoresTheMaskAfterTheHandlerWhenInterrupted() {
        int ep = epoll();
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        AtomicReference<Object> out = new AtomicReference<>();
        Thread w = vthread("waiter", () -> {
            try {
                out.set(epolls.epollPwait(t, ep, new EpollEvents(1), 1, -1, 1L << 9));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> epollFile(ep).waiterCount() == 1 && Quiesce.parked(w), "blocked");
        sig.deliver(2, t.waiter());
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(Errno.EINTR);
        assertThat(sig.log).containsExactly("mask 200", "delivered 2", "restore 0 after handler");
    }

    @Test
    void epollPwait2TakesNanosecondsAndNullMeansForever() {
        int ep = epoll();
        AtomicReference<Object> out = new AtomicReference<>();
        Caller t = thread(c, new TestSignals());
        Thread w = vthread("waiter", () -> out.set(epolls.epollPwait2(t, ep, new EpollEvents(1), 1, 1500)));
        Quiesce.until(() -> clock.timedWaiters() == 1, "timed wait");
        clock.advance(1500);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(0);
    }
}
