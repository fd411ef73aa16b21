package io.jocclum.sgx.epc;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A host process ("current" in the kernel): what the SGX driver needs to know about the task that
 * issues an ioctl or takes an enclave fault. It carries its misc cgroup membership (the
 * {@link EpcGroup} EPC allocations are charged to), its memory cgroup (charged for backing pages),
 * its address space, and whether a signal is pending (the ERESTARTSYS paths).
 *
 * <p>Moving a task to another cgroup ({@link #setEpcGroup}) does not move its existing charges
 * (spec 1.6). Thread-safe.
 */
public final class HostTask {
    private final int pid;
    private final String comm;
    private final Mm mm;
    private volatile EpcGroup epcGroup;
    private volatile BackingMemory memcg;
    private volatile boolean signalPending;
    /** Checks until a signal becomes pending (-1: never): deterministic signal injection for tests. */
    private final AtomicInteger signalCountdown = new AtomicInteger(-1);

    public HostTask(int pid, String comm, EpcGroup epcGroup, BackingMemory memcg) {
        this.pid = pid;
        this.comm = comm;
        this.epcGroup = epcGroup;
        this.memcg = memcg;
        this.mm = new Mm(this);
    }

    public int pid() {
        return pid;
    }

    public String comm() {
        return comm;
    }

    public Mm mm() {
        return mm;
    }

    public EpcGroup epcGroup() {
        return epcGroup;
    }

    /** Migrates the task to another misc cgroup (charges stay where they are). */
    public void setEpcGroup(EpcGroup g) {
        this.epcGroup = g;
    }

    public BackingMemory memcg() {
        return memcg;
    }

    public void setMemcg(BackingMemory m) {
        this.memcg = m;
    }

    /** {@code signal_pending(current)}. */
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

    /** Delivers a signal (e.g. SIGTERM): interruptible waits in the driver return ERESTARTSYS. */
    public void kill() {
        signalPending = true;
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

    /** The process exits: its mm goes away. */
    public void exit() {
        mm.exit();
    }

    @Override
    public String toString() {
        return comm + "[" + pid + "]";
    }
}
