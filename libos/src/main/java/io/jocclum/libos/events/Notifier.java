package io.jocclum.libos.events;

import java.util.Arrays;

/**
 * A file's list of observers (Occlum's {@code Notifier}, Linux's wait queue head).
 *
 * <p>Design: copy-on-write. The subscriber array is replaced under {@link #lock} on subscribe and
 * cancel; {@link #broadcast} reads the current array without locking and calls the observers
 * outside any lock, so an observer may subscribe, cancel or broadcast on other notifiers (nested
 * epoll) without self-deadlock — Occlum holds its notifier mutex while observers run (W2).
 * A subscription whose observer was garbage-collected is skipped and pruned afterwards, instead
 * of ending the broadcast (Occlum W1). Non-exclusive subscriptions are kept before exclusive
 * ones; a broadcast calls every non-exclusive observer whose filter meets the events, then the
 * exclusive ones in order until one returns true (Linux {@code __wake_up_common} with one
 * exclusive wake-up).
 */
public final class Notifier {
    private static final Subscription[] NONE = new Subscription[0];

    /** Guards replacement of {@link #subs}. */
    private final Object lock = new Object();
    /** Copy-on-write snapshot; written under {@link #lock}, read without it. */
    private volatile Subscription[] subs = NONE;

    /** Subscribes {@code observer} to the events in {@code filter}. */
    public Subscription subscribe(Observer observer, int filter) {
        return subscribe(observer, filter, false);
    }

    /** Subscribes, as an exclusive waiter when {@code exclusive} (EPOLLEXCLUSIVE). */
    public Subscription subscribe(Observer observer, int filter, boolean exclusive) {
        if (observer == null) {
            throw new IllegalArgumentException("observer is null");
        }
        Subscription s = new Subscription(this, observer, filter, exclusive);
        synchronized (lock) {
            Subscription[] cur = subs;
            Subscription[] next = new Subscription[cur.length + 1];
            if (exclusive) {
                System.arraycopy(cur, 0, next, 0, cur.length);
                next[cur.length] = s;
            } else {
                // non-exclusive entries go first (Linux add_wait_queue adds them at the head)
                next[0] = s;
                System.arraycopy(cur, 0, next, 1, cur.length);
            }
            subs = next;
        }
        return s;
    }

    void remove(Subscription s) {
        synchronized (lock) {
            if (s.cancelled) {
                return;
            }
            s.cancelled = true;
            Subscription[] cur = subs;
            int i = indexOf(cur, s);
            if (i < 0) {
                return;
            }
            Subscription[] next = new Subscription[cur.length - 1];
            System.arraycopy(cur, 0, next, 0, i);
            System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
            subs = next.length == 0 ? NONE : next;
        }
    }

    private static int indexOf(Subscription[] a, Subscription s) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == s) {
                return i;
            }
        }
        return -1;
    }

    /** True when nobody listens (the fast path of every pipe write). */
    public boolean isEmpty() {
        return subs.length == 0;
    }

    /** Number of subscriptions, dead ones included until the next prune. */
    public int size() {
        return subs.length;
    }

    /** Tells every interested observer about {@code events}; see the class comment. */
    public void broadcast(int events) {
        Subscription[] snapshot = subs;
        if (snapshot.length == 0) {
            return;
        }
        boolean dead = false;
        boolean exclusiveTaken = false;
        for (Subscription s : snapshot) {
            if (s.cancelled) {
                continue;
            }
            Observer o = s.observer.get();
            if (o == null) {
                dead = true;
                continue;
            }
            if ((s.filter() & events) == 0) {
                continue;
            }
            if (s.exclusive) {
                if (exclusiveTaken) {
                    continue;
                }
                exclusiveTaken = o.onEvents(events);
            } else {
                o.onEvents(events);
            }
        }
        if (dead) {
            prune();
        }
    }

    /** Drops subscriptions whose observer was collected. */
    void prune() {
        synchronized (lock) {
            Subscription[] cur = subs;
            Subscription[] next = Arrays.stream(cur).filter(s -> {
                boolean live = s.observer.get() != null;
                if (!live) {
                    s.cancelled = true;
                }
                return live;
            }).toArray(Subscription[]::new);
            subs = next.length == 0 ? NONE : next;
        }
    }

    /** The live subscriptions (for invariant checks and tests). */
    public Subscription[] snapshot() {
        return subs.clone();
    }
}
