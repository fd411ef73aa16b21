package io.jocclum.sgx.epccg;

import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.MiscCgroup;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** queue_work / cancel_work_sync / destroy_workqueue semantics of the async reclaim work queue, in both modes. */
class CgroupWorkqueueTest {
    private final CgroupHierarchy h = new CgroupHierarchy();

    private SgxCgroup cg(String name) {
        h.fs().write("/", "cgroup.subtree_control", "+misc");
        h.fs().mkdir("/" + name);
        MiscCgroup m = h.fs().cgroup("/" + name).misc();
        return new SgxCgroup(m);
    }

    @Test
    void manualQueueingRunningAndRequeueing() {
        SgxCgroup a = cg("a");
        SgxCgroup b = cg("b");
        List<String> ran = new ArrayList<>();
        CgroupWorkqueue[] wq = {null};
        Consumer<SgxCgroup> work = c -> {
            ran.add(c.name());
            if (ran.size() == 1) {
                assertThat(wq[0].isBusy(c)).as("running counts as busy").isTrue();
                assertThat(wq[0].queue(c)).as("queued while running: runs once more").isTrue();
                assertThat(wq[0].queue(c)).as("already queued again").isFalse();
            }
        };
        wq[0] = new CgroupWorkqueue(false, work);
        assertThat(wq[0].queue(a)).isTrue();
        assertThat(wq[0].queue(a)).as("pending: queue_work returns false").isFalse();
        assertThat(wq[0].queue(b)).isTrue();
        assertThat(wq[0].busyCount()).isEqualTo(2);
        assertThat(wq[0].isBusy(a)).isTrue();
        assertThat(wq[0].runPending()).isEqualTo(3);
        assertThat(ran).containsExactly("/a", "/b", "/a");
        assertThat(a.asyncRuns()).isEqualTo(2);
        assertThat(wq[0].busyCount()).isZero();
        assertThat(wq[0].isBusy(a)).isFalse();
        assertThat(wq[0].runPending()).isZero();
    }

    @Test
    void aCancelledItemNeverRunsAndCannotBeQueuedAgain() {
        SgxCgroup a = cg("a");
        List<SgxCgroup> ran = new ArrayList<>();
        CgroupWorkqueue wq = new CgroupWorkqueue(false, ran::add);
        assertThat(wq.queue(a)).isTrue();
        wq.cancelSync(a);
        assertThat(wq.busyCount()).isZero();
        assertThat(wq.queue(a)).isFalse();
        assertThat(wq.runPending()).isZero();
        assertThat(ran).isEmpty();
    }

    @Test
    void shutdownDropsPendingItemsAndRefusesNewOnes() {
        SgxCgroup a = cg("a");
        List<SgxCgroup> ran = new ArrayList<>();
        CgroupWorkqueue wq = new CgroupWorkqueue(false, ran::add);
        wq.queue(a);
        assertThat(wq.isStopped()).isFalse();
        wq.shutdown();
        assertThat(wq.isStopped()).isTrue();
        assertThat(wq.busyCount()).isZero();
        assertThat(wq.isBusy(a)).isFalse();
        assertThat(wq.runPending()).isZero();
        assertThat(wq.queue(a)).isFalse();
        assertThat(ran).isEmpty();
        assertThat(wq.isLocked()).isFalse();
        wq.shutdown();
        assertThat(wq.busyCount()).as("a second shutdown drops nothing twice").isZero();
    }

