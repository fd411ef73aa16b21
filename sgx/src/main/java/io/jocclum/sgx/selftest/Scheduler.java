package io.jocclum.sgx.selftest;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The interleaving of concurrent W processes: a baton passed round-robin. Each W runs on its own
 * virtual thread but performs a step (one ioctl, one ECALL) only while it holds the baton, so the
 * builds overlap in a fixed order and a W that fails releases its enclave within its own turn,
 * before any other W charges again (the spec's S2/S3 notes). A fatal signal wakes a W that waits
 * for its turn: it then dies at once, concurrently with whoever holds the baton, as a killed
 * process is torn down by the kernel.
 *
 * <p>Locking: {@code lock} guards {@code current} and every W's {@code left} flag.
 */
final class Scheduler {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** The W allowed to run a step, or null (the runner's turn). */
    @GuardedBy("lock")
    private Workload current;

    /** Wakes every waiter (a signal was delivered). */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** W side: waits for the baton; false when a signal is pending (the W must die). */
    boolean awaitTurn(Workload w) {
        lock.lock();
        try {
            while (current != w && !w.task().killed()) {
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
            changed.signalAll();
            while (current == w && !w.left) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runner side: waits until {@code w} left. */
    void awaitLeft(Workload w) {
        lock.lock();
        try {
            while (!w.left) {
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
