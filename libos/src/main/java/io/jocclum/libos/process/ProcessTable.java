package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process table of one LibOS (Linux's pid hash and {@code nr_threads}, Occlum's
 * {@code process/table.rs}): processes by pid (live and zombies), the pid/tid allocator, and the
 * host-side count of live processes with init's exit status, which {@link #awaitInit} and
 * {@link #awaitQuiescent} wait on. The map is concurrent; {@link #quiesce} is a host-side monitor.
 */
final class ProcessTable {
    private final ConcurrentHashMap<Integer, GuestProcess> byPid = new ConcurrentHashMap<>();
    final PidAllocator pids = new PidAllocator(PidAllocator.PID_MAX_DEFAULT);
    private final Object quiesce = new Object();
    /** Processes added and not yet exited; changed outside {@code quiesce}, which is taken to wake its waiters. */
    private final AtomicInteger liveProcesses = new AtomicInteger();
    /** A process left the table since the last wake-up of {@code quiesce}'s waiters ({@link #awaitGone} waits for that). */
    private volatile boolean reapedSinceWakeUp;
    @GuardedBy("quiesce")
    private Integer initStatus;

    /** Before a new init: refuses while processes run, then starts a fresh pid space. */
    void beginPidSpace() {
        synchronized (quiesce) {
            if (liveProcesses.get() > 0) {
                throw new IllegalStateException("processes are still running; a new init starts only when all have ended");
            }
            initStatus = null;
        }
    }

    /** After the previous init was reaped: the table must be empty; pids start again at 1. */
    void resetPids() {
        if (!byPid.isEmpty()) {
            throw new IllegalStateException("processes left in the table: " + byPid.keySet());
        }
        pids.reset();
    }

    void add(GuestProcess p) {
        byPid.put(p.pid, p);
        liveProcesses.incrementAndGet();
    }

    /**
     * A process exited (it may stay as a zombie until reaped); init's status ends the run. The
     * waiters are woken only when what one of them waits for may have happened: init exited, no
     * process is left, or a process left the table since the last wake-up. A plain exit of one
     * of many processes wakes no one (each wake-up of the host thread waiting for init costs it
     * the monitor and a wait again).
     */
    void exited(boolean wasInit, int status) {
        int left = liveProcesses.decrementAndGet();
        if (wasInit || left == 0 || reapedSinceWakeUp) {
            synchronized (quiesce) {
                if (wasInit) {
                    initStatus = status;
                }
                reapedSinceWakeUp = false;
                quiesce.notifyAll();
            }
        }
    }

    /** Removes a reaped process and frees its pid. */
    void reap(GuestProcess p) {
        byPid.remove(p.pid, p);
        pids.free(p.pid);
        reapedSinceWakeUp = true;
    }

    GuestProcess get(int pid) {
        return byPid.get(pid);
    }

    Collection<GuestProcess> all() {
        return byPid.values();
    }

    List<GuestProcess> snapshot() {
        return List.copyOf(byPid.values());
    }

    int awaitInit() throws InterruptedException {
        synchronized (quiesce) {
            while (initStatus == null) {
                quiesce.wait();
            }
            return initStatus;
        }
    }

    /**
     * Waits until {@code p} has been reaped (it left the table; its pid may already name another
     * process). Reaping happens before {@link #exited} notifies, so no wake-up is lost.
     */
    void awaitGone(GuestProcess p) throws InterruptedException {
        synchronized (quiesce) {
            while (byPid.get(p.pid) == p) {
                quiesce.wait();
            }
        }
    }

    void awaitQuiescent() throws InterruptedException {
        synchronized (quiesce) {
            while (liveProcesses.get() > 0) {
                quiesce.wait();
            }
        }
    }
}
