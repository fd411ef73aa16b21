package io.jocclum.sgx.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Lock;

/**
 * A lock leaked by another thread, for the tests of lock hygiene: a checker run while it is held
 * must report the lock and return, not block on it (taking a lock the checking thread itself
 * holds would succeed, since the locks are reentrant, and hide nothing).
 */
public final class LeakedLock {
    private LeakedLock() {
    }

    /** Runs {@code check} while another thread holds {@code lock}; the lock is released afterwards. */
    public static void whileHeldElsewhere(Lock lock, Runnable check) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread leaker = Thread.ofPlatform().name("lock leaker").start(() -> {
            lock.lock();
            try {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
        });
        held.await();
        try {
            check.run();
        } finally {
            release.countDown();
            leaker.join();
        }
    }
}
