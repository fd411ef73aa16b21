package io.jocclum.libos.syscall;

import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Rlimit;
import io.jocclum.api.SigAction;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.SockAddrUn;
import io.jocclum.api.Socket;
import io.jocclum.api.Ucred;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import io.jocclum.api.ThreadFunction;
import io.jocclum.api.Wait;
import io.jocclum.libos.epoll.PollCalls;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.fs.HostIo;
import io.jocclum.libos.fs.PathCalls;
import io.jocclum.libos.fs.ReadWriteCalls;
import io.jocclum.libos.net.GuestSocketCalls;
import io.jocclum.libos.net.SocketFile;
import io.jocclum.libos.net.UnixSocketFile;
import io.jocclum.libos.process.GuestExit;
import io.jocclum.libos.process.GuestThread;
import io.jocclum.libos.process.Kernel;
import io.jocclum.libos.process.GuestProcess;
import io.jocclum.libos.process.ProcessCalls;
import io.jocclum.libos.signal.SignalDelivery;
import io.jocclum.libos.signal.ThreadSignalState;
import io.jocclum.libos.vm.AccessMode;
import io.jocclum.libos.vm.GuestFault;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.libos.vm.ProcessVm;
import io.jocclum.libos.vm.SysvShm;
import io.jocclum.libos.vm.UserCopy;
import io.jocclum.libos.vm.VmCalls;
import io.jocclum.sgx.cpu.HostPagePool;
import io.jocclum.sgx.arch.Pages;

import java.util.List;

/**
 * The system-call interface of one guest thread (Occlum's syscall dispatcher): a thin
 * dispatcher. Each {@link Syscalls} method names its call ({@link Sysno}) and passes its
 * arguments to the one call wrapper ({@link #call}), which looks the call up in the dispatch
 * table ({@link #dispatch}); the logic of each call is in the package of its subsystem —
 * {@link VmCalls}, {@link FileCalls}, {@link ReadWriteCalls}, {@link PathCalls},
 * {@link io.jocclum.libos.epoll.EpollCalls}, {@link PollCalls}, {@link GuestSocketCalls},
 * {@link ProcessCalls}, the signal state — which validates the arguments in Linux's order and
 * copies between guest memory and the layers' buffers through {@link UserCopy}.
 *
 * <p>Boundaries: each call counts itself, then checks (one volatile read in the common case)
 * whether the thread needs attention — a dying process ends the thread with {@link GuestExit}, a
 * pending signal is delivered by {@link SignalDelivery} — on entry and again on return. Guest
 * loads and stores check only whether the process is dying; a faulting access kills the process
 * with SIGSEGV or SIGBUS.
 *
 * <p>Interrupted calls: the layers throw ERESTARTSYS from blocking calls that a signal
 * interrupts. The wrapper delivers the signals and restarts the call or fails it with EINTR as
 * its {@link Sysno#restart()} says: read, write, accept, send, recv and wait4 are restarted when
 * every handler that ran had SA_RESTART (or none ran), a thread join always, every other call
 * (epoll_wait, poll, select, nanosleep, connect, ...) fails with EINTR (signal(7)). ERESTARTSYS
 * never reaches a guest, and neither does any other exception of the LibOS: a failure that is not
 * an errno is recorded as an internal error of the kernel and reported to the guest as EIO.
 *
 * <p>Arguments travel as Linux passes them, in six integer registers (an int widened to a long
 * and narrowed back in the table), plus the one object some calls of the guest API take (a path,
 * an address, an action); an object result comes back in a holder. So a call allocates nothing
 * on its way through the wrapper. Not thread-safe: one per guest thread.
 */
public final class SyscallFacade implements Syscalls {
    /**
     * Work units after which a guest thread yields its carrier: a syscall counts 64, a guest-memory
     * access 1 (a bulk copy 1 per 4KB). Guest threads are virtual threads, which the JDK does not
     * preempt: without this, a few threads looping on syscalls or memory would starve every other
     * guest thread (and the init that would kill them) of the carriers.
     */
    static final int YIELD_TICKS = 4096;
    /**
     * The least host time between two yields of a guest thread: Linux's base time slice
     * ({@code sysctl_sched_base_slice}, 0.75 ms, {@code kernel/sched/fair.c}). A virtual thread's
     * yield hands it to the scheduler's shared queue, where an idle carrier takes it, so a thread
     * that yields with no other thread to run moves from CPU to CPU and leaves its caches behind:
     * a guest storing 64 KiB blocks yielded every 0.65 ms and lost about 3% of its throughput to it.
     */
    static final long YIELD_NANOS = 750_000;
    /**
     * The carriers of the JDK's virtual-thread scheduler: its parallelism, the number of the host's
     * CPUs unless {@code jdk.virtualThreadScheduler.parallelism} sets it, at most
     * {@code jdk.virtualThreadScheduler.maxPoolSize} (see {@link #carriers}).
     */
    static final int CARRIERS = carriers(System.getProperty("jdk.virtualThreadScheduler.parallelism"),
            System.getProperty("jdk.virtualThreadScheduler.maxPoolSize"), Runtime.getRuntime().availableProcessors());
    private static final int SYSCALL_TICKS = 64;

    private final GuestThread thread;
    private final GuestProcess process;
    private final Kernel kernel;
    private final Caller caller;
    private final ThreadSignalState signals;
    private final SignalDelivery delivery;
    private final ProcessVm vm;
    private final GuestMemory user;
    private final UserCopy copy;
    private final HostIo host;
    private final VmCalls memory;
    private final SyscallCounters counters;
    private final FileServices files;
    /** The scenario's scheduler gate, or null (a plain run). */
    private final io.jocclum.libos.events.Gate gate;
    /** Work since the last yield (this thread only). */
    private int ticks;
    /**
     * When this thread last yielded, on the host's clock: deliberately not the kernel's
     * {@link io.jocclum.libos.events.WaitClock}, which is the model's time and may be a manual clock
     * in tests; this throttle is about the host's CPUs (carriers), and a clock that stood still
     * would stop a guest from ever yielding. It changes no simulated figure.
     */
    private long lastYield = System.nanoTime();

