package io.jocclum.libos.events;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The readiness word of a file whose state changes are pushed from elsewhere, such as a host
 * socket fed by the host poller (Occlum's {@code Pollee}): an atomic event set plus a
 * {@link Notifier}. {@link #add} sets bits and broadcasts them — every addition is a new event
 * for edge-triggered observers; {@link #clear} removes bits silently.
 */
public final class Pollee {
    private static final VarHandle EVENTS;

    static {
        try {
            EVENTS = MethodHandles.lookup().findVarHandle(Pollee.class, "events", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Notifier notifier = new Notifier();
    /** Atomic through {@link #EVENTS}. */
    @SuppressWarnings("unused")
    private volatile int events;

    public Pollee(int initial) {
        this.events = initial;
    }

    /** The current events intersected with {@code mask} plus the always-reported bits. */
    public int poll(int mask) {
        return events & (mask | IoEvents.ALWAYS);
    }

    public int events() {
        return events;
    }

    /** ORs {@code bits} in and broadcasts them. */
    public void add(int bits) {
        int prev;
        do {
            prev = events;
        } while (!EVENTS.compareAndSet(this, prev, prev | bits));
        notifier.broadcast(bits);
    }

    /** Replaces the whole word without telling anyone; returns the previous value. */
    public int set(int newEvents) {
        return (int) EVENTS.getAndSet(this, newEvents);
    }

    /** Clears {@code bits} without telling anyone. */
    public void clear(int bits) {
        int prev;
        do {
            prev = events;
        } while (!EVENTS.compareAndSet(this, prev, prev & ~bits));
    }

    public Notifier notifier() {
        return notifier;
    }
}
