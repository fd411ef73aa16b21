package io.jocclum.libos.events;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PollerTest {

    @Test
    void subscribeThenRecheckSeesEventsOnBothSidesOfTheSubscription() {
        Pollee a = new Pollee(0);
        Pollee b = new Pollee(0);
        Waiter w = Waiter.level();
        try (Poller p = new Poller(w)) {
            a.add(IoEvents.IN); // before subscribing: seen by the re-check
            w.reset();
            p.subscribe(a.notifier(), IoEvents.IN);
            p.subscribe(b.notifier(), IoEvents.IN);
            assertThat(a.poll(IoEvents.IN)).isEqualTo(IoEvents.IN);
            assertThat(w.isNotified()).isFalse();
            b.add(IoEvents.OUT); // not asked for: no wake-up
            assertThat(w.isNotified()).isFalse();
            b.add(IoEvents.HUP); // always reported
            assertThat(w.isNotified()).isTrue();
        }
        assertThat(a.notifier().size()).as("closing the poller cancels its subscriptions").isZero();
        assertThat(b.notifier().size()).isZero();
    }

    @Test
    void polleeSetClearAndAdd() {
        Pollee p = new Pollee(IoEvents.OUT);
        int[] got = new int[1];
        p.notifier().subscribe(ev -> {
            got[0] |= ev;
            return true;
        }, IoEvents.ALL);
        p.clear(IoEvents.OUT);
        assertThat(got[0]).as("clear is silent").isZero();
        p.add(IoEvents.IN);
        assertThat(got[0]).isEqualTo(IoEvents.IN);
        assertThat(p.set(IoEvents.HUP)).isEqualTo(IoEvents.IN);
        assertThat(p.poll(IoEvents.IN)).as("HUP is always reported").isEqualTo(IoEvents.HUP);
    }
}
