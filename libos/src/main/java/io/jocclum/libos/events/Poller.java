package io.jocclum.libos.events;

import java.util.Arrays;

/**
 * Lets one thread wait for any of several files (poll, select, a blocking socket call): it
 * subscribes the thread's {@link Waiter} to each file's notifier and cancels every subscription
 * on {@link #close}. The protocol is "subscribe, then re-check": the caller resets the waiter,
 * subscribes, polls the files again, and only then awaits — an event between the first check
 * and the subscription is seen by the re-check, one after it wakes the waiter.
 */
public final class Poller implements Observer, AutoCloseable {
    private final Waiter waiter;
    /** Owned by the calling thread only. */
    private Subscription[] subs = new Subscription[4];
    private int count;

    public Poller(Waiter waiter) {
        this.waiter = waiter;
    }

    /** Subscribes to {@code notifier} for {@code mask} plus the always-reported ERR|HUP. */
    public void subscribe(Notifier notifier, int mask) {
        if (count == subs.length) {
            subs = Arrays.copyOf(subs, count * 2);
        }
        subs[count++] = notifier.subscribe(this, mask | IoEvents.ALWAYS);
    }

    public Waiter waiter() {
        return waiter;
    }

    public int subscriptions() {
        return count;
    }

    @Override
    public boolean onEvents(int events) {
        return waiter.wake();
    }

    @Override
    public void close() {
        for (int i = 0; i < count; i++) {
            subs[i].cancel();
            subs[i] = null;
        }
        count = 0;
    }
}
