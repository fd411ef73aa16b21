package io.jocclum.libos.events;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A guest thread's parking spot (Occlum's {@code Waiter} + {@code Synchronizer}).
 *
 * <p>Design: a futex-like three-state word, IDLE → PARKED while the owner sleeps, NOTIFIED once
 * woken. {@link #wake} swaps in NOTIFIED and unparks only when the owner is actually parked, so
 * waking a running thread costs one atomic (Occlum's EdgeSync). A wake that arrives before the
 * owner parks is kept and makes {@link #await} return at once: together with "enqueue, then
 * re-check the condition, then await" this is what rules out lost wake-ups.
 *
 * <p>Two variants: a {@linkplain #level() level} waiter stays notified until {@link #reset}
 * (Occlum's LevelSync, used by wait loops that reset before re-enqueueing), an
 * {@linkplain #edge() edge} waiter consumes the notification in {@link #await} (EdgeSync).
 * Each guest thread owns one waiter, reused by all its blocking calls; the process layer
 * interrupts a blocked thread by setting its pending signal and calling {@link #wake}.
 */
public final class Waiter {
    private static final int IDLE = 0;
    private static final int NOTIFIED = 1;
    private static final int PARKED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final boolean edge;
    /** IDLE, NOTIFIED or PARKED; CAS through {@link #STATE}. */
    @SuppressWarnings("unused")
    private volatile int state;
    /** The thread currently in {@link #await}; written by it before it publishes PARKED. */
    private volatile Thread owner;
    /** The clock the owner parks on (it unparks too); written with {@link #owner}. */
    private volatile WaitClock ownerClock = WaitClock.system();

    private Waiter(boolean edge) {
        this.edge = edge;
    }

    /** A waiter that stays notified until {@link #reset()}. */
    public static Waiter level() {
        return new Waiter(false);
    }

    /** A waiter whose {@link #await} consumes the notification. */
    public static Waiter edge() {
        return new Waiter(true);
    }

    public boolean isEdge() {
        return edge;
    }

    /** Forgets a pending notification; called by the owner before it subscribes and re-checks. */
    public void reset() {
        STATE.compareAndSet(this, NOTIFIED, IDLE);
    }

    /**
     * Wakes the owner. Returns true when this call notified a waiter that was not yet notified
     * (used for exclusive wake-ups), false when a notification was already pending.
     */
    public boolean wake() {
        int prev = (int) STATE.getAndSet(this, NOTIFIED);
        if (prev == PARKED) {
            ownerClock.unpark(owner);
        }
        return prev != NOTIFIED;
    }

    /** True when a notification is pending (not yet consumed or reset). */
    public boolean isNotified() {
        return (int) STATE.getVolatile(this) == NOTIFIED;
    }

    /** True while the owner is parked in {@link #await}. */
    public boolean isParked() {
        return (int) STATE.getVolatile(this) == PARKED;
    }

    /**
     * Parks the calling thread until {@link #wake} or until {@code clock} reaches
     * {@code deadline} ({@link WaitClock#FOREVER} for no timeout). Returns true when woken,
     * false on timeout. Never busy-waits.
     */
    public boolean await(WaitClock clock, long deadline) {
        ownerClock = clock;
        owner = Thread.currentThread();
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s == NOTIFIED) {
                if (edge) {
                    STATE.compareAndSet(this, NOTIFIED, IDLE);
                }
                return true;
            }
            long remaining = 0;
            if (deadline != WaitClock.FOREVER) {
                remaining = deadline - clock.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
            }
            if (s == IDLE && !STATE.compareAndSet(this, IDLE, PARKED)) {
                continue; // a wake slipped in
            }
            if (deadline == WaitClock.FOREVER) {
                clock.park(this);
            } else {
                clock.parkNanos(this, remaining);
            }
            // back from park: woken (NOTIFIED), timed out or spurious (still PARKED)
            STATE.compareAndSet(this, PARKED, IDLE);
        }
    }

    @Override
    public String toString() {
        int s = (int) STATE.getVolatile(this);
        return "Waiter[" + (edge ? "edge" : "level") + "," + (s == IDLE ? "idle" : s == NOTIFIED ? "notified" : "parked") + "]";
    }
}
