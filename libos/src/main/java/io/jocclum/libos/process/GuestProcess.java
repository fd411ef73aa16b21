package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Wait;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.Credentials;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FsContext;
import io.jocclum.libos.signal.Sighand;
import io.jocclum.libos.signal.ThreadSignalState;
import io.jocclum.libos.vm.ProcessVm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One process of the LibOS (Linux {@code signal_struct} + {@code mm} + {@code files}, Occlum's
 * {@code GuestProcess}): its memory in the shared user space, its fd table and fs context, its signal
 * dispositions, its threads, its place in the process tree, and how it ended.
 *
 * <p>Exit: the process ends when its last thread ends. What it ends with is decided by the first
 * of: a fatal signal ({@link #die}: status = the signal), {@code exit_group} ({@link #exitGroup}:
 * status = its code), else the last thread's SYS_exit code. Both set {@link #dying} and wake every
 * thread, which then stops at its next syscall, guest-memory access or blocking wait. The kernel
 * then closes the fd table, frees the memory, reparents the children to init, and makes the
 * process a zombie until its parent reaps it with wait4.
 *
 * <p>Locking: {@code this} guards the thread map, the live count and the exit decision;
 * {@link Kernel#treeLock} guards {@link #parent}, {@link #children} and the zombie state.
 */
public final class GuestProcess implements ThreadSignalState.Owner {
    final Kernel kernel;
    final int pid;
    final String path;
    final String[] argv;
    final String[] envp;
    final FdTable files;
    final FsContext fs;
    final Credentials credentials = Credentials.ROOT;
    final ProcessVm vm;
    final Sighand sighand;
    final Rlimits rlimits;
    /** Threads of this process waiting in wait4 for a child. */
    final WaiterQueue childEvents = new WaiterQueue();

    @GuardedBy("kernel.treeLock")
    GuestProcess parent;
    @GuardedBy("kernel.treeLock")
    final List<GuestProcess> children = new ArrayList<>();
    @GuardedBy("kernel.treeLock")
    boolean zombie;
    @GuardedBy("kernel.treeLock")
    boolean reaped;
    /** The wait status, set when the process becomes a zombie (guarded by kernel.treeLock). */
    int waitStatus;

    @GuardedBy("this")
    private final Map<Integer, GuestThread> threads = new LinkedHashMap<>();
    /** Ended threads not joined yet (their tids stay taken). */
    @GuardedBy("this")
    final Map<Integer, GuestThread> endedThreads = new java.util.HashMap<>();
    @GuardedBy("this")
    private int live;
    /** Written under this. */
    private volatile boolean dying;
    @GuardedBy("this")
    private int deathSignal;
    @GuardedBy("this")
    private boolean groupExit;
    @GuardedBy("this")
    private int groupExitCode;
    @GuardedBy("this")
    private int lastCode;
    /** No thread may be added any more. */
    @GuardedBy("this")
    private boolean closed;

    GuestProcess(Kernel kernel, int pid, String path, String[] argv, String[] envp, FdTable files, FsContext fs, ProcessVm vm,
            Sighand sighand, Rlimits rlimits) {
        this.kernel = kernel;
        this.pid = pid;
        this.path = path;
        this.argv = argv.clone();
        this.envp = envp.clone();
        this.files = files;
        this.fs = fs;
        this.vm = vm;
        this.sighand = sighand;
        this.rlimits = rlimits;
    }

    /** The resource limits (getrlimit, setrlimit, prlimit64). */
    public Rlimits rlimits() {
        return rlimits;
    }

    /** The user and group ids: root for every process, as in Occlum. */
    public Credentials credentials() {
        return credentials;
    }

    public int pid() {
        return pid;
    }

    /** The program's LibOS path. */
    public String path() {
        return path;
    }

    public String[] argv() {
        return argv.clone();
    }

    public String[] envp() {
        return envp.clone();
    }

    public FdTable files() {
        return files;
    }

    public FsContext fs() {
        return fs;
    }

    public ProcessVm vm() {
        return vm;
    }

    public Sighand sighand() {
        return sighand;
    }

    public Kernel kernel() {
        return kernel;
    }

    /** The parent's pid; 0 when it has none (init, or an orphan after init ended). */
    public int ppid() {
        synchronized (kernel.treeLock) {
            return parent == null ? 0 : parent.pid;
        }
    }

    @Override
    public boolean dying() {
        return dying;
    }

    /** True once the process is a zombie (or reaped). */
    public boolean exited() {
        synchronized (kernel.treeLock) {
            return zombie;
        }
    }

    /** The wait status once exited. */
    public int waitStatus() {
        synchronized (kernel.treeLock) {
            if (!zombie) {
                throw new IllegalStateException(this + " has not exited");
            }
            return waitStatus;
        }
    }

    /** Kills the process with {@code sig}, unless it is already dying (the first reason wins). */
    @Override
    public void die(int sig) {
        synchronized (this) {
            if (dying) {
                return;
            }
            deathSignal = sig;
            dying = true;
        }
        wakeAll();
    }

    /** exit_group: every thread ends; the process exits with {@code code} (unless already dying). */
    void exitGroup(int code) {
        synchronized (this) {
            if (dying) {
                return;
            }
            groupExit = true;
            groupExitCode = code;
            dying = true;
        }
        wakeAll();
    }

    private void wakeAll() {
        for (GuestThread t : threads()) {
            t.waiter.wake();
        }
    }

    /** The live threads, main first. */
    public List<GuestThread> threads() {
        synchronized (this) {
            return new ArrayList<>(threads.values());
        }
    }

    /** The live thread {@code tid} of this process, or null. */
    GuestThread thread(int tid) {
        synchronized (this) {
            return threads.get(tid);
        }
    }

    /** Adds a thread; false when the process is already ending. */
    boolean addThread(GuestThread t) {
        synchronized (this) {
            if (closed || dying) {
                return false;
            }
            threads.put(t.tid, t);
            live++;
            return true;
        }
    }

    /** A thread ended with {@code code}; returns true when it was the last one. */
    boolean removeThread(GuestThread t, int code) {
        synchronized (this) {
            threads.remove(t.tid);
            live--;
            lastCode = code;
            if (live == 0) {
                closed = true;
                return true;
            }
            return false;
        }
    }

    /** The status the process exits with (called once its last thread ended). */
    int finalStatus() {
        synchronized (this) {
            if (deathSignal != 0) {
                return Wait.signaled(deathSignal);
            }
            return Wait.exited(groupExit ? groupExitCode : lastCode);
        }
    }

    /** A thread to deliver a process-directed {@code sig} to: the first (main first) that does not block it, or null. */
    GuestThread pickThread(int sig) {
        for (GuestThread t : threads()) {
            if (t.signals.accepts(sig)) {
                return t;
            }
        }
        return null;
    }

    /** A short name: the program's file name. */
    public String name() {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    @Override
    public String toString() {
        return "process " + pid + " (" + path + ")";
    }
}
