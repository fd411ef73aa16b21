package io.jocclum.libos.events;

import java.lang.ref.WeakReference;

/**
 * One observer's subscription to a {@link Notifier}: the observer (weakly held, so a forgotten
 * subscriber cannot keep an epoll alive), a filter of the events it cares about, and whether it
 * is exclusive (EPOLLEXCLUSIVE). The filter can change in place (epoll MOD, ONESHOT disarm).
 */
public final class Subscription {
    final Notifier owner;
    final WeakReference<Observer> observer;
    final boolean exclusive;
    /** Written by the subscriber, read by broadcasters: volatile. */
    private volatile int filter;
    /** Set once by cancel (under the notifier lock). */
    volatile boolean cancelled;

    Subscription(Notifier owner, Observer observer, int filter, boolean exclusive) {
        this.owner = owner;
        this.observer = new WeakReference<>(observer);
        this.filter = filter;
        this.exclusive = exclusive;
    }

    public int filter() {
        return filter;
    }

    /** Changes the events this subscription hears about. */
    public void setFilter(int filter) {
        this.filter = filter;
    }

    public boolean exclusive() {
        return exclusive;
    }

    /** The observer, or null once collected. */
    public Observer observer() {
        return observer.get();
    }

    /** True until cancelled and while the observer is alive. */
    public boolean isLive() {
        return !cancelled && observer.get() != null;
    }

    /** Removes this subscription from its notifier; idempotent. */
    public void cancel() {
        owner.remove(this);
    }

    public Notifier notifier() {
        return owner;
    }
}
