package io.jocclum.sgx.epccg;

import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.MiscCgroup;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

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
}
