package io.jocclum.libos.epoll;

import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLEXCLUSIVE;
import static io.jocclum.api.Epoll.EPOLLIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wake-up counts with several threads, after the kernel selftest
 * tools/testing/selftests/filesystems/epoll/epoll_wakeup_test.c (its diagrams: t = thread,
 * e = epoll, s = source; "lt"/"et" the trigger mode). A waiter that was not woken is proved
 * still asleep: parked, queued, and holding no pending notification.
 */
class EpollWakeupTest extends EpollTesting {

    private final List<Thread> threads = new ArrayList<>();

    private Thread waitOn(int ep, AtomicInteger returned) {
        Caller t = thread(c, new TestSignals());
        Thread th = vthread("waiter", () -> {
            int n = epolls.epollWait(t, ep, new EpollEvents(4), 4, -1);
            if (n > 0) {
                returned.incrementAndGet();
            }
        });
        threads.add(th);
        return th;
    }

    private void allParked(int ep, int n) {
        Quiesce.until(() -> epollFile(ep).waiterCount() == n && threads.stream().filter(Thread::isAlive).allMatch(Quiesce::parked),
                n + " waiters parked on the epoll");
    }

    /** Only {@code n} returned; the rest are parked with no wake-up pending. */
    private void settled(int ep, AtomicInteger returned, int n, int stillWaiting) {
        Quiesce.until(() -> returned.get() >= n, n + " returned");
        Quiesce.until(() -> threads.stream().filter(Thread::isAlive).count() == stillWaiting
                && threads.stream().filter(Thread::isAlive).allMatch(Quiesce::parked)
                && epollFile(ep).waiterCount() == stillWaiting, "the others asleep again");
        assertThat(returned).hasValue(n);
        assertThat(epollFile(ep).notifiedWaiters()).as("no wake-up pending for the sleepers").isZero();
    }

    private void release(int wfd, int ep, AtomicInteger returned) {
        while (threads.stream().anyMatch(Thread::isAlive)) {
            write(wfd, 1);
            Quiesce.until(() -> threads.stream().filter(Thread::isAlive).allMatch(Quiesce::parked), "settled");
        }
        threads.forEach(Quiesce::join);
    }

    /** epoll3-style: t0 t1 t2 (ew) on e0 (lt) s0: one write wakes all three (LT chain wake-up). */
    @Test
    void levelTriggeredOneWriteWakesEveryWaiter() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 0);
        AtomicInteger returned = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            waitOn(ep, returned);
        }
        allParked(ep, 3);
        write(p[1], 1);
        threads.forEach(Quiesce::join);
        assertThat(returned).hasValue(3);
    }

    /** epoll4-style: t0 t1 t2 (ew) on e0 (et) s0: one write wakes exactly one. */
    @Test
    void edgeTriggeredOneWriteWakesOneWaiter() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN | EPOLLET, 0);
        AtomicInteger returned = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            waitOn(ep, returned);
        }
        allParked(ep, 3);
        write(p[1], 1);
        settled(ep, returned, 1, 2);
        write(p[1], 1);
        settled(ep, returned, 2, 1);
        release(p[1], ep, returned);
        assertThat(returned).hasValue(3);
    }

    /** EPOLLEXCLUSIVE: three epolls, each with a waiter, watching one pipe exclusively: one write wakes one. */
    @Test
    void exclusiveRegistrationsWakeOneEpoll() {
        int[] p = pipes.pipe(c);
        int[] eps = new int[3];
        AtomicInteger returned = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            eps[i] = epoll();
            add(eps[i], p[0], EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, i);
            waitOn(eps[i], returned);
            allParkedAll();
        }
        write(p[1], 1);
        Quiesce.until(() -> returned.get() >= 1, "one returned");
        Quiesce.until(() -> threads.stream().filter(Thread::isAlive).count() == 2
                && threads.stream().filter(Thread::isAlive).allMatch(Quiesce::parked), "two asleep");
        long pending = 0;
        for (int ep : eps) {
            pending += epollFile(ep).notifiedWaiters();
        }
        assertThat(returned).hasValue(1);
        assertThat(pending).isZero();
        while (threads.stream().anyMatch(Thread::isAlive)) {
            write(p[1], 1);
            Quiesce.until(() -> threads.stream().filter(Thread::isAlive).allMatch(Quiesce::parked), "settled");
        }
        threads.forEach(Quiesce::join);
        assertThat(returned).hasValue(3);
    }

    private void allParkedAll() {
        Quiesce.until(() -> threads.stream().allMatch(Quiesce::parked), "parked");
    }

    /** Without EPOLLEXCLUSIVE every epoll watching the file is woken. */
    @Test
    void nonExclusiveRegistrationsWakeEveryEpoll() {
        int[] p = pipes.pipe(c);
        AtomicInteger returned = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            int ep = epoll();
            add(ep, p[0], EPOLLIN | EPOLLET, i);
            waitOn(ep, returned);
            allParkedAll();
        }
        write(p[1], 1);
        threads.forEach(Quiesce::join);
        assertThat(returned).hasValue(3);
    }

    /** epoll9-style: t0 on e0 (lt) e1 (lt) s0 and t1 on e1: one write wakes both levels. */
    @Test
    void nestedWaitersAtBothLevelsAreWoken() {
        int[] p = pipes.pipe(c);
        int e1 = epoll();
        int e0 = epoll();
        add(e1, p[0], EPOLLIN, 1);
        add(e0, e1, EPOLLIN, 0);
        AtomicInteger returned = new AtomicInteger();
        waitOn(e0, returned);
        waitOn(e1, returned);
        Quiesce.until(() -> epollFile(e0).waiterCount() == 1 && epollFile(e1).waiterCount() == 1
                && threads.stream().allMatch(Quiesce::parked), "both parked");
        write(p[1], 1);
        threads.forEach(Quiesce::join);
        assertThat(returned).hasValue(2);
    }

    /** epoll10-style: two threads on e0 (et) e1 (et) s0: one write wakes one outer waiter. */
    @Test
    void nestedEdgeTriggeredWakesOneOuterWaiter() {
        int[] p = pipes.pipe(c);
        int e1 = epoll();
        int e0 = epoll();
        add(e1, p[0], EPOLLIN | EPOLLET, 1);
        add(e0, e1, EPOLLIN | EPOLLET, 0);
        AtomicInteger returned = new AtomicInteger();
        waitOn(e0, returned);
        waitOn(e0, returned);
        allParked(e0, 2);
        write(p[1], 1);
        settled(e0, returned, 1, 1);
        write(p[1], 1);
        threads.forEach(Quiesce::join);
        assertThat(returned).hasValue(2);
        FileCalls.read(c, p[0], ByteBuffer.allocate(8));
    }
}
