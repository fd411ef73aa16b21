package io.jocclum.libos.events;

import io.jocclum.libos.support.ManualClock;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class WaiterTest {

    @Test
    void wakeBeforeAwaitIsNotLostLevelStaysNotified() {
        Waiter w = Waiter.level();
        assertThat(w.wake()).isTrue();
        assertThat(w.wake()).as("second wake finds it already notified").isFalse();
        assertThat(w.await(WaitClock.system(), WaitClock.FOREVER)).isTrue();
        assertThat(w.isNotified()).as("level waiter stays notified until reset").isTrue();
        w.reset();
        assertThat(w.isNotified()).isFalse();
    }

    @Test
    void edgeWaiterConsumesTheNotification() {
        Waiter w = Waiter.edge();
        w.wake();
        assertThat(w.await(WaitClock.system(), WaitClock.FOREVER)).isTrue();
        assertThat(w.isNotified()).isFalse();
    }

    @Test
    void timeoutFollowsTheInjectedClock() {
        ManualClock clock = new ManualClock();
        Waiter w = Waiter.level();
        AtomicBoolean result = new AtomicBoolean(true);
        Thread t = Thread.ofVirtual().start(() -> result.set(w.await(clock, clock.deadlineAfter(5_000_000))));
        Quiesce.until(() -> clock.timedWaiters() == 1 && w.isParked(), "waiter parked with a deadline");
        clock.advance(4_999_999);
        assertThat(t.isAlive()).as("not yet at the deadline").isTrue();
        clock.advance(1);
        Quiesce.join(t);
        assertThat(result).as("timed out, not woken").isFalse();
    }

    @Test
    void wakeUnparksAParkedThread() {
        Waiter w = Waiter.level();
        AtomicBoolean woken = new AtomicBoolean();
        Thread t = Thread.ofVirtual().start(() -> woken.set(w.await(WaitClock.system(), WaitClock.FOREVER)));
        Quiesce.until(w::isParked, "parked");
        assertThat(w.wake()).isTrue();
        Quiesce.join(t);
        assertThat(woken).isTrue();
    }

    /** Random interleavings of a waker and a waiter that re-checks a flag: no lost wake-up. */
    @Test
    void noLostWakeupsUnderRandomInterleavings() {
        long seed = Seeds.seed("WaiterTest.noLostWakeups");
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 300; round++) {
            WaiterQueue q = new WaiterQueue();
            AtomicInteger value = new AtomicInteger();
            int target = 1 + rnd.nextInt(20);
            int spin = rnd.nextInt(50);
            Thread consumer = Thread.ofVirtual().start(() -> {
                Waiter w = Waiter.level();
                int seen = 0;
                while (seen < target) {
                    w.reset();
                    WaiterQueue.Node n = q.enqueue(w);
                    if (value.get() > seen) {
                        q.remove(n);
                        seen = value.get();
                        continue;
                    }
                    w.await(WaitClock.system(), WaitClock.FOREVER);
                    q.remove(n);
                }
            });
            for (int i = 0; i < target; i++) {
                for (int s = 0; s < spin; s++) {
                    Thread.onSpinWait();
                }
                value.incrementAndGet();
                q.wakeAll();
            }
            Quiesce.join(consumer);
            assertThat(q.isEmpty()).as("seed " + seed + " round " + round).isTrue();
        }
    }
}
