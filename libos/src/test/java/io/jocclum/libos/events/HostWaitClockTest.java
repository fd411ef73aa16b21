package io.jocclum.libos.events;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class HostWaitClockTest {
    @Test
    void aSleepAndTheWakeUpOfASleeperAreAnOcallEachAWakeOfARunningThreadIsNone() throws Exception {
        AtomicInteger ocalls = new AtomicInteger();
        HostWaitClock clock = new HostWaitClock(WaitClock.system(), ocalls::incrementAndGet);
        Waiter w = Waiter.edge();

        assertThat(w.wake()).isTrue(); // nobody sleeps: a notification is left, nothing asks the host
        assertThat(w.await(clock, WaitClock.FOREVER)).isTrue(); // consumed at once, no sleep
        assertThat(clock.sleeps()).isZero();
        assertThat(clock.wakeups()).isZero();
        assertThat(ocalls.get()).isZero();

        Thread sleeper = Thread.ofPlatform().start(() -> w.await(clock, WaitClock.FOREVER));
        while (!w.isParked()) {
            Thread.onSpinWait();
        }
        w.wake();
        sleeper.join();
        assertThat(clock.sleeps()).isPositive();
        assertThat(clock.wakeups()).isEqualTo(1);
        assertThat(ocalls.get()).isEqualTo(clock.sleeps() + clock.wakeups());
    }

    @Test
    void aTimedSleepIsAnOcallAndTellsTheHostsTime() {
        AtomicInteger ocalls = new AtomicInteger();
        HostWaitClock clock = new HostWaitClock(WaitClock.system(), ocalls::incrementAndGet);
        Waiter w = Waiter.level();
        long deadline = clock.deadlineAfter(1_000_000);
        assertThat(w.await(clock, deadline)).as("timed out").isFalse();
        assertThat(clock.nanoTime()).isGreaterThanOrEqualTo(deadline);
        assertThat(clock.sleeps()).isPositive();
        assertThat(ocalls.get()).isEqualTo(clock.sleeps());
    }
}