    public SyscallFacade(GuestThread thread, SyscallCounters counters, FileServices files) {
        this.thread = thread;
        this.process = thread.process();
        this.kernel = thread.kernel();
        this.caller = thread.caller();
        this.signals = thread.signals();
        this.delivery = new SignalDelivery(signals, process.sighand(), process, this, GuestExit.INSTANCE);
        this.vm = process.vm();
        this.user = vm.memory(AccessMode.USER);
        this.copy = new UserCopy(vm.memory(AccessMode.KERNEL));
        this.counters = counters;
        this.files = files;
        this.gate = kernel.gate();
        this.host = new HostIo(kernel::hostDevice, f -> f instanceof SocketFile, kernel.ctx()::ocall);
        this.memory = new VmCalls(vm, (fd, prot, flags) -> FileCalls.mappable(caller, host, fd, prot, flags), kernel::sampleCommitted);
    }

    // ================================================================================ memory

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return call(Sysno.MMAP, null, addr, length, prot, flags, fd, offset);
    }

    @Override
    public void munmap(long addr, long length) {
        call(Sysno.MUNMAP, addr, length, 0);
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        call(Sysno.MPROTECT, addr, length, prot);
    }

    @Override
    public long mremap(long oldAddr, long oldSize, long newSize, int flags, long newAddr) {
        return call(Sysno.MREMAP, null, oldAddr, oldSize, newSize, flags, newAddr, 0);
    }

    @Override
    public long brk(long addr) {
        return call(Sysno.BRK, addr, 0, 0);
    }

    @Override
    public void msync(long addr, long length, int flags) {
        call(Sysno.MSYNC, addr, length, flags);
    }

    @Override
    public void madvise(long addr, long length, int advice) {
        call(Sysno.MADVISE, addr, length, advice);
    }

    // ================================================================================ guest memory

    private void alive() {
        if (gate != null) {
            gate.access(1);
        }
        if (process.dying()) {
            throw GuestExit.INSTANCE;
        }
        tick(1);
    }

    private void alive(long bytes) {
        if (gate != null && bytes > Pages.SIZE) {
            gate.access(Pages.count(bytes) - 1);
        }
        alive();
        tick((int) Math.min(Pages.count(bytes), YIELD_TICKS));
    }

    /**
     * Cooperative scheduling: yields the carrier after {@link #YIELD_TICKS} units of work, unless
     * the last yield was less than {@link #YIELD_NANOS} ago, or no other guest thread can be
     * waiting for a carrier ({@link #othersMayWait}).
     */
    private void tick(int n) {
        ticks += n;
        if (ticks >= YIELD_TICKS) {
            ticks = 0;
            long now = System.nanoTime();
            if (yieldDue(now - lastYield)) {
                lastYield = now;
                if (othersMayWait(gate != null, GuestThread.live(), CARRIERS)) {
                    Thread.yield();
                }
            }
        }
    }

    /**
     * The carriers of the default virtual-thread scheduler as the JDK sizes it from the same two
     * properties: {@code parallelism} (decimal; the CPU count when unset) capped by
     * {@code maxPoolSize} when that is set. A value the JDK could not read leaves the CPU count
     * (the JDK's scheduler would not start then, and no guest thread would run).
     */
    static int carriers(String parallelism, String maxPoolSize, int cpus) {
        int n = cpus;
        try {
            if (parallelism != null) {
                n = Integer.parseInt(parallelism);
            }
            if (maxPoolSize != null) {
                n = Math.min(n, Integer.parseInt(maxPoolSize));
            }
        } catch (NumberFormatException e) {
            n = cpus;
        }
        return Math.max(1, n);
    }

    /**
     * True if a guest thread whose time slice is up yields its carrier: when a scenario's
     * scheduler gate orders the threads ({@code gated}), or when the guest threads of this JVM
     * ({@code liveGuestThreads}, the yielding one and blocked ones included) are as many as the
     * scheduler's {@code carriers} or more, so that another one may be waiting for a carrier.
     * With fewer, every guest thread that can run has a carrier and one carrier is left for the
     * LibOS's other virtual threads: a yield would only hand the thread to the scheduler's shared
     * queue, from where an idle carrier, often on another CPU, takes it back. Linux's scheduler
     * likewise preempts a task at the end of its slice only if another task is runnable on its
     * CPU ({@code kernel/sched/fair.c}).
     */
    static boolean othersMayWait(boolean gated, int liveGuestThreads, int carriers) {
        return gated || liveGuestThreads >= carriers;
    }

    /** True if a thread that has done {@link #YIELD_TICKS} units of work {@code sinceLastYield} ns after its last yield yields now. */
    static boolean yieldDue(long sinceLastYield) {
        return sinceLastYield >= YIELD_NANOS;
    }

    /** A user access faulted: the process dies with the fault's signal. */
    private GuestExit fault(GuestFault f) {
        process.die(f.signal().signo());
        return GuestExit.INSTANCE;
    }

    @Override
    public byte loadByte(long addr) {
        alive();
        try {
            return user.readByte(addr);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public void storeByte(long addr, byte value) {
        alive();
        try {
            user.writeByte(addr, value);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public int loadInt(long addr) {
        alive();
        try {
            return user.readInt(addr);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public void storeInt(long addr, int value) {
        alive();
        try {
            user.writeInt(addr, value);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public long loadLong(long addr) {
        alive();
        try {
            return user.readLong(addr);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public void storeLong(long addr, long value) {
        alive();
        try {
            user.writeLong(addr, value);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public void loadBytes(long addr, byte[] dst, int offset, int length) {
        alive(length);
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        try {
            user.read(addr, dst, offset, length);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public void storeBytes(long addr, byte[] src, int offset, int length) {
        alive(length);
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        try {
            user.write(addr, src, offset, length);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }

    @Override
    public void fillBytes(long addr, long length, byte value) {
        alive(length);
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        try {
            user.fill(addr, length, value);
        } catch (GuestFault f) {
            throw fault(f);
        }
    }


    // ================================================================================ processes

    @Override
    public int getpid() {
        return (int) call(Sysno.GETPID, 0, 0, 0);
    }

    @Override
    public int getppid() {
        return (int) call(Sysno.GETPPID, 0, 0, 0);
    }

    @Override
    public int gettid() {
        return (int) call(Sysno.GETTID, 0, 0, 0);
    }

    /** posix_spawn's four object arguments, in the one object slot. */
    private record Spawn(String path, List<SpawnAction> actions, String[] argv, String[] envp) {
    }

    @Override
    public int posixSpawn(String path, List<SpawnAction> actions, String[] argv, String[] envp) {
        return (int) call(Sysno.POSIX_SPAWN, new Spawn(path, actions, argv, envp), 0, 0, 0);
    }

    @Override
    public void exit(int status) {
        counters.increment(Sysno.EXIT);
        kernel.exitThread(thread, status);
        throw GuestExit.INSTANCE;
    }

    @Override
    public void exitGroup(int status) {
        counters.increment(Sysno.EXIT_GROUP);
        kernel.exitGroup(thread, status);
        throw GuestExit.INSTANCE;
    }

    @Override
    public Wait.Result wait4(int pid, int options) {
        return (Wait.Result) get(Sysno.WAIT4, null, pid, options);
    }

    @Override
    public int wait4(int pid, long statusAddr, int options) {
        return (int) call(Sysno.WAIT4, pid, statusAddr, options);
    }

    @Override
    public void kill(int pid, int sig) {
        call(Sysno.KILL, pid, sig, 0);
    }

    @Override
    public void tgkill(int tgid, int tid, int sig) {
        call(Sysno.TGKILL, tgid, tid, sig);
    }

    @Override
    public void tkill(int tid, int sig) {
        call(Sysno.TKILL, tid, sig, 0);
    }

    @Override
    public SigAction sigaction(int sig, SigAction act) {
        return (SigAction) get(Sysno.RT_SIGACTION, act, sig, 0);
    }

    @Override
    public long sigprocmask(int how, long set) {
        return call(Sysno.RT_SIGPROCMASK, how, set, 0);
    }

    @Override
    public long sigpending() {
        return call(Sysno.RT_SIGPENDING, 0, 0, 0);
    }

    @Override
    public int threadCreate(ThreadFunction body) {
        return (int) call(Sysno.CLONE, body, 0, 0, 0);
    }

    @Override
    public long threadJoin(int tid) {
        return call(Sysno.THREAD_JOIN, tid, 0, 0);
    }

    @Override
    public void schedYield() {
        call(Sysno.SCHED_YIELD, 0, 0, 0);
    }

    @Override
    public long clockGettime(int clockId) {
        return call(Sysno.CLOCK_GETTIME, clockId, 0, 0);
    }

    @Override
    public void nanosleep(long nanos) {
        call(Sysno.NANOSLEEP, nanos, 0, 0);
    }

    // ================================================================================ files

    @Override
    public int open(String path, int flags, int mode) {
        return (int) call(Sysno.OPEN, path, OpenFlags.AT_FDCWD, flags, mode);
    }

    @Override
    public int openat(int dirfd, String path, int flags, int mode) {
        return (int) call(Sysno.OPENAT, path, dirfd, flags, mode);
    }

    @Override
    public void close(int fd) {
        call(Sysno.CLOSE, fd, 0, 0);
    }

    @Override
    public long read(int fd, long buf, long count) {
        return call(Sysno.READ, fd, buf, count);
    }

    @Override
    public long pread(int fd, long buf, long count, long offset) {
        return call(Sysno.PREAD64, null, fd, buf, count, offset, 0, 0);
    }

    @Override
    public long write(int fd, long buf, long count) {
        return call(Sysno.WRITE, fd, buf, count);
    }

    @Override
    public long pwrite(int fd, long buf, long count, long offset) {
        return call(Sysno.PWRITE64, null, fd, buf, count, offset, 0, 0);
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        return call(Sysno.LSEEK, fd, offset, whence);
    }

    @Override
    public Stat fstat(int fd) {
        return (Stat) get(Sysno.FSTAT, null, fd, 0);
    }

    @Override
    public Stat stat(String path) {
        return (Stat) get(Sysno.STAT, path, 0, 0);
    }

    @Override
    public Stat lstat(String path) {
        return (Stat) get(Sysno.LSTAT, path, 0, 0);
    }

    @Override
    public void ftruncate(int fd, long length) {
        call(Sysno.FTRUNCATE, fd, length, 0);
    }

    @Override
    public void fsync(int fd) {
        call(Sysno.FSYNC, fd, 0, 0);
    }

    @Override
    public void unlink(String path) {
        call(Sysno.UNLINK, path, 0, 0, 0);
    }

    @Override
    public void rename(String oldPath, String newPath) {
        call(Sysno.RENAME, new String[]{oldPath, newPath}, 0, 0, 0);
    }

    @Override
    public void mkdir(String path, int mode) {
        call(Sysno.MKDIR, path, mode, 0, 0);
    }

    @Override
    public void rmdir(String path) {
        call(Sysno.RMDIR, path, 0, 0, 0);
    }

    @Override
    public void chdir(String path) {
        call(Sysno.CHDIR, path, 0, 0, 0);
    }

    @Override
    public String getcwd() {
        return (String) get(Sysno.GETCWD, null, 0, 0);
    }

    @Override
    public int dup(int fd) {
        return (int) call(Sysno.DUP, fd, 0, 0);
    }

    @Override
    public int dup2(int oldFd, int newFd) {
        return (int) call(Sysno.DUP2, oldFd, newFd, 0);
    }

    @Override
    public int dup3(int oldFd, int newFd, int flags) {
        return (int) call(Sysno.DUP3, oldFd, newFd, flags);
    }

    @Override
    public long fcntl(int fd, int cmd, long arg) {
        return call(Sysno.FCNTL, fd, cmd, arg);
    }

    @Override
    public int ioctl(int fd, int cmd, long argAddr) {
        return (int) call(Sysno.IOCTL, fd, cmd, argAddr);
    }

    @Override
    public long getdents64(int fd, long buf, long count) {
        return call(Sysno.GETDENTS64, fd, buf, count);
    }

    @Override
    public int[] pipe2(int flags) {
        return (int[]) get(Sysno.PIPE2, null, flags, 0);
    }

    @Override
    public int eventfd(int initval, int flags) {
        return (int) call(Sysno.EVENTFD2, initval, flags, 0);
    }

    @Override
    public int timerfdCreate(int clockid, int flags) {
        return (int) call(Sysno.TIMERFD_CREATE, clockid, flags, 0);
    }

    @Override
    public void timerfdSettime(int fd, int flags, long newValue, long oldValue) {
        call(Sysno.TIMERFD_SETTIME, null, fd, flags, newValue, oldValue, 0, 0);
    }

    @Override
    public void timerfdGettime(int fd, long currValue) {
        call(Sysno.TIMERFD_GETTIME, fd, currValue, 0);
    }

    @Override
    public int signalfd4(int fd, long maskAddr, long sizemask, int flags) {
        return (int) call(Sysno.SIGNALFD4, null, fd, maskAddr, sizemask, flags, 0, 0);
    }

    @Override
    public int signalfd(int fd, long maskAddr, long sizemask) {
        return (int) call(Sysno.SIGNALFD, fd, maskAddr, sizemask);
    }

    // ================================================================================ events

    @Override
    public int epollCreate1(int flags) {
        return (int) call(Sysno.EPOLL_CREATE1, flags, 0, 0);
    }

    @Override
    public void epollCtl(int epfd, int op, int fd, EpollEvent event) {
        call(Sysno.EPOLL_CTL, event, epfd, op, fd);
    }

    @Override
    public int epollWait(int epfd, long events, int maxevents, int timeoutMs) {
        return (int) call(Sysno.EPOLL_WAIT, null, epfd, events, maxevents, timeoutMs, 0, 0);
    }

    @Override
    public int epollPwait(int epfd, long events, int maxevents, int timeoutMs, long sigmask) {
        return (int) call(Sysno.EPOLL_PWAIT, null, epfd, events, maxevents, timeoutMs, sigmask, 0);
    }

    @Override
    public int epollCreate(int size) {
        return (int) call(Sysno.EPOLL_CREATE, size, 0, 0);
    }

    /** The object slot of an epoll_pwait whose mask is an address (the 5-argument form passes the mask itself). */
    private static final Object SIGMASK_ADDRESS = new Object();

    @Override
    public int epollPwait(int epfd, long events, int maxevents, int timeoutMs, long sigmaskAddr, long sigsetsize) {
        return (int) call(Sysno.EPOLL_PWAIT, SIGMASK_ADDRESS, epfd, events, maxevents, timeoutMs, sigmaskAddr, sigsetsize);
    }

    @Override
    public int epollPwait2(int epfd, long events, int maxevents, long timeoutAddr, long sigmaskAddr, long sigsetsize) {
        return (int) call(Sysno.EPOLL_PWAIT2, null, epfd, events, maxevents, timeoutAddr, sigmaskAddr, sigsetsize);
    }

    @Override
    public int ppoll(long fds, int nfds, long tsp, long sigmaskAddr, long sigsetsize) {
        return (int) call(Sysno.PPOLL, null, fds, nfds, tsp, sigmaskAddr, sigsetsize, 0);
    }

    @Override
    public int pselect6(int nfds, long readfds, long writefds, long exceptfds, long tsp, long sigArg) {
        return (int) call(Sysno.PSELECT6, null, nfds, readfds, writefds, exceptfds, tsp, sigArg);
    }

    @Override
    public int poll(long fds, int nfds, int timeoutMs) {
        return (int) call(Sysno.POLL, fds, nfds, timeoutMs);
    }

    @Override
    public int select(int nfds, long readfds, long writefds, long exceptfds, long timeoutMicros) {
        return (int) call(Sysno.SELECT, null, nfds, readfds, writefds, exceptfds, timeoutMicros, 0);
    }

    // ================================================================================ sockets

    @Override
    public int socket(int domain, int type, int protocol) {
        return (int) call(Sysno.SOCKET, domain, type, protocol);
    }

    @Override
    public void bind(int fd, SockAddrIn addr) {
        call(Sysno.BIND, addr, fd, 0, 0);
    }

    @Override
    public void listen(int fd, int backlog) {
        call(Sysno.LISTEN, fd, backlog, 0);
    }

    @Override
    public int accept(int fd) {
        return (int) call(Sysno.ACCEPT, fd, 0, 0);
    }

    @Override
    public int accept4(int fd, int flags) {
        return (int) call(Sysno.ACCEPT4, fd, flags, 0);
    }

    @Override
    public void connect(int fd, SockAddrIn addr) {
        call(Sysno.CONNECT, addr, fd, 0, 0);
    }

    @Override
    public long send(int fd, long buf, long len, int flags) {
        return call(Sysno.SENDTO, null, fd, buf, len, flags, 0, 0);
    }

    /** The destination is not used: the socket is a connected TCP socket (Linux ignores it there). */
    @Override
    public long sendto(int fd, long buf, long len, int flags, SockAddrIn dest) {
        return call(Sysno.SENDTO, null, fd, buf, len, flags, 0, 0);
    }

    @Override
    public long recv(int fd, long buf, long len, int flags) {
        return call(Sysno.RECVFROM, null, fd, buf, len, flags, 0, 0);
    }

    @Override
    public long recvfrom(int fd, long buf, long len, int flags) {
        return call(Sysno.RECVFROM, null, fd, buf, len, flags, 0, 0);
    }

    @Override
    public void shutdown(int fd, int how) {
        call(Sysno.SHUTDOWN, fd, how, 0);
    }

    @Override
    public void setsockopt(int fd, int level, int name, int value) {
        call(Sysno.SETSOCKOPT, null, fd, level, name, value, 0, 0);
    }

    @Override
    public int getsockopt(int fd, int level, int name) {
        return (int) call(Sysno.GETSOCKOPT, fd, level, name);
    }

    @Override
    public SockAddrIn getsockname(int fd) {
        return (SockAddrIn) get(Sysno.GETSOCKNAME, null, fd, 0);
    }

    @Override
    public SockAddrIn getpeername(int fd) {
        return (SockAddrIn) get(Sysno.GETPEERNAME, null, fd, 0);
    }

    // ================================================================================ files (more), identity, limits

    @Override
    public void fdatasync(int fd) {
        call(Sysno.FDATASYNC, fd, 0, 0);
    }

    @Override
    public void fallocate(int fd, int mode, long offset, long len) {
        call(Sysno.FALLOCATE, null, fd, mode, offset, len, 0, 0);
    }

    @Override
    public int getuid() {
        return (int) call(Sysno.GETUID, 0, 0, 0);
    }

    @Override
    public int geteuid() {
        return (int) call(Sysno.GETEUID, 0, 0, 0);
    }

    @Override
    public int getgid() {
        return (int) call(Sysno.GETGID, 0, 0, 0);
    }

    @Override
    public int getegid() {
        return (int) call(Sysno.GETEGID, 0, 0, 0);
    }

    @Override
    public void setuid(int uid) {
        call(Sysno.SETUID, uid, 0, 0);
    }

    @Override
    public void setgid(int gid) {
        call(Sysno.SETGID, gid, 0, 0);
    }

    @Override
    public Rlimit getrlimit(int resource) {
        return (Rlimit) get(Sysno.GETRLIMIT, null, resource, 0);
    }

    @Override
    public void setrlimit(int resource, Rlimit limit) {
        call(Sysno.SETRLIMIT, limit, resource, 0, 0);
    }

    @Override
    public Rlimit prlimit(int pid, int resource, Rlimit newLimit) {
        return (Rlimit) get(Sysno.PRLIMIT64, newLimit, pid, resource);
    }

    // ================================================================================ AF_UNIX sockets

    @Override
    public int[] socketpair(int domain, int type, int protocol) {
        return (int[]) get(Sysno.SOCKETPAIR, null, domain, type, protocol);
    }

    @Override
    public void bind(int fd, SockAddrUn addr) {
        call(Sysno.BIND, addr, fd, 0, 0);
    }

    @Override
    public void connect(int fd, SockAddrUn addr) {
        call(Sysno.CONNECT, addr, fd, 0, 0);
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, SockAddrUn dest) {
        return call(Sysno.SENDTO, dest, fd, buf, len, flags, 0, 0);
    }

    @Override
    public long sendmsg(int fd, long msg, int flags) {
        return call(Sysno.SENDMSG, fd, msg, flags);
    }

    @Override
    public long recvmsg(int fd, long msg, int flags) {
        return call(Sysno.RECVMSG, fd, msg, flags);
    }

    @Override
    public SockAddrUn getsocknameUnix(int fd) {
        return (SockAddrUn) get(Sysno.GETSOCKNAME, null, fd, Socket.AF_UNIX);
    }

    @Override
    public SockAddrUn getpeernameUnix(int fd) {
        return (SockAddrUn) get(Sysno.GETPEERNAME, null, fd, Socket.AF_UNIX);
    }

    @Override
    public Ucred getpeercred(int fd) {
        return (Ucred) get(Sysno.GETSOCKOPT, null, fd, Socket.SO_PEERCRED);
    }

    // ================================================================================ System V shared memory

    @Override
    public int shmget(int key, long size, int shmflg) {
        return (int) call(Sysno.SHMGET, key, size, shmflg);
    }

    @Override
    public long shmat(int shmid, long shmaddr, int shmflg) {
        return call(Sysno.SHMAT, shmid, shmaddr, shmflg);
    }

    @Override
    public void shmdt(long shmaddr) {
        call(Sysno.SHMDT, shmaddr, 0, 0);
    }

    @Override
    public int shmctl(int shmid, int cmd, long buf) {
        return (int) call(Sysno.SHMCTL, shmid, cmd, buf);
    }

    private SysvShm.Cred ipcCaller() {
        return new SysvShm.Cred(process.pid(), caller.credentials().uid(), caller.credentials().gid());
    }

    // ================================================================================ the call wrapper

    /**
     * The one system-call wrapper. Counts the call and stops at the boundary ({@link #enter});
     * runs it ({@link #dispatch}); when a signal interrupted it (ERESTARTSYS), delivers and
     * restarts it or fails with EINTR as {@link Sysno#restart()} says; maps any other failure to
     * what a guest may see ({@link #fail}); and stops at the boundary again on return, whatever
     * happened.
     *
     * @param o      the call's object argument, or null
     * @param a0..a5 its integer arguments in order, unused ones 0
     */
    private long call(Sysno s, Object o, long a0, long a1, long a2, long a3, long a4, long a5) {
        enter(s);
        try {
            for (;;) {
                try {
                    return dispatch(s, o, a0, a1, a2, a3, a4, a5);
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.ERESTARTSYS || s.restart() == Sysno.Restart.NEVER) {
                        throw e;
                    }
                    delivery.restartOrEintr(s.restart() == Sysno.Restart.ALWAYS);
                }
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    /** A call with at most three integer arguments. */
    private long call(Sysno s, long a0, long a1, long a2) {
        return call(s, null, a0, a1, a2, 0, 0, 0);
    }

    /** A call with an object argument and at most three integer ones. */
    private long call(Sysno s, Object o, long a0, long a1, long a2) {
        return call(s, o, a0, a1, a2, 0, 0, 0);
    }

    /** A call whose result is an object: it comes back through an {@link ObjectCall}. */
    private Object get(Sysno s, Object o, long a0, long a1) {
        ObjectCall c = new ObjectCall(o);
        call(s, c, a0, a1, 0, 0, 0, 0);
        return c.result;
    }

    /** A call whose result is an object, with three integer arguments. */
    private Object get(Sysno s, Object o, long a0, long a1, long a2) {
        ObjectCall c = new ObjectCall(o);
        call(s, c, a0, a1, a2, 0, 0, 0);
        return c.result;
    }

    /** The object slot of a call whose result is an object: its object argument in, its result out. */
    private static final class ObjectCall {
        final Object arg;
        Object result;

        ObjectCall(Object arg) {
            this.arg = arg;
        }
    }

    /** Stores a call's object result; the call itself returns 0. */
    private static long result(Object call, Object value) {
        ((ObjectCall) call).result = value;
        return 0;
    }

    private static Object arg(Object call) {
        return ((ObjectCall) call).arg;
    }

    /**
     * {@code value} unless the LibOS runs under a scenario's gate, where what needs a host thread
     * or the host's network cannot be deterministic: ENOSYS (docs/scenarios.md).
     */
    private int nonDeterministic(String what, int value) {
        if (gate != null) {
            throw Errno.ENOSYS.exception(what + " cannot be used in a scenario: it waits on the host, not in simulated time");
        }
        return value;
    }

    private void enter(Sysno s) {
        if (gate != null) {
            gate.syscall();
        }
        counters.increment(s);
        tick(SYSCALL_TICKS);
        if (delivery.attention()) {
            delivery.boundary();
        }
    }

    private void leave() {
        if (delivery.attention()) {
            delivery.boundary();
        }
    }

    /**
     * Maps a failure from below to what the guest may see; always throws. An ERESTARTSYS that
     * was not restarted becomes EINTR, a guest fault kills the process, anything but an errno is
     * an internal error of the kernel, recorded, and EIO for the guest.
     */
    private RuntimeException fail(RuntimeException e) {
        if (e instanceof ErrnoException ee) {
            if (ee.errno() == Errno.ERESTARTSYS) {
                throw Errno.EINTR.exception("interrupted by a signal");
            }
            throw ee;
        }
        if (e instanceof GuestFault f) {
            throw fault(f);
        }
        if (e instanceof HostPagePool.HostMemoryExhausted) {
            throw Errno.ENOMEM.exception("the host has no memory left for enclave pages");
        }
        kernel.internalError(e);
        throw Errno.EIO.exception("internal LibOS error: " + e);
    }

    // ================================================================================ the dispatch table

    /**
     * Runs one call: its subsystem's entry point, with the arguments where its entry point above
     * put them. Returns the call's result, 0 for calls without one; an object result goes into
     * the {@link ObjectCall}.
     */
    private long dispatch(Sysno s, Object o, long a0, long a1, long a2, long a3, long a4, long a5) {
        long r = 0;
        switch (s) {
            case MMAP -> r = memory.mmap(a0, a1, (int) a2, (int) a3, (int) a4, a5);
            case MUNMAP -> memory.munmap(a0, a1);
            case MPROTECT -> memory.mprotect(a0, a1, (int) a2);
            case MREMAP -> r = memory.mremap(a0, a1, a2, (int) a3, a4);
            case BRK -> r = memory.brk(a0);
            case MSYNC -> memory.msync(a0, a1, (int) a2);
            case MADVISE -> memory.madvise(a0, a1, (int) a2);

            case GETPID -> r = process.pid();
            case GETPPID -> r = ProcessCalls.getppid(thread);
            case GETTID -> r = thread.tid();
            case POSIX_SPAWN -> {
                Spawn p = (Spawn) o;
                r = ProcessCalls.posixSpawn(thread, p.path(), p.actions(), p.argv(), p.envp());
            }
            case WAIT4 -> r = o instanceof ObjectCall ? result(o, kernel.wait4(thread, (int) a0, (int) a1))
                    : ProcessCalls.wait4(thread, copy, (int) a0, a1, (int) a2);
            case KILL -> kernel.kill(process, (int) a0, (int) a1);
            case RT_SIGACTION -> r = result(o, process.sighand().set((int) a0, (SigAction) arg(o)));
            case RT_SIGPROCMASK -> r = signals.setMask((int) a0, a1);
            case RT_SIGPENDING -> r = signals.sigpending();
            case CLONE -> r = ProcessCalls.threadCreate(thread, (ThreadFunction) o);
            case THREAD_JOIN -> r = kernel.joinThread(thread, (int) a0);
            case SCHED_YIELD -> Thread.yield();
            case CLOCK_GETTIME -> r = ProcessCalls.clockGettime(kernel, (int) a0);
            case NANOSLEEP -> ProcessCalls.nanosleep(caller, a0);

            case OPEN, OPENAT -> r = PathCalls.openat(kernel.vfs(), caller, host, (int) a0, (String) o, (int) a1, (int) a2);
            case CLOSE -> FileCalls.close(caller, (int) a0);
            case READ -> r = ReadWriteCalls.read(caller, copy, host, (int) a0, a1, a2);
            case WRITE -> r = ReadWriteCalls.write(caller, copy, host, (int) a0, a1, a2);
            case PREAD64 -> r = ReadWriteCalls.pread(caller, copy, host, (int) a0, a1, a2, a3);
            case PWRITE64 -> r = ReadWriteCalls.pwrite(caller, copy, host, (int) a0, a1, a2, a3);
            case LSEEK -> r = FileCalls.lseek(caller, (int) a0, a1, (int) a2);
            case FSTAT -> r = result(o, FileCalls.fstat(caller, (int) a0));
            case STAT -> r = result(o, PathCalls.stat(kernel.vfs(), caller, host, (String) arg(o)));
            case LSTAT -> r = result(o, PathCalls.lstat(kernel.vfs(), caller, host, (String) arg(o)));
            case FTRUNCATE -> FileCalls.ftruncate(caller, host, (int) a0, a1);
            case FSYNC -> FileCalls.fsync(caller, host, vm, (int) a0);
            case UNLINK -> PathCalls.unlink(kernel.vfs(), caller, (String) o);
            case RENAME -> PathCalls.rename(kernel.vfs(), caller, ((String[]) o)[0], ((String[]) o)[1]);
            case MKDIR -> PathCalls.mkdir(kernel.vfs(), caller, (String) o, (int) a0);
            case RMDIR -> PathCalls.rmdir(kernel.vfs(), caller, (String) o);
            case CHDIR -> PathCalls.chdir(kernel.vfs(), caller, (String) o);
            case GETCWD -> r = result(o, kernel.vfs().getcwd(caller));
            case DUP -> r = FileCalls.dup(caller, (int) a0);
            case DUP2 -> r = FileCalls.dup2(caller, (int) a0, (int) a1);
            case DUP3 -> r = FileCalls.dup3(caller, (int) a0, (int) a1, (int) a2);
            case FCNTL -> r = FileCalls.fcntl(caller, (int) a0, (int) a1, a2);
            case IOCTL -> r = FileCalls.ioctl(caller, copy, (int) a0, (int) a1, a2);
            case GETDENTS64 -> r = ReadWriteCalls.getdents64(caller, copy, host, (int) a0, a1, a2);
            case PIPE2 -> r = result(o, files.pipes().pipe2(caller, (int) a0));
            case EVENTFD2 -> r = files.eventfds().eventfd2(caller, (int) a0, (int) a1);

            case TIMERFD_CREATE -> r = files.timerfds().timerfdCreate(caller, nonDeterministic("timerfd", (int) a0), (int) a1);
            case TIMERFD_SETTIME -> files.timerfds().timerfdSettime(caller, copy, kernel.wallClock(), (int) a0, (int) a1, a2, a3);
            case TIMERFD_GETTIME -> files.timerfds().timerfdGettime(caller, copy, (int) a0, a1);
            case SIGNALFD, SIGNALFD4 -> r = files.signalfds().signalfd4(caller, copy, (int) a0, a1, a2, (int) a3);

            case EPOLL_CREATE1 -> r = files.epolls().epollCreate1(caller, (int) a0);
            case EPOLL_CTL -> files.epolls().epollCtl(caller, (int) a0, (int) a1, (int) a2, (EpollEvent) o);
            case EPOLL_WAIT -> r = files.epolls().epollWait(caller, copy, (int) a0, a1, (int) a2, (int) a3);
            case EPOLL_PWAIT -> r = o == SIGMASK_ADDRESS ? files.epolls().epollPwait(caller, copy, (int) a0, a1, (int) a2, (int) a3, a4, a5)
                    : files.epolls().epollPwait(caller, copy, (int) a0, a1, (int) a2, (int) a3, a4);
            case EPOLL_CREATE -> r = files.epolls().epollCreate(caller, (int) a0);
            case EPOLL_PWAIT2 -> r = files.epolls().epollPwait2(caller, copy, (int) a0, a1, (int) a2, a3, a4, a5);
            case PPOLL -> r = PollCalls.ppoll(caller, copy, a0, (int) a1, a2, a3, a4);
            case PSELECT6 -> r = PollCalls.pselect6(caller, copy, (int) a0, a1, a2, a3, a4, a5);
            case TGKILL -> kernel.tgkill(process.pid(), (int) a0, (int) a1, (int) a2);
            case TKILL -> kernel.tkill(process.pid(), (int) a0, (int) a1);
            case POLL -> r = PollCalls.poll(caller, copy, a0, (int) a1, (int) a2);
            case SELECT -> r = PollCalls.select(caller, copy, (int) a0, a1, a2, a3, a4);

            case SOCKET -> r = a0 == Socket.AF_UNIX ? files.unix().socket(caller, (int) a1, (int) a2, ucred()) : GuestSocketCalls.socket(files.sockets(), caller, host, nonDeterministic("a host socket", (int) a0), (int) a1, (int) a2);
            case BIND -> {
                if (unixFd(a0) || o instanceof SockAddrUn) {
                    files.unix().bind(caller, kernel.vfs(), (int) a0, unixAddress(o));
                } else {
                    GuestSocketCalls.bind(files.sockets(), caller, host, (int) a0, (SockAddrIn) o);
                }
            }
            case LISTEN -> {
                if (unixFd(a0)) {
                    files.unix().listen(caller, (int) a0, (int) a1, ucred());
                } else {
                    GuestSocketCalls.listen(files.sockets(), caller, host, (int) a0, (int) a1);
                }
            }
            case ACCEPT, ACCEPT4 -> r = unixFd(a0) ? files.unix().accept4(caller, (int) a0, (int) a1) : GuestSocketCalls.accept4(files.sockets(), caller, host, (int) a0, (int) a1);
            case CONNECT -> {
                if (unixFd(a0) || o instanceof SockAddrUn) {
                    files.unix().connect(caller, kernel.vfs(), (int) a0, unixAddress(o), ucred());
                } else {
                    GuestSocketCalls.connect(files.sockets(), caller, host, (int) a0, (SockAddrIn) o);
                }
            }
            case SENDTO -> r = unixFd(a0) ? files.unix().send(caller, copy, kernel.vfs(), (int) a0, a1, a2, (int) a3, (SockAddrUn) o)
                    : GuestSocketCalls.send(files.sockets(), caller, copy, host, (int) a0, a1, a2, (int) a3);
            case RECVFROM -> r = unixFd(a0) ? files.unix().recv(caller, copy, (int) a0, a1, a2, (int) a3) : GuestSocketCalls.recv(files.sockets(), caller, copy, host, (int) a0, a1, a2, (int) a3);
            case SHUTDOWN -> {
                if (unixFd(a0)) {
                    files.unix().shutdown(caller, (int) a0, (int) a1);
                } else {
                    GuestSocketCalls.shutdown(files.sockets(), caller, host, (int) a0, (int) a1);
                }
            }
            case SETSOCKOPT -> {
                if (unixFd(a0)) {
                    files.unix().setsockopt(caller, (int) a0, (int) a1, (int) a2, (int) a3);
                } else {
                    files.sockets().setsockopt(caller, (int) a0, (int) a1, (int) a2, (int) a3);
                }
            }
            case GETSOCKOPT -> {
                if (o instanceof ObjectCall) {
                    r = result(o, files.unix().peercred(caller, (int) a0));
                } else {
                    r = unixFd(a0) ? files.unix().getsockopt(caller, (int) a0, (int) a1, (int) a2)
                            : files.sockets().getsockopt(caller, (int) a0, (int) a1, (int) a2);
                }
            }
            case GETSOCKNAME -> r = result(o, a1 == Socket.AF_UNIX ? files.unix().getsockname(caller, (int) a0)
                    : files.sockets().getsockname(caller, inetFd(a0)));
            case GETPEERNAME -> r = result(o, a1 == Socket.AF_UNIX ? files.unix().getpeername(caller, (int) a0)
                    : files.sockets().getpeername(caller, inetFd(a0)));
            case SOCKETPAIR -> r = result(o, files.unix().socketpair(caller, (int) a0, (int) a1, (int) a2, ucred()));
            case SENDMSG -> r = files.unix().sendmsg(caller, copy, kernel.vfs(), (int) a0, a1, (int) a2);
            case RECVMSG -> r = files.unix().recvmsg(caller, copy, (int) a0, a1, (int) a2);

            case FDATASYNC -> FileCalls.fdatasync(caller, host, vm, (int) a0);
            case FALLOCATE -> FileCalls.fallocate(caller, host, (int) a0, (int) a1, a2, a3);
            case GETUID, GETEUID -> r = process.credentials().uid();
            case GETGID, GETEGID -> r = process.credentials().gid();
            case SETUID -> ProcessCalls.setId(thread, (int) a0, "uid");
            case SETGID -> ProcessCalls.setId(thread, (int) a0, "gid");
            case GETRLIMIT -> r = result(o, ProcessCalls.getrlimit(thread, (int) a0));
            case SETRLIMIT -> ProcessCalls.setrlimit(thread, (int) a0, (Rlimit) o);
            case PRLIMIT64 -> r = result(o, ProcessCalls.prlimit(thread, (int) a0, (int) a1, (Rlimit) arg(o)));

            case SHMGET -> r = kernel.userSpace().sysvShm().shmget((int) a0, a1, (int) a2, ipcCaller());
            case SHMAT -> r = kernel.userSpace().sysvShm().shmat(vm, (int) a0, a1, (int) a2, ipcCaller());
            case SHMDT -> kernel.userSpace().sysvShm().shmdt(vm, a0);
            case SHMCTL -> r = kernel.userSpace().sysvShm().shmctl((int) a0, (int) a1, a2, ipcCaller(), copy);

            case EXIT, EXIT_GROUP -> throw new IllegalStateException(s.linuxName() + " ends the thread and is not dispatched");
            default -> throw new IllegalStateException("no dispatch entry for " + s.linuxName());
        }
        return r;
    }

    /** True when {@code fd} is an open AF_UNIX socket. */
    private boolean unixFd(long fd) {
        return caller.files().getOrNull((int) fd) instanceof UnixSocketFile;
    }

    /** The descriptor of an inet socket call: EAFNOSUPPORT for an AF_UNIX socket, whose addresses are {@link SockAddrUn}s. */
    private int inetFd(long fd) {
        if (unixFd(fd)) {
            throw Errno.EAFNOSUPPORT.exception("fd " + fd + " is an AF_UNIX socket: use the SockAddrUn calls");
        }
        return (int) fd;
    }

    /** The AF_UNIX address of bind or connect: EFAULT for none, EINVAL for an AF_INET address. */
    private static SockAddrUn unixAddress(Object o) {
        if (o == null) {
            throw Errno.EFAULT.exception("null address");
        }
        if (!(o instanceof SockAddrUn a)) {
            throw Errno.EINVAL.exception("an AF_INET address for an AF_UNIX socket");
        }
        return a;
    }

    /** The caller's credentials as SO_PEERCRED reports them. */
    private Ucred ucred() {
        return new Ucred(process.pid(), process.credentials().uid(), process.credentials().gid());
    }

    @Override
    public String toString() {
        return "syscalls of " + thread;
    }
}
