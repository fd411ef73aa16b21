package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLRDNORM;
import static org.assertj.core.api.Assertions.assertThat;

/** Nested epolls are ordinary pollable files (Occlum models them as host files: W3, W4). */
class EpollNestingTest extends EpollTesting {

    @Test
    void innerReadinessPropagatesToTheOuterEpoll() {
        int[] p = pipes.pipe(c);
        int inner = epoll();
        int outer = epoll();
        add(inner, p[0], EPOLLIN, 1);
        add(outer, inner, EPOLLIN, 2);
        assertThat(count(outer)).isZero();
        write(p[1], 1);
        assertThat(poll(outer, 2).toList(1)).containsExactly(new EpollEvent(EPOLLIN, 2));
        assertThat(count(outer)).as("level-triggered nesting stays level-triggered").isEqualTo(1);
        assertThat(count(inner)).isEqualTo(1);
        drain(p[0]);
        assertThat(count(outer)).as("readable iff epoll_wait on the inner would return something").isZero();
    }

    /** W3: an inner epoll that is already ready when added is reported at once. */
    @Test
    void alreadyReadyInnerIsReportedOnAdd() {
        int[] p = pipes.pipe(c);
        write(p[1], 1);
        int inner = epoll();
        add(inner, p[0], EPOLLIN, 1);
        int outer = epoll();
        add(outer, inner, EPOLLIN, 2);
        assertThat(count(outer)).isEqualTo(1);
    }

    /** W3: a new event on an item already queued in the inner still reaches an edge-triggered outer. */
    @Test
    void newEventsOnAnAlreadyQueuedInnerItemReachTheOuter() {
        int[] p = pipes.pipe(c);
        int inner = epoll();
        int outer = epoll();
        add(inner, p[0], EPOLLIN, 1);
        add(outer, inner, EPOLLIN | EPOLLET, 2);
        write(p[1], 1);
        assertThat(count(outer)).isEqualTo(1);
        assertThat(count(outer)).isZero();
        write(p[1], 1); // the inner's item is still queued (never drained)
        assertThat(count(outer)).isEqualTo(1);
    }

