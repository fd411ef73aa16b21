package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

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
