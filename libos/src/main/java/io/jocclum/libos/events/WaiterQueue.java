package io.jocclum.libos.events;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.ArrayList;
import java.util.List;

/**
 * Threads blocked on one condition (Occlum's {@code WaiterQueue}, Linux's wait queue of
 * sleeping tasks).
 *
 * <p>Design: an intrusive doubly-linked list of {@link Node}s guarded by {@link #lock}, plus a
 * volatile size so that {@link #wakeAll} on an empty queue (the common case on every pipe write)
 * costs one volatile read. A waking call detaches the nodes under the lock and unparks the
 * threads after releasing it. Usage by a blocking call: {@code waiter.reset(); node =
 * queue.enqueue(waiter); re-check the condition; waiter.await(...); queue.remove(node)} —
 * enqueueing before the re-check is what prevents lost wake-ups. Exclusive nodes (epoll_wait
 * callers) are woken one at a time by {@link #wakeOne}.
 */
public final class WaiterQueue {
    /** One queued waiter; returned by enqueue so that remove is O(1). */
    public static final class Node {
        final Waiter waiter;
        final boolean exclusive;
        @GuardedBy("queue.lock")
        Node prev;
        Node next;
        boolean queued;

        Node(Waiter waiter, boolean exclusive) {
            this.waiter = waiter;
            this.exclusive = exclusive;
        }
    }

    private final Object lock = new Object();
    @GuardedBy("lock")
    private Node head;
    private Node tail;
    /** Written under {@link #lock}; read without it for the empty fast path. */
    private volatile int size;

    /** Queues a waiter that every wake-up reaches. */
    public Node enqueue(Waiter w) {
        return add(new Node(w, false));
    }

    /** Queues a waiter that {@link #wakeOne} wakes alone. */
    public Node enqueueExclusive(Waiter w) {
        return add(new Node(w, true));
    }

    private Node add(Node n) {
        synchronized (lock) {
            n.queued = true;
            n.prev = tail;
            if (tail == null) {
                head = n;
            } else {
                tail.next = n;
            }
            tail = n;
            size++;
        }
        return n;
    }

    /** Removes a node if it is still queued (a woken node was already removed). */
    public void remove(Node n) {
        if (n == null || !n.queued) {
            return;
        }
        synchronized (lock) {
            unlink(n);
        }
    }

    private void unlink(Node n) {
        if (!n.queued) {
            return;
        }
        if (n.prev == null) {
            head = n.next;
        } else {
            n.prev.next = n.next;
        }
        if (n.next == null) {
            tail = n.prev;
        } else {
            n.next.prev = n.prev;
        }
        n.prev = null;
        n.next = null;
        n.queued = false;
        size--;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Dequeues and wakes every waiter; returns how many were woken. */
    public int wakeAll() {
        if (size == 0) {
            return 0;
        }
        Node first;
        synchronized (lock) {
            first = head;
            for (Node n = head; n != null; n = n.next) {
                n.queued = false;
            }
            head = null;
            tail = null;
            size = 0;
        }
        int woken = 0;
        Node n = first;
        while (n != null) {
            Node next = n.next;
            n.prev = null;
            n.next = null;
            if (n.waiter.wake()) {
                woken++;
            }
            n = next;
        }
        return woken;
    }

    /**
     * Wakes every non-exclusive waiter and the first exclusive waiter that was not already
     * notified (Linux {@code wake_up} with {@code nr_exclusive = 1}). Returns true when at least
     * one waiter was newly notified.
     */
    public boolean wakeOne() {
        if (size == 0) {
            return false;
        }
        List<Waiter> toWake = null;
        Waiter single = null;
        synchronized (lock) {
            Node n = head;
            while (n != null) {
                Node next = n.next;
                if (!n.exclusive || !n.waiter.isNotified()) {
                    boolean stop = n.exclusive;
                    unlink(n);
                    if (single == null) {
                        single = n.waiter;
                    } else {
                        if (toWake == null) {
                            toWake = new ArrayList<>();
                        }
                        toWake.add(n.waiter);
                    }
                    if (stop) {
                        break;
                    }
                }
                n = next;
            }
        }
        boolean any = single != null && single.wake();
        if (toWake != null) {
            for (Waiter w : toWake) {
                any |= w.wake();
            }
        }
        return any;
    }

    /** Waiters that were woken but have not yet consumed it (for invariant checks). */
    public List<Waiter> queuedWaiters() {
        synchronized (lock) {
            List<Waiter> l = new ArrayList<>();
            for (Node n = head; n != null; n = n.next) {
                l.add(n.waiter);
            }
            return l;
        }
    }
}
