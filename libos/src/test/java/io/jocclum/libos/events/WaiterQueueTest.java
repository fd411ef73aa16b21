package io.jocclum.libos.events;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WaiterQueueTest {

    @Test
    void wakeAllDrainsAndCountsNewlyNotified() {
        WaiterQueue q = new WaiterQueue();
        Waiter a = Waiter.level();
        Waiter b = Waiter.level();
        b.wake();
        q.enqueue(a);
        WaiterQueue.Node nb = q.enqueue(b);
        assertThat(q.wakeAll()).as("b was already notified").isEqualTo(1);
        assertThat(q.isEmpty()).isTrue();
        q.remove(nb); // removing a woken node is a no-op
        assertThat(q.size()).isZero();
        assertThat(a.isNotified()).isTrue();
    }

    @Test
    void wakeOneWakesASingleExclusiveWaiterSkippingNotifiedOnes() {
        WaiterQueue q = new WaiterQueue();
        Waiter a = Waiter.level();
        Waiter b = Waiter.level();
        Waiter c = Waiter.level();
        a.wake(); // e.g. interrupted by a signal already
        q.enqueueExclusive(a);
        q.enqueueExclusive(b);
        q.enqueueExclusive(c);
        assertThat(q.wakeOne()).isTrue();
        assertThat(b.isNotified()).isTrue();
        assertThat(c.isNotified()).isFalse();
        assertThat(q.size()).as("a (already notified) and c stay queued").isEqualTo(2);
    }

    @Test
    void wakeOneAlsoWakesEveryNonExclusiveWaiter() {
        WaiterQueue q = new WaiterQueue();
        Waiter n1 = Waiter.level();
        Waiter x1 = Waiter.level();
        Waiter x2 = Waiter.level();
        Waiter n2 = Waiter.level();
        q.enqueue(n1);
        q.enqueueExclusive(x1);
        q.enqueueExclusive(x2);
        q.enqueue(n2);
        q.wakeOne();
        assertThat(n1.isNotified()).isTrue();
        assertThat(x1.isNotified()).isTrue();
        assertThat(x2.isNotified()).isFalse();
        assertThat(n2.isNotified()).as("the walk stops at the first exclusive waiter, as Linux does").isFalse();
    }

    @Test
    void removeUnlinksFromAnyPosition() {
        WaiterQueue q = new WaiterQueue();
        WaiterQueue.Node[] n = new WaiterQueue.Node[5];
        Waiter[] w = new Waiter[5];
        for (int i = 0; i < 5; i++) {
            w[i] = Waiter.level();
            n[i] = q.enqueue(w[i]);
        }
        q.remove(n[2]);
        q.remove(n[0]);
        q.remove(n[4]);
        assertThat(q.queuedWaiters()).containsExactly(w[1], w[3]);
        assertThat(q.wakeAll()).isEqualTo(2);
    }
}
