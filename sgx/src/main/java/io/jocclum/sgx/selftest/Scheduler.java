package io.jocclum.sgx.selftest;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The interleaving of concurrent W processes: a baton passed round-robin. Each W runs on its own
 * virtual thread but performs a step (one ioctl, one ECALL) only while it holds the baton, so the
 * builds overlap in a fixed order and a W that fails releases its enclave within its own turn,
 * before any other W charges again (the spec's S2/S3 notes).
 *
 * <p>A killed W also dies only while it holds the baton, so that a run is a function of its seed:
 * at its next turn, or earlier at a fixed point of the W that holds the baton — between two of its
 * ADD_PAGES calls, or where it waits for EPC to be freed (a fault path waiting for progress, a
 * direct reclaim loop's cond_resched: the dying W's exit is what it waits for) — through {@link #reapKilled()}, which lends the baton to each killed W in index order
 * and takes it back once that W has left. (A real killed process is torn down concurrently; the
 * points chosen here are among the interleavings that allows.)
 *
 * <p>Locking: {@code lock} guards {@code current}, {@code granted}, {@code members} and every W's
 * {@code left} flag.
 */
final class Scheduler {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** The W allowed to run a step, or null (the runner's turn). */
    @GuardedBy("lock")
    private Workload current;
    /**
     * The W the runner gave the turn to, until it ends it or leaves: {@link #current} while the
     * holder lends the baton to a killed W ({@link #reapKilled}) stays the holder's turn.
     */
    @GuardedBy("lock")
    private Workload granted;
    /** Every W of the run, in index order. */
    @GuardedBy("lock")
    private final java.util.List<Workload> members = new java.util.ArrayList<>();

    /** Adds a W to the run (in index order). */
    void register(Workload w) {
        lock.lock();
        try {
            members.add(w);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Baton holder's side (or the runner's): every killed W that has not left, in index order, gets
     * the baton, dies (releases its enclave, exits) and gives it back; then the holder has it again.
     */
    void reapKilled() {
        lock.lock();
        try {
            Workload holder = current;
            for (Workload m : members) {
                if (m != holder && !m.left && m.task().killed()) {
                    current = m;
                    changed.signalAll();
                    while (!m.left) {
                        changed.awaitUninterruptibly();
                    }
                }
            }
            current = holder;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter (a signal was delivered). */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** W side: waits for the baton; false when the W was killed (it must die now, in this turn). */
    boolean awaitTurn(Workload w) {
        lock.lock();
        try {
            while (current != w) {
                changed.awaitUninterruptibly();
            }
            return !w.task().killed();
        } finally {
            lock.unlock();
        }
    }

    /** W side: gives the baton back after a step. */
    void endTurn(Workload w) {
        lock.lock();
        try {
            if (current == w) {
                current = null;
            }
            if (granted == w) {
                granted = null;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** W side: the process is gone (its enclave released, its task exited). */
    void left(Workload w) {
        lock.lock();
        try {
            w.left = true;
            if (current == w) {
                current = null;
            }
            if (granted == w) {
                granted = null;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Runner side: gives {@code w} one step and waits until it gave the baton back or left. */
    void grant(Workload w) {
        lock.lock();
        try {
            if (w.left) {
                return;
            }
            current = w;
            granted = w;
            changed.signalAll();
            while (granted == w && !w.left) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean hasLeft(Workload w) {
        lock.lock();
        try {
            return w.left;
        } finally {
            lock.unlock();
        }
    }
}