    /** W4: polling an epoll fd is exact: idle or stale entries do not make it readable. */
    @Test
    void pollOnAnEpollFdIsExact() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 0);
        EpollFile f = epollFile(ep);
        assertThat(f.poll()).isZero();
        write(p[1], 1);
        assertThat(f.poll()).isEqualTo(EPOLLIN | EPOLLRDNORM);
        drain(p[0]);
        assertThat(f.readyCount()).as("stale entry still queued").isEqualTo(1);
        assertThat(f.poll()).isZero();
        assertThat(f.readyCount()).as("dropped by the poll").isZero();
        int[] fds = {ep};
        int[] rev = new int[1];
        assertThat(PollCalls.poll(c, 1, fds, new int[] {EPOLLIN}, rev, 0)).isZero();
    }

    @Test
    void threadBlockedOnTheOuterIsWokenByAWriteIntoTheInner() {
        int[] p = pipes.pipe(c);
        int inner = epoll();
        int middle = epoll();
        int outer = epoll();
        add(inner, p[0], EPOLLIN, 1);
        add(middle, inner, EPOLLIN, 2);
        add(outer, middle, EPOLLIN, 3);
        Caller t = thread(c, new TestSignals());
        AtomicInteger got = new AtomicInteger(-1);
        EpollEvents ev = new EpollEvents(1);
        Thread w = vthread("outer waiter", () -> got.set(epolls.epollWait(t, outer, ev, 1, -1)));
        Quiesce.until(() -> epollFile(outer).waiterCount() == 1 && Quiesce.parked(w), "blocked on outer");
        write(p[1], 1);
        Quiesce.join(w);
        assertThat(got).hasValue(1);
        assertThat(ev.data(0)).isEqualTo(3);
    }

    /**
     * The lost wake-up of nested epoll, as a controlled interleaving: thread A is in epoll_wait on
     * the inner epoll and has just taken its ready list out (the scan's test hook stops it there);
     * thread B then waits on the outer epoll, whose scan polls the inner. Linux's
     * {@code __ep_eventpoll_poll} takes the inner's {@code ep->mtx}, so B waits for A's scan, after
     * which the level-triggered pipe item is back on the inner's ready list and B reports it. Reading
     * the inner's ready count without the mutex made B see an empty inner: with a timeout of 0 it
     * returned 0 (this case), with no timeout it slept for ever
     * ({@link #anOuterWaiterDoesNotSleepWhileTheInnerIsReadable}).
     */
    @Test
    void theOuterSeesTheInnerReadyWhileAnInnerWaiterScans() throws InterruptedException {
        int[] got = nestedTwoWaiters(0);
        assertThat(got[0]).as("the inner waiter").isEqualTo(1);
        assertThat(got[1]).as("the outer waiter, polling the inner during the inner's scan").isEqualTo(1);
    }

    /** The same interleaving with a blocking outer waiter: it must not go to sleep with the inner readable. */
    @Test
    void anOuterWaiterDoesNotSleepWhileTheInnerIsReadable() throws InterruptedException {
        int[] got = nestedTwoWaiters(-1);
        assertThat(got[0]).as("the inner waiter").isEqualTo(1);
        assertThat(got[1]).as("the outer waiter returned without another event").isEqualTo(1);
    }

    /**
     * Runs the interleaving of the two tests above; returns {inner waiter's count, outer waiter's
     * count}, the outer's -2 when it went to sleep with the inner readable (it is woken afterwards
     * by a second write, so the test ends either way).
     */
    private int[] nestedTwoWaiters(int outerTimeoutMs) throws InterruptedException {
        int[] p = pipes.pipe(c);
        int inner = epoll();
        int outer = epoll();
        add(inner, p[0], EPOLLIN, 1);
        add(outer, inner, EPOLLIN, 2);
        write(p[1], 1); // level-triggered and never drained: the inner stays readable
        EpollFile in = epollFile(inner);
        EpollFile out = epollFile(outer);
        CountDownLatch detached = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        in.afterDetachHook = () -> {
            in.afterDetachHook = null;
            detached.countDown();
            awaitUninterruptibly(proceed);
        };
        Caller ta = thread(c, new TestSignals());
        Caller tb = thread(c, new TestSignals());
        AtomicInteger innerGot = new AtomicInteger(-1);
        AtomicInteger outerGot = new AtomicInteger(-1);
        Thread a = vthread("inner waiter", () -> innerGot.set(epolls.epollWait(ta, inner, new EpollEvents(4), 4, -1)));
        detached.await();
        assertThat(in.readyCount()).as("A holds the inner's ready list").isZero();
        Thread b = vthread("outer waiter", () -> outerGot.set(epolls.epollWait(tb, outer, new EpollEvents(4), 4, outerTimeoutMs)));
        // B finished, sleeps on the outer, or waits for the inner's scan (its mutex)
        Quiesce.until(() -> !b.isAlive() || in.mtx.hasQueuedThread(b) || (out.waiterCount() == 1 && Quiesce.parked(b)),
                "the outer waiter decided");
        proceed.countDown();
        Quiesce.join(a);
        Quiesce.until(() -> !b.isAlive() || (out.waiterCount() == 1 && Quiesce.parked(b)), "the outer waiter settled");
        int outerResult = b.isAlive() ? -2 : outerGot.get();
        if (b.isAlive()) {
            write(p[1], 1); // a new event wakes the lost sleeper so the test can end
            Quiesce.join(b);
        }
        return new int[] {innerGot.get(), outerResult};
    }

    private static void awaitUninterruptibly(CountDownLatch l) {
        boolean done = false;
        while (!done) {
            try {
                l.await();
                done = true;
            } catch (InterruptedException e) {
                // keep waiting: the test releases the latch
            }
        }
    }

    @Test
    void closingTheInnerRemovesItFromTheOuter() {
        int inner = epoll();
        int outer = epoll();
        add(outer, inner, EPOLLIN, 0);
        FileCalls.close(c, inner);
        assertThat(epollFile(outer).size()).isZero();
        int again = epoll();
        assertThat(again).isEqualTo(inner);
        add(outer, again, EPOLLIN, 0); // the number is free to be added again
    }
}
