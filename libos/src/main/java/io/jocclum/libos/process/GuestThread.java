package io.jocclum.libos.process;

import io.jocclum.api.Syscalls;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.signal.ThreadSignalState;

/**
 * One guest thread (Linux {@code task_struct} of a thread, Occlum's {@code Thread}): a virtual
 * thread running guest code inside the enclave on one TCS, with its tid, its {@link Caller} (the
 * process's fd table and fs context, its own waiter), its signal state and its system-call
 * interface.
 *
 * <p>Lifetime: made by spawn or {@code threadCreate}, started by the {@link Kernel}; it ends when
 * its body returns or a {@link GuestExit} unwinds it, then gives its TCS back and, if it was the
 * last thread, ends its process. Joiners wait on {@link #joiners}.
 *
 * <p>Locking: {@code this} guards {@link #ended}, {@link #exitValue}, {@link #joined}.
 */
public final class GuestThread {
    /** Guest threads of every LibOS in this JVM that were started and have not ended (see {@link #live}). */
    private static final java.util.concurrent.atomic.AtomicInteger LIVE = new java.util.concurrent.atomic.AtomicInteger();

    final Kernel kernel;
    final GuestProcess process;
    final int tid;
    final boolean main;
    final Waiter waiter;
    final ThreadSignalState signals;
    final Caller caller;
    final WaiterQueue joiners = new WaiterQueue();
    /** Set before start, read by the thread itself. */
    TcsPool.Slot tcs;
    Syscalls sys;
    Thread vthread;
    /** The exit code SYS_exit gave (the join value and, for the last thread, the process status). */
    int exitCode;
    long exitValue;
    boolean ended;
    boolean joined;
    /** The thread that joins this one. */
    GuestThread joiner;

    GuestThread(Kernel kernel, GuestProcess process, int tid, boolean main, long initialMask) {
        this.kernel = kernel;
        this.process = process;
        this.tid = tid;
        this.main = main;
        this.waiter = Waiter.level();
        this.signals = new ThreadSignalState(process.sighand, process, waiter, initialMask);
        this.caller = new Caller(process.files, process.fs, process.credentials, signals, waiter, kernel.clock);
    }

    /**
     * How many guest threads of all LibOS instances in this JVM were started and have not ended,
     * blocked ones included: an upper bound of those that want a carrier of the virtual-thread
     * scheduler at the moment, but for a process's last thread, which stops counting just before
     * it tears its process down on its carrier.
     */
    public static int live() {
        return LIVE.get();
    }

    /** A guest thread is about to start; {@link #leaving} when its run is over (or its start failed). */
    static void starting() {
        LIVE.incrementAndGet();
    }

    static void leaving() {
        LIVE.decrementAndGet();
    }

    public int tid() {
        return tid;
    }

    public GuestProcess process() {
        return process;
    }

    public boolean isMain() {
        return main;
    }

    public Caller caller() {
        return caller;
    }

    public ThreadSignalState signals() {
        return signals;
    }

    public Waiter waiter() {
        return waiter;
    }

    public Kernel kernel() {
        return kernel;
    }

    /** The TCS the thread runs on. */
    public TcsPool.Slot tcs() {
        return tcs;
    }

    /** The virtual thread (for tests that wait on it). */
    public Thread javaThread() {
        return vthread;
    }

    /** True once the thread has ended. */
    public synchronized boolean ended() {
        return ended;
    }

    /** Records the value SYS_exit passes ({@code exit(status)} on this thread) before it unwinds. */
    public synchronized void setExit(int code, long value) {
        exitCode = code;
        exitValue = value;
    }

    @Override
    public String toString() {
        return "thread " + tid + " of " + process;
    }
}
