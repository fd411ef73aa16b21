package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

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
    @GuardedBy("quiesce")
    private int liveProcesses;
    @GuardedBy("quiesce")
    private Integer initStatus;

    /** Before a new init: refuses while processes run, then starts a fresh pid space. */
    void beginPidSpace() {
        synchronized (quiesce) {
            if (liveProcesses > 0) {
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
        synchronized (quiesce) {
            liveProcesses++;
        }
    }

    /** A process exited (it may stay as a zombie until reaped); init's status ends the run. */
    void exited(boolean wasInit, int status) {
        synchronized (quiesce) {
            liveProcesses--;
            if (wasInit) {
                initStatus = status;
            }
            quiesce.notifyAll();
        }
    }

    /** Removes a reaped process and frees its pid. */
    void reap(GuestProcess p) {
        byPid.remove(p.pid, p);
        pids.free(p.pid);
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
            while (liveProcesses > 0) {
                quiesce.wait();
            }
        }
    }
}