    @Test
    void threadsRunItemsAndRunPendingWaitsForThem() throws InterruptedException {
        SgxCgroup a = cg("a");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        CgroupWorkqueue wq = new CgroupWorkqueue(true, c -> {
            ran.add(c.name());
            started.countDown();
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(wq.queue(a)).isTrue();
        started.await();
        assertThat(wq.isBusy(a)).isTrue();
        assertThat(wq.queue(a)).as("running: runs once more").isTrue();
        go.countDown();
        assertThat(wq.runPending()).as("threads: waits, runs nothing itself").isZero();
        assertThat(wq.busyCount()).isZero();
        assertThat(ran).containsExactly("/a", "/a");
        wq.cancelSync(a);
        assertThat(wq.queue(a)).isFalse();
        wq.shutdown();
        assertThat(wq.isStopped()).isTrue();
    }

    /*
     * The tests below hold the queue's lock to order the threads without sleeping: an item's thread
     * (or the end of its execution) needs the lock, so it cannot get past that point until the test
     * thread waits on the queue's condition, which releases the lock (all of its holds).
     */

    /**
     * Queues {@code a}'s item in the threads mode while holding the queue's lock, so that its thread
     * blocks before it starts, runs {@code whileHeld}, then releases the lock; returns what ran.
     */
    private static List<SgxCgroup> queuedWhileHoldingTheLock(SgxCgroup a, java.util.function.BiConsumer<CgroupWorkqueue, List<SgxCgroup>> whileHeld) {
        List<SgxCgroup> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        CgroupWorkqueue wq = new CgroupWorkqueue(true, ran::add);
        wq.lock.lock();
        try {
            assertThat(wq.queue(a)).isTrue();
            whileHeld.accept(wq, ran);
        } finally {
            wq.lock.unlock();
        }
        assertThat(wq.isLocked()).isFalse();
        return ran;
    }

    @Test
    void threadsAnItemCancelledBeforeItsThreadStartsNeverRuns() {
        SgxCgroup a = cg("a");
        List<SgxCgroup> ran = queuedWhileHoldingTheLock(a, (wq, r) -> {
            wq.cancelSync(a);                   // queued, not started: its thread will drop it
            assertThat(wq.busyCount()).as("still counted until its thread drops it").isEqualTo(1);
            assertThat(wq.runPending()).as("waits until the thread dropped the item").isZero();
            assertThat(wq.busyCount()).isZero();
            assertThat(wq.isBusy(a)).isFalse();
            assertThat(wq.queue(a)).isFalse();
        });
        assertThat(ran).isEmpty();
        assertThat(a.asyncRuns()).isZero();
    }

    @Test
    void threadsShutdownDropsAnItemWhoseThreadHasNotStarted() {
        SgxCgroup a = cg("a");
        List<SgxCgroup> ran = queuedWhileHoldingTheLock(a, (wq, r) -> {
            wq.shutdown();                      // waits until the item's thread saw the queue stopped
            assertThat(wq.busyCount()).isZero();
            assertThat(wq.isBusy(a)).isFalse();
            assertThat(wq.isStopped()).isTrue();
        });
        assertThat(ran).isEmpty();
    }

    @Test
    void threadsRunPendingWaitsForAnItemWhoseThreadHasNotStarted() {
        SgxCgroup a = cg("a");
        List<SgxCgroup> ran = queuedWhileHoldingTheLock(a, (wq, r) -> {
            assertThat(wq.runPending()).isZero();
            assertThat(r).as("ran before runPending returned").containsExactly(a);
            assertThat(wq.busyCount()).isZero();
        });
        assertThat(ran).containsExactly(a);
        assertThat(a.asyncRuns()).isEqualTo(1);
    }

    @Test
    void threadsCancelSyncWaitsForTheRunningExecution() throws InterruptedException {
        SgxCgroup a = cg("a");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        CgroupWorkqueue wq = new CgroupWorkqueue(true, c -> {
            started.countDown();
            awaitUninterruptibly(go);
        });
        assertThat(wq.queue(a)).isTrue();
        started.await();
        wq.lock.lock();
        try {
            go.countDown();   // the execution ends, and needs the lock to record that
            wq.cancelSync(a);
            assertThat(wq.isBusy(a)).as("cancel_work_sync returns once the execution finished").isFalse();
            assertThat(wq.busyCount()).isZero();
        } finally {
            wq.lock.unlock();
        }
        assertThat(a.asyncRuns()).isEqualTo(1);
        assertThat(wq.queue(a)).isFalse();
    }

    /**
     * MANUAL: {@code runPending} has taken the item off the queue and not started it when the queue
     * is shut down (which drops only the items still queued, so it waits for this one) and the item
     * is then cancelled: the cancellation must wake the waiting shutdown. The test thread runs
     * {@code runPending} and, in the queue's test hook at that moment, holds the lock, starts the
     * shutdown and waits on the queue's condition until the shutdown has signalled it and is itself
     * waiting (the lock comes back only when the shutdown's wait releases it).
     */
    @Test
    void manualCancellingAnItemTakenButNotStartedWakesAWaitingShutdown() throws InterruptedException {
        SgxCgroup a = cg("a");
        List<SgxCgroup> ran = new ArrayList<>();
        CgroupWorkqueue wq = new CgroupWorkqueue(false, ran::add);
        Thread shutdown = Thread.ofVirtual().unstarted(wq::shutdown);
        wq.taken = c -> {
            wq.lock.lock();
            try {
                shutdown.start();
                while (!wq.isStopped()) {
                    wq.changed.awaitUninterruptibly();
                }
                assertThat(wq.busyCount()).as("the taken item keeps the shutdown waiting").isEqualTo(1);
                assertThat(wq.lock.hasWaiters(wq.changed)).as("the shutdown waits").isTrue();
                wq.cancelSync(c);
                assertThat(wq.busyCount()).isZero();
                assertThat(wq.lock.hasWaiters(wq.changed)).as("the cancellation woke the shutdown").isFalse();
                assertThat(wq.lock.hasQueuedThread(shutdown)).as("the shutdown waits for the lock only").isTrue();
            } finally {
                wq.lock.unlock();
            }
        };
        assertThat(wq.queue(a)).isTrue();
        assertThat(wq.runPending()).as("the cancelled item does not run").isZero();
        shutdown.join();
        assertThat(ran).isEmpty();
        assertThat(wq.isStopped()).isTrue();
        assertThat(wq.isBusy(a)).isFalse();
        assertThat(wq.isLocked()).isFalse();
    }

    @Test
    void anExecutionThatThrowsStillEndsOrRequeuesItsItemAndReleasesTheLock() {
        SgxCgroup a = cg("a");
        List<String> ran = new ArrayList<>();
        CgroupWorkqueue[] wq = {null};
        wq[0] = new CgroupWorkqueue(false, c -> {
            ran.add(c.name());
            if (ran.size() == 1) {
                assertThat(wq[0].queue(c)).as("queued again while running").isTrue();
            }
            throw new IllegalStateException("reclaim failed " + ran.size());
        });
        assertThat(wq[0].queue(a)).isTrue();
        assertThatThrownBy(wq[0]::runPending).isInstanceOf(IllegalStateException.class).hasMessage("reclaim failed 1");
        assertThat(wq[0].isLocked()).isFalse();
        assertThat(wq[0].isBusy(a)).as("queued again while running: still queued").isTrue();
        assertThat(wq[0].busyCount()).isEqualTo(1);
        assertThatThrownBy(wq[0]::runPending).isInstanceOf(IllegalStateException.class).hasMessage("reclaim failed 2");
        assertThat(wq[0].isLocked()).isFalse();
        assertThat(wq[0].isBusy(a)).isFalse();
        assertThat(wq[0].busyCount()).isZero();
        assertThat(wq[0].runPending()).isZero();
        assertThat(ran).containsExactly("/a", "/a");
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
