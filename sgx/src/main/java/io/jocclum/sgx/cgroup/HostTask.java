package io.jocclum.sgx.cgroup;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A host process ({@code task_struct}): the one task notion of the platform. The cgroup core
 * keeps its pid, name and cgroup; the SGX driver reads it as "current": the misc cgroup its EPC
 * allocations charge ({@code misc.getTaskCgroup(task)}), its address space {@link #mm()} whose
 * memory cgroup is charged for backing-store pages ({@code memory.getTaskMemcg(task)}), and whether
 * a signal is pending (the ERESTARTSYS paths).
 *
 * <p>Created by {@link CgroupHierarchy#spawn} / {@link CgroupHierarchy#fork}, moved by
 * {@link CgroupHierarchy#attach} or a write to {@code cgroup.procs} (charges stay behind, spec
 * 1.6), gone after {@link CgroupHierarchy#exit}. The process model of whoever runs workloads (the
 * selftest's W processes, a LibOS instance) keeps a reference to its {@code HostTask}.
 *
 * <p>Thread-safe: the cgroup and exit state are written under the cgroup mutex and read
 * lock-free; the signal state is lock-free.
 */
public final class HostTask {
    private final int pid;
    private final String name;
    private final Mm mm;
    /** Written under the cgroup mutex, read lock-free. After exit: the last cgroup. */
    private volatile Cgroup cgroup;
    /** Written under the cgroup mutex. */
    private volatile boolean exited;
    /** A signal was delivered and not yet handled. */
    private volatile boolean signalPending;
    /** Checks until a signal becomes pending (-1: never): deterministic signal injection for tests. */
    private final AtomicInteger signalCountdown = new AtomicInteger(-1);
    /** Woken by {@link #kill()}: interruptible sleeps of this task ({@code signal_wake_up}). */
    private final CopyOnWriteArrayList<Runnable> signalWakers = new CopyOnWriteArrayList<>();

    HostTask(int pid, String name, Cgroup cgroup) {
        this.pid = pid;
        this.name = name;
        this.cgroup = cgroup;
        this.mm = new Mm(this);
    }

    /** The process id (1 and up; 0 in {@code cgroup.procs} means "the writer"). */
    public int pid() {
        return pid;
    }

    /** The name given at spawn ({@code comm}). */
    public String name() {
        return name;
    }

    /** The cgroup the task is in (its last cgroup once exited). */
    public Cgroup cgroup() {
        return cgroup;
    }

    /** Whether {@link CgroupHierarchy#exit} was called. */
    public boolean exited() {
        return exited;
    }

    /** The task's address space ({@code current->mm}). */
    public Mm mm() {
        return mm;
    }

    /**
     * {@code signal_pending(current)}. With {@link #signalAfter} armed, each call counts down and
     * the signal becomes pending when the count reaches zero.
     */
    public boolean signalPending() {
        if (signalPending) {
            return true;
        }
        int c = signalCountdown.get();
        if (c < 0) {
            return false;
        }
        if (c == 0) {
            signalPending = true;
            return true;
        }
        signalCountdown.decrementAndGet();
        return false;
    }

    /** Whether a signal is pending, without counting down a {@link #signalAfter} arming. */
    public boolean killed() {
        return signalPending;
    }

    /**
     * Delivers a fatal signal (SIGTERM, SIGKILL): interruptible waits in the driver return
     * ERESTARTSYS, and every registered {@linkplain #addSignalWaker waker} runs so that a task
     * sleeping elsewhere notices.
     */
    public void kill() {
        signalPending = true;
        for (Runnable r : signalWakers) {
            r.run();
        }
    }

    /** Makes a signal pending after {@code checks} further calls of {@link #signalPending()}. */
    public void signalAfter(int checks) {
        if (checks < 0) {
            throw new IllegalArgumentException("checks must be >= 0, got " + checks);
        }
        signalCountdown.set(checks);
    }

    /** The signal has been handled. */
    public void clearSignal() {
        signalPending = false;
        signalCountdown.set(-1);
    }

    /** Registers {@code waker}, run by every {@link #kill()} (an interruptible sleep's wake-up). */
    public void addSignalWaker(Runnable waker) {
        signalWakers.add(waker);
    }

    public void removeSignalWaker(Runnable waker) {
        signalWakers.remove(waker);
    }

    void moveTo(Cgroup dst) {
        cgroup = dst;
    }

    void markExited() {
        exited = true;
    }

    @Override
    public String toString() {
        return "task " + pid + " (" + name + ")";
    }
}
