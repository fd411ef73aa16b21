package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.libos.events.SignalInfo;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Mman;
import io.jocclum.api.Signal;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import io.jocclum.libos.config.ProcessDefaults;
import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.Credentials;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FsContext;
import io.jocclum.libos.fs.SpawnFileAction;
import io.jocclum.libos.fs.Vfs;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.libos.programs.LoadedProgram;
import io.jocclum.libos.programs.ProgramLoader;
import io.jocclum.libos.signal.Sighand;
import io.jocclum.libos.vm.MappableFile;
import io.jocclum.libos.vm.ProcessVm;
import io.jocclum.libos.vm.ProcessVmSpec;
import io.jocclum.libos.vm.UserSpace;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;

import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The process layer of one running LibOS (Occlum {@code process/}, Linux {@code fork.c},
 * {@code exit.c}, {@code signal.c} sending side): the process table, pid allocation, spawn,
 * threads, exit, zombies and wait4, kill, reparenting to init; and the shared services the
 * syscall façade reaches through it (the user space, the VFS, the clocks); the file types outside
 * the VFS (pipes, eventfds, epoll, sockets) are the syscall layer's.
 *
 * <p>Init: the first process (pid 1) is the program {@code run} starts. Orphans are reparented to
 * it; when it exits, every other process is killed with SIGKILL, as when the init of a pid
 * namespace dies (pid_namespaces(7)), and the LibOS ends when all are gone.
 *
 * <p>Locking: {@link #treeLock} (Linux {@code tasklist_lock}) guards parent/children links and
 * zombie states; a {@link GuestProcess} guards its threads and exit decision; the pid allocator and
 * TCS pool lock themselves. Order: treeLock before a process's lock. The table
 * ({@link ProcessTable}) is concurrent; threads are {@link Threads}'.
 */
public final class Kernel {
    private static final System.Logger LOG = System.getLogger(Kernel.class.getName());
    /** The one process group (and session): its id is init's pid. */
    public static final int PROCESS_GROUP = 1;
    /** Protection of program image regions: the bytes of a program are its code. */
    static final int IMAGE_PROT = Mman.PROT_READ | Mman.PROT_EXEC;

    private final Services services;
    final EnclaveContext ctx;
    final UserSpace userSpace;
    /** The kernel heap processes and threads are charged to (the user space's; docs/config.md, "Kernel heap"). */
    final KernelHeap kernelHeap;
    /** What a new process charges: itself and its main thread (the thread is credited when it ends). */
    private static final List<KernelHeap.Kind> PROCESS_OBJECTS = List.of(KernelHeap.Kind.PROCESS, KernelHeap.Kind.THREAD);
    final Vfs vfs;
    final Set<Long> hostDevices;
    final ProgramLoader programs;
    final TcsPool tcs;
    final WaitClock clock;
    final InstantSource wallClock;
    final LongSupplier cpuNanos;
    final ProcessDefaults defaults;
    final Runnable commitSampler;
    final LongConsumer enterEnclave;
    /** The scenario's scheduler gate, or null (see {@link io.jocclum.libos.events.Gate}). */
    final io.jocclum.libos.events.Gate gate;
    /** Makes the syscall interface of a new thread; set once by the boot. */
    volatile Function<GuestThread, Syscalls> facades;

    /** Guards the process tree (parent/children, zombie, reaped, waitStatus). */
    final Object treeLock = new Object();
    final ProcessTable table = new ProcessTable();
    final PidAllocator pids = table.pids;
    @GuardedBy("treeLock")
    private GuestProcess init;
    private final List<Throwable> internalErrors = new ArrayList<>();
    private final List<Integer> hostMemoryVictims = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Runnable heapExhausted;
    private final AtomicLong spawned = new AtomicLong();
    private final Threads threads = new Threads(this);

    public Kernel(Services c) {
        this.services = c;
        this.ctx = c.ctx();
        this.userSpace = c.userSpace();
        this.kernelHeap = userSpace.kernelHeap();
        this.vfs = c.vfs();
        this.hostDevices = Set.copyOf(c.hostDevices());
        this.programs = c.programs();
        this.tcs = c.tcs();
        this.clock = c.clock();
        this.wallClock = c.wallClock();
        this.cpuNanos = c.cpuNanos();
        this.defaults = c.defaults();
        this.commitSampler = c.commitSampler();
        this.enterEnclave = c.enterEnclave();
        this.gate = c.gate();
    }

    /** What the boot gave this kernel. */
    public Services services() {
        return services;
    }

    /** Installs the factory of per-thread syscall interfaces (the syscall façade). */
    public void setFacades(Function<GuestThread, Syscalls> f) {
        this.facades = f;
    }

    // ================================================================================ services

    public EnclaveContext ctx() {
        return ctx;
    }

    public UserSpace userSpace() {
        return userSpace;
    }

    public Vfs vfs() {
        return vfs;
    }

    public WaitClock clock() {
        return clock;
    }

    /** The scenario's deterministic scheduler gate, or null when the LibOS runs alone. */
    public io.jocclum.libos.events.Gate gate() {
        return gate;
    }

    public InstantSource wallClock() {
        return wallClock;
    }

    /** Simulated nanoseconds charged to the enclave (the CPU-time clocks). */
    public long cpuNanos() {
        return cpuNanos.getAsLong();
    }

    public TcsPool tcs() {
        return tcs;
    }

    /** True when {@code dev} is a file system backed by host files (image, hostfs): I/O on it is an OCALL. */
    public boolean hostDevice(long dev) {
        return hostDevices.contains(dev);
    }

    /** Samples the committed EPC before memory may be given back (peak tracking). */
    public void sampleCommitted() {
        commitSampler.run();
    }

    // ================================================================================ spawn

    /**
     * Starts {@code path} as the init process (pid 1) with {@code files} as its descriptors
     * (stdin, stdout and stderr wired to the host). ErrnoException when the program cannot be
     * started (ENOENT, ENOEXEC, ENOMEM, ...). After an init and all its processes have ended, a
     * new init may be started: it begins a fresh pid space (pid 1 again), as a new pid namespace.
     */
    public GuestProcess spawnInit(String path, String[] argv, String[] envp, FdTable files) {
        table.beginPidSpace();
        synchronized (treeLock) {
            if (init != null) {
                reapLocked(init);
                init = null;
            }
            table.resetPids();
        }
        FsContext fs = FsContext.initial();
        Caller lookup = new Caller(files, fs, Credentials.ROOT, ThreadSignals.NONE, Waiter.level(), clock);
        LoadedProgram program = programs.load(lookup, path);
        return create(null, program, argv, envp, files, fs, new Sighand(), initialRlimits(files), 0, true);
    }

    /** The resource limits of a process started from the host (init or top-level). */
    private Rlimits initialRlimits(FdTable files) {
        var space = userSpace.layout();
        return Rlimits.initial(files, Math.max(Pages.SIZE, Pages.up(defaults.defaultStackSize())),
                Pages.up(defaults.defaultHeapSize()), space.reservedSize() + space.userRegionSize());
    }

    /**
     * Starts {@code path} as a top-level process started from the host next to the others, not as
     * init (Occlum's {@code occlum exec}: every such process shares the enclave, its file systems
     * and its pid space). It has no parent: it is reaped as soon as it exits, and
     * {@link #awaitTopLevel} returns its wait status. ErrnoException as {@link #spawnInit}.
     */
    public GuestProcess spawnTopLevel(String path, String[] argv, String[] envp, FdTable files) {
        FsContext fs = FsContext.initial();
        Caller lookup = new Caller(files, fs, Credentials.ROOT, ThreadSignals.NONE, Waiter.level(), clock);
        LoadedProgram program = programs.load(lookup, path);
        return create(null, program, argv, envp, files, fs, new Sighand(), initialRlimits(files), 0, false);
    }

    /** Waits until the top-level process {@code p} ({@link #spawnTopLevel}) has exited; returns its wait status. */
    public int awaitTopLevel(GuestProcess p) throws InterruptedException {
        table.awaitGone(p);
        return p.waitStatus();
    }

    /**
     * posix_spawn by {@code parent}: the child gets a copy of the parent's descriptors with
     * {@code actions} applied, a copy of its fs context, SIG_IGN dispositions kept and its
     * thread's signal mask. Returns the child's pid; errors as posix_spawn returns them.
     */
    public int spawn(GuestThread parent, String path, List<SpawnFileAction> actions, String[] argv, String[] envp) {
        GuestProcess pp = parent.process;
        // glibc's child applies the file actions, then execs: a failing action is reported before a bad path
        FdTable files = pp.files.spawnChild(actions, vfs.opener(parent.caller));
        GuestProcess child;
        try {
            LoadedProgram program = programs.load(parent.caller, path);
            child = create(pp, program, argv, envp == null ? pp.envp : envp, files, pp.fs.copy(), pp.sighand.forSpawnedChild(),
                    pp.rlimits.forChild(files), parent.signals.mask(), false);
        } catch (RuntimeException e) {
            files.closeAll();
            throw e;
        }
        return child.pid;
    }

    private GuestProcess create(GuestProcess parent, LoadedProgram program, String[] argv, String[] envp, FdTable files, FsContext fs,
                           Sighand sighand, Rlimits rlimits, long mask, boolean asInit) {
        kernelHeap.charge(PROCESS_OBJECTS);
        TcsPool.Slot slot;
        int pid;
        try {
            slot = tcs.acquire();
        } catch (RuntimeException e) {
            kernelHeap.credit(PROCESS_OBJECTS);
            throw e;
        }
        try {
            pid = pids.allocate();
        } catch (RuntimeException e) {
            kernelHeap.credit(PROCESS_OBJECTS);
            tcs.release(slot);
            throw e;
        }
        ProcessVm vm;
        try {
            vm = userSpace.createProcess(pid, spec(program));
        } catch (RuntimeException e) {
            kernelHeap.credit(PROCESS_OBJECTS);
            pids.free(pid);
            tcs.release(slot);
            throw e;
        }
        GuestProcess p = new GuestProcess(this, pid, program.path(), argv, envp, files, fs, vm, sighand, rlimits);
        synchronized (treeLock) {
            p.parent = parent;
            if (parent != null) {
                parent.children.add(p);
            } else if (asInit) {
                init = p;
            }
            table.add(p);
        }
        spawned.incrementAndGet();
        String[] args = argv.clone();
        String[] env = envp.clone();
        threads.start(p, pid, slot, true, mask, t -> {
            GuestProgram prog = program.entry().get();
            return prog.main(t.sys, args, env);
        });
        return p;
    }

    private ProcessVmSpec spec(LoadedProgram program) {
        byte[] image = program.image();
        long size = Math.max(image.length, 1);
        ProcessVmSpec.ImageSpec img = new ProcessVmSpec.ImageSpec(program.path(), size, IMAGE_PROT, new BytesFile(image), 0,
                image.length);
        return new ProcessVmSpec(Pages.up(defaults.defaultHeapSize()), Math.max(Pages.SIZE, Pages.up(defaults.defaultStackSize())),
                List.of(img));
    }

    // ================================================================================ threads

    /** pthread_create: a new thread of {@code caller}'s process; EAGAIN when no TCS or tid is free. */
    public int createThread(GuestThread caller, io.jocclum.api.ThreadFunction fn) {
        return threads.create(caller, fn);
    }

    /**
     * pthread_join: waits for thread {@code tid} of the caller's process; ERESTARTSYS when a
     * signal interrupts the wait (the façade runs the handler and calls again, never EINTR).
     */
    public long joinThread(GuestThread caller, int tid) {
        return threads.join(caller, tid);
    }

    /** SYS_exit on {@code t}: records the code; the façade then unwinds the thread. */
    public void exitThread(GuestThread t, int code) {
        t.setExit(code, code);
    }

    /** exit_group on {@code t}'s process. */
    public void exitGroup(GuestThread t, int code) {
        t.setExit(code, code);
        t.process.exitGroup(code);
    }

    // ================================================================================ exit

    void processExited(GuestProcess p) {
        int status = p.finalStatus();
        try {
            p.files.closeAll();
        } catch (RuntimeException e) {
            internalError(e);
        }
        try {
            commitSampler.run();
            p.vm.exit();
        } catch (RuntimeException e) {
            internalError(e);
        }
        synchronized (p) {
            for (GuestThread t : p.endedThreads.values()) {
                if (!t.main) {
                    pids.free(t.tid);
                }
            }
            p.endedThreads.clear();
        }
        GuestProcess notifyParent = null;
        boolean initZombies = false;
        boolean wasInit;
        GuestProcess reaper;
        synchronized (treeLock) {
            wasInit = p == init;
            reaper = init != null && init != p && !init.zombie ? init : null;
            for (GuestProcess c : p.children) {
                c.parent = reaper;
                if (reaper != null) {
                    reaper.children.add(c);
                    initZombies |= c.zombie;
                } else if (c.zombie) {
                    reapLocked(c);
                }
            }
            p.children.clear();
            p.zombie = true;
            p.waitStatus = status;
            GuestProcess parent = p.parent;
            if (parent == null) {
                if (!wasInit) {
                    reapLocked(p);
                }
            } else if (parent.sighand.autoReapChildren()) {
                parent.children.remove(p);
                reapLocked(p);
                notifyParent = parent;
            } else {
                notifyParent = parent;
            }
        }
        if (initZombies) {
            reaper.childEvents.wakeAll();
        }
        if (notifyParent != null) {
            notifyParent.childEvents.wakeAll();
            sendSignal(notifyParent, Signal.SIGCHLD);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> p + " exited with status 0x" + Integer.toHexString(status));
        if (wasInit) {
            for (GuestProcess q : table.all()) {
                if (q != p) {
                    q.die(Signal.SIGKILL);
                }
            }
        }
        table.exited(wasInit, status);
    }

    private void reapLocked(GuestProcess c) {
        if (c.reaped) {
            return;
        }
        c.reaped = true;
        table.reap(c);
        kernelHeap.credit(KernelHeap.Kind.PROCESS);
    }

    /**
     * wait4 by {@code caller}: reaps a zombie child matching {@code pid} or waits for one.
     * ERESTARTSYS when a signal interrupts the wait (the façade restarts it or fails with EINTR).
     */
    public Wait.Result wait4(GuestThread caller, int pid, int options) {
        int known = Wait.WNOHANG | Wait.WUNTRACED | Wait.WCONTINUED | Wait.__WNOTHREAD | Wait.__WCLONE | Wait.__WALL;
        if ((options & ~known) != 0) {
            throw Errno.EINVAL.exception("wait4 options 0x" + Integer.toHexString(options));
        }
        GuestProcess self = caller.process;
        Waiter w = caller.waiter;
        for (;;) {
            w.reset();
            WaiterQueue.Node n = self.childEvents.enqueue(w);
            try {
                synchronized (treeLock) {
                    boolean any = false;
                    for (GuestProcess c : self.children) {
                        if (matches(c, pid)) {
                            any = true;
                            if (c.zombie) {
                                self.children.remove(c);
                                reapLocked(c);
                                return new Wait.Result(c.pid, c.waitStatus);
                            }
                        }
                    }
                    if (!any) {
                        throw Errno.ECHILD.exception("no child matches pid " + pid);
                    }
                }
                if ((options & Wait.WNOHANG) != 0) {
                    return new Wait.Result(0, 0);
                }
                if (caller.signals.interruptPending()) {
                    throw Errno.ERESTARTSYS.exception("wait4 interrupted");
                }
                w.await(clock, WaitClock.FOREVER);
            } finally {
                self.childEvents.remove(n);
            }
        }
    }

    /** There is one process group, number 1 ({@link #PROCESS_GROUP}): 0, -1 and -1 all mean "any child". */
    private static boolean matches(GuestProcess c, int pid) {
        if (pid > 0) {
            return c.pid == pid;
        }
        return pid == -1 || pid == 0 || pid == -PROCESS_GROUP;
    }

    // ================================================================================ signals

    /**
     * kill(2) from {@code sender} (null for the host). pid > 0: that process (a zombie accepts and
     * ignores it); 0: the caller's process group (everyone, there is one group); -1: everyone but
     * init and the caller; -{@link #PROCESS_GROUP}: everyone; other negative: ESRCH.
     */
    public void kill(GuestProcess sender, int pid, int sig) {
        if (sig < 0 || sig > Signal.NSIG) {
            throw Errno.EINVAL.exception("signal " + sig + " is outside 0.." + Signal.NSIG);
        }
        List<GuestProcess> targets = new ArrayList<>();
        if (pid > 0) {
            GuestProcess p = table.get(pid);
            if (p != null) {
                targets.add(p);
            }
        } else if (pid == -1) {
            for (GuestProcess p : table.all()) {
                if (p.pid != 1 && p != sender) {
                    targets.add(p);
                }
            }
        } else if (pid == 0 || pid == -PROCESS_GROUP) {
            targets.addAll(table.all());
        }
        if (targets.isEmpty()) {
            throw Errno.ESRCH.exception("no process " + pid);
        }
        for (GuestProcess p : targets) {
            sendSignal(p, sig, SignalInfo.SI_USER, sender == null ? 0 : sender.pid);
        }
    }

    /**
     * {@code tgkill(2)} from process {@code sender}: {@code sig} becomes pending for thread {@code tid} of process
     * {@code tgid} alone (kernel/signal.c {@code do_send_specific}): only that thread can take it,
     * unless it is fatal, which ends the whole process as for any signal. EINVAL for tgid or tid
     * &lt;= 0 or a signal outside 0..64; ESRCH when no such live thread; signal 0 only checks.
     */
    public void tgkill(int sender, int tgid, int tid, int sig) {
        if (tgid <= 0 || tid <= 0) {
            throw Errno.EINVAL.exception("tgid " + tgid + ", tid " + tid + ": both must be positive");
        }
        sendToThread(sender, tgid, tid, sig);
    }

    /** {@code tkill(2)}: {@link #tgkill} in whichever process thread {@code tid} is; EINVAL for tid &lt;= 0. */
    public void tkill(int sender, int tid, int sig) {
        if (tid <= 0) {
            throw Errno.EINVAL.exception("tid " + tid + " must be positive");
        }
        sendToThread(sender, -1, tid, sig);
    }

    private void sendToThread(int sender, int tgid, int tid, int sig) {
        if (sig < 0 || sig > Signal.NSIG) {
            throw Errno.EINVAL.exception("signal " + sig + " is outside 0.." + Signal.NSIG);
        }
        GuestThread target = null;
        for (GuestProcess p : table.all()) {
            if ((tgid == -1 || p.pid == tgid) && !p.exited()) {
                target = p.thread(tid);
                if (target != null) {
                    break;
                }
            }
        }
        if (target == null) {
            throw Errno.ESRCH.exception(tgid == -1 ? "no thread " + tid : "no thread " + tid + " in process " + tgid);
        }
        if (sig == 0 || target.process().dying()) {
            return;
        }
        if (sig == Signal.SIGKILL) {
            target.process().die(Signal.SIGKILL);
            return;
        }
        target.signals().send(sig, SignalInfo.SI_TKILL, sender);
    }

    /** Sends {@code sig} to process {@code p} (process-directed), as Linux's complete_signal. */
    public void sendSignal(GuestProcess p, int sig) {
        sendSignal(p, sig, SignalInfo.SI_KERNEL, 0);
    }

    /** {@link #sendSignal(GuestProcess, int)} with the siginfo a signalfd read reports. */
    private void sendSignal(GuestProcess p, int sig, int code, int senderPid) {
        if (sig == 0 || p.dying()) {
            return;
        }
        synchronized (treeLock) {
            if (p.zombie) {
                return;
            }
        }
        if (sig == Signal.SIGKILL) {
            p.die(Signal.SIGKILL);
            return;
        }
        GuestThread target = p.pickThread(sig);
        switch (p.sighand.queue(sig, target != null, code, senderPid)) {
            case DISCARDED -> {
            }
            case FATAL -> p.die(sig);
            case QUEUED -> {
                if (target != null) {
                    target.waiter.wake();
                }
            }
        }
    }

    // ================================================================================ lifecycle

    /** Waits until init has exited and returns its wait status. */
    public int awaitInit() throws InterruptedException {
        return table.awaitInit();
    }

    /** Waits until every process has exited. */
    public void awaitQuiescent() throws InterruptedException {
        table.awaitQuiescent();
    }

    /** Kills every process with SIGKILL (host-side teardown). */
    public void killAll() {
        for (GuestProcess p : table.all()) {
            p.die(Signal.SIGKILL);
        }
    }

    /** The process {@code pid} (live or zombie), or null. */
    public GuestProcess process(int pid) {
        return table.get(pid);
    }

    /** Every process in the table (live and zombies). */
    public Collection<GuestProcess> processes() {
        return table.snapshot();
    }

    public GuestProcess init() {
        synchronized (treeLock) {
            return init;
        }
    }

    /** Processes spawned so far (init included). */
    public long spawnedCount() {
        return spawned.get();
    }

    /** Threads created with threadCreate so far. */
    public long threadsCreated() {
        return threads.created();
    }

    /** Records a LibOS failure that a guest saw as EIO (a bug; tests assert there is none). */
    public void internalError(Throwable e) {
        LOG.log(System.Logger.Level.DEBUG, "internal LibOS error (the guest saw EIO): " + e, e);
        synchronized (internalErrors) {
            internalErrors.add(e);
        }
    }

    /**
     * Records that the host ran out of memory for process {@code pid} (the JVM's heap, or host pages
     * of the enclave), which then got the signal the kernel's OOM handling gives (SIGKILL or SIGBUS).
     */
    public void hostMemoryExhausted(int pid) {
        hostMemoryVictims.add(pid);
    }

    /**
     * What a guest thread does when the JVM's heap runs out under it ({@link OutOfMemoryError}):
     * {@code action} is run on that thread, before anything else, and must not allocate. Without
     * one, the process is killed with SIGKILL and recorded in {@link #hostMemoryVictims}, as the OOM
     * killer would. A host that treats the heap as its own failure (the {@code jocclum} command
     * ends the JVM) installs an action that does not return.
     */
    public void onHeapExhausted(Runnable action) {
        this.heapExhausted = action;
    }

    /** Runs the action of {@link #onHeapExhausted}, if any; returns when there is none or it returned. */
    void heapExhausted() {
        Runnable a = heapExhausted;
        if (a != null) {
            a.run();
        }
    }

    /** Pids of the processes ended because the host ran out of memory, in order. */
    public List<Integer> hostMemoryVictims() {
        return List.copyOf(hostMemoryVictims);
    }

    public List<Throwable> internalErrors() {
        synchronized (internalErrors) {
            return List.copyOf(internalErrors);
        }
    }

    /** Pids and tids in use. */
    public int idsInUse() {
        return pids.inUse();
    }

    /** A program image as a mappable file (the VM copies it into the image region at spawn). */
    private record BytesFile(byte[] bytes) implements MappableFile {
        @Override
        public int read(long position, ByteBuffer dst) {
            if (position >= bytes.length) {
                return 0;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            return n;
        }

        @Override
        public int write(long position, ByteBuffer src) {
            throw Errno.EACCES.exception("program images are read-only");
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public Object identity() {
            return this;
        }

        @Override
        public boolean readable() {
            return true;
        }

        @Override
        public boolean writable() {
            return false;
        }
    }
}
