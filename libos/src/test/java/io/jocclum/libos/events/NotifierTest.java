package io.jocclum.libos.events;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class NotifierTest {

    @Test
    void broadcastReachesOnlyMatchingFilters() {
        Notifier n = new Notifier();
        List<String> seen = new ArrayList<>();
        Observer in = ev -> seen.add("in:" + IoEvents.toString(ev));
        Observer out = ev -> seen.add("out:" + IoEvents.toString(ev));
        n.subscribe(in, IoEvents.IN);
        n.subscribe(out, IoEvents.OUT);
        n.broadcast(IoEvents.IN | IoEvents.RDNORM);
        assertThat(seen).containsExactly("in:IN|RDNORM");
        n.broadcast(IoEvents.HUP);
        assertThat(seen).hasSize(1);
    }

    @Test
    void cancelledSubscriptionHearsNothingAndCancelIsIdempotent() {
        Notifier n = new Notifier();
        AtomicInteger calls = new AtomicInteger();
        Observer o = ev -> {
            calls.incrementAndGet();
            return true;
        };
        Subscription s = n.subscribe(o, IoEvents.ALL);
        s.cancel();
        s.cancel();
        n.broadcast(IoEvents.IN);
        assertThat(calls).hasValue(0);
        assertThat(n.size()).isZero();
        assertThat(s.isLive()).isFalse();
    }

    @Test
    void observersRunOutsideTheLockSoTheyMaySubscribeAndCancelDuringABroadcast() {
        Notifier n = new Notifier();
        AtomicInteger late = new AtomicInteger();
        Subscription[] self = new Subscription[1];
        Observer reentrant = ev -> {
            // an observer that changes the notifier it is called from (nested epoll ADD/DEL)
            n.subscribe(e -> late.incrementAndGet() > 0, IoEvents.IN);
            self[0].cancel();
            n.broadcast(IoEvents.OUT); // and broadcasts on it again
            return true;
        };
        self[0] = n.subscribe(reentrant, IoEvents.IN);
        n.broadcast(IoEvents.IN);
        assertThat(late).as("the subscriber added during the broadcast is not in its snapshot").hasValue(0);
        n.broadcast(IoEvents.IN);
        assertThat(late).hasValue(1);
        assertThat(self[0].isLive()).isFalse();
    }

    /** Occlum W1: a dead observer used to end the broadcast; here it is skipped and pruned. */
    @Test
    void deadObserverDoesNotStopTheBroadcastAndIsPruned() {
        Notifier n = new Notifier();
        AtomicInteger after = new AtomicInteger();
        WeakReference<Observer> ref = subscribeGarbage(n);
        Observer alive = ev -> after.incrementAndGet() > 0;
        n.subscribe(alive, IoEvents.IN);
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
        }
        assertThat(ref.get()).as("the unreferenced observer was collected").isNull();
        assertThat(n.size()).isEqualTo(2);
        n.broadcast(IoEvents.IN);
        assertThat(after).as("the live observer after the dead one is still called").hasValue(1);
        assertThat(n.size()).as("the dead subscription was pruned").isEqualTo(1);
        assertThat(alive).isNotNull();
    }

    private static WeakReference<Observer> subscribeGarbage(Notifier n) {
        Object captured = new Object(); // a capturing lambda: a fresh object that can be collected
        Observer o = ev -> captured.hashCode() != 0 || true;
        n.subscribe(o, IoEvents.IN, true);
        return new WeakReference<>(o);
    }

    @Test
    void exclusiveSubscribersAreWokenOneAtATimeAfterAllNonExclusive() {
        Notifier n = new Notifier();
        List<String> order = new ArrayList<>();
        n.subscribe(ev -> order.add("x1") && false, IoEvents.IN, true); // declines the wake-up
        n.subscribe(ev -> order.add("x2"), IoEvents.IN, true);           // takes it
        n.subscribe(ev -> order.add("x3"), IoEvents.IN, true);           // never reached
        n.subscribe(ev -> order.add("n1"), IoEvents.IN);
        n.subscribe(ev -> order.add("n2"), IoEvents.IN);
        n.broadcast(IoEvents.IN);
        assertThat(order.subList(0, 2)).containsExactlyInAnyOrder("n1", "n2");
        assertThat(order.subList(2, order.size())).containsExactly("x1", "x2");
    }

    @Test
    void filterCanBeChangedInPlace() {
        Notifier n = new Notifier();
        AtomicInteger calls = new AtomicInteger();
        Subscription s = n.subscribe(ev -> calls.incrementAndGet() > 0, IoEvents.IN);
        s.setFilter(0);
        n.broadcast(IoEvents.IN);
        assertThat(calls).hasValue(0);
        s.setFilter(IoEvents.IN | IoEvents.OUT);
        n.broadcast(IoEvents.OUT);
        assertThat(calls).hasValue(1);
    }
}
