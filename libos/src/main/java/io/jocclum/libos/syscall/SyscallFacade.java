package io.jocclum.libos.syscall;

import io.jocclum.api.Clocks;
import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Ioctls;
import io.jocclum.api.Mman;
import io.jocclum.api.Poll;
import io.jocclum.api.SigAction;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import io.jocclum.api.ThreadFunction;
import io.jocclum.api.Wait;
import io.jocclum.libos.epoll.EpollCalls;
import io.jocclum.libos.epoll.EpollEventBuffer;
import io.jocclum.libos.epoll.PollCalls;
import io.jocclum.libos.epoll.SelectResult;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.DirectoryFile;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.fs.HostIo;
import io.jocclum.libos.fs.PathCalls;
import io.jocclum.libos.fs.ReadWriteCalls;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.RegularFile;
import io.jocclum.libos.fs.SpawnFileAction;
import io.jocclum.libos.net.GuestSocketCalls;
import io.jocclum.libos.net.SocketFile;
import io.jocclum.libos.process.GuestExit;
import io.jocclum.libos.process.GuestThread;
import io.jocclum.libos.process.Kernel;
import io.jocclum.libos.process.Process;
import io.jocclum.libos.process.ProcessCalls;
import io.jocclum.libos.signal.SignalDelivery;
import io.jocclum.libos.signal.ThreadSignalState;
import io.jocclum.libos.vm.AccessMode;
import io.jocclum.libos.vm.GuestFault;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.libos.vm.ProcessVm;
import io.jocclum.libos.vm.UserCopy;
import io.jocclum.libos.vm.VmCalls;
import io.jocclum.sgx.cpu.EnclaveContext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The system-call interface of one guest thread (Occlum's syscall dispatcher): every
 * {@link Syscalls} method validates its arguments in Linux's order, copies between guest memory
 * and the buffers of the layers below, calls them, and handles what they report.
 *
 * <p>Boundaries: each call counts itself, then checks (one volatile read in the common case)
 * whether the thread needs attention — a dying process ends the thread with {@link GuestExit}, a
 * pending signal is delivered (its Java handler runs on this thread with the signal and the
 * action's mask blocked; a fatal default action kills the process) — on entry and again on
 * return. Guest loads and stores check only whether the process is dying; a faulting access kills
 * the process with SIGSEGV or SIGBUS.
 *
 * <p>Interrupted calls: the file layer throws ERESTARTSYS from restartable blocking calls (read,
 * write, accept, connect, send, recv; and the process layer from wait4 and thread joins). The
 * façade delivers the signals; the call is restarted when every handler that ran had SA_RESTART
 * (or none ran), else it fails with EINTR. epoll_wait, poll, select and nanosleep fail with EINTR
 * and are never restarted (signal(7)). ERESTARTSYS never reaches a guest, and neither does any
 * other exception of the LibOS: a failure that is not an errno is recorded as an internal error
 * of the kernel and reported to the guest as EIO.
 *
 * <p>Buffers: I/O goes through a per-thread heap buffer of at most {@link UserCopy#CHUNK} bytes per
 * layer call; regular files and writes loop over chunks, reads from streams return what one call
 * delivers (a short read, as Linux may return). Not thread-safe: one per guest thread.
 */
public final class SyscallFacade implements Syscalls {
    /**
     * Work units after which a guest thread yields its carrier: a syscall counts 64, a guest-memory
     * access 1 (a bulk copy 1 per 4KB). Guest threads are virtual threads, which the JDK does not
     * preempt: without this, a few threads looping on syscalls or memory would starve every other
     * guest thread (and the init that would kill them) of the carriers.
     */
    static final int YIELD_TICKS = 4096;
    private static final int SYSCALL_TICKS = 64;

    private final GuestThread thread;
    private final Process process;
    private final Kernel kernel;
    private final Caller caller;
    private final FdTable files;
    private final ThreadSignalState signals;
    private final SignalDelivery delivery;
    private final ProcessVm vm;
    private final GuestMemory user;
    private final UserCopy copy;
    private final HostIo host;
    private final VmCalls memory;
    private final SyscallCounters counters;
    private final EnclaveContext ctx;
    /** Work since the last yield (this thread only). */
    private int ticks;

    public SyscallFacade(GuestThread thread, SyscallCounters counters) {
        this.thread = thread;
        this.process = thread.process();
        this.kernel = thread.kernel();
        this.caller = thread.caller();
        this.files = caller.files();
        this.signals = thread.signals();
        this.delivery = new SignalDelivery(signals, process.sighand(), process, this, GuestExit.INSTANCE);
        this.vm = process.vm();
        this.user = vm.memory(AccessMode.USER);
        this.copy = new UserCopy(vm.memory(AccessMode.KERNEL));
        this.counters = counters;
        this.ctx = kernel.ctx();
        this.host = new HostIo(kernel::hostDevice, f -> f instanceof SocketFile, ctx::ocall);
        this.memory = new VmCalls(vm, (fd, prot, flags) -> FileCalls.mappable(caller, host, fd, prot, flags), kernel::sampleCommitted);
    }

    // ================================================================================ the call wrapper

    /**
     * A system call's body: what runs between the boundaries, and again when the call is
     * restarted. A lambda over the call's arguments; the JIT inlines {@link #call} and the body
     * into each entry point, so the lambda is not allocated on the hot path.
     */
    @FunctionalInterface
    private interface Body {
        long run();
    }

    /** A body with no result (the call returns 0). */
    @FunctionalInterface
    private interface VoidBody extends Body {
        void exec();

        @Override
        default long run() {
            exec();
            return 0;
        }
    }

    /** A body whose result is an object (stat, getcwd, wait4, ...: calls off the hot path). */
    @FunctionalInterface
    private interface ObjectBody<T> {
        T run();
    }

    /** Holds an {@link ObjectBody}'s result across the wrapper. */
    private static final class ObjectResult<T> implements Body {
        private final ObjectBody<T> body;
        private T value;

        ObjectResult(ObjectBody<T> body) {
            this.body = body;
        }

        @Override
        public long run() {
            value = body.run();
            return 0;
        }
    }

    /**
     * The one system-call wrapper. Counts the call and stops at the boundary ({@link #enter});
     * runs the body; when a signal interrupted it (ERESTARTSYS), delivers and restarts it or
     * fails with EINTR as {@link Sysno#restart()} says; maps any other failure to what a guest
     * may see ({@link #fail}); and stops at the boundary again on return, whatever happened.
     */
    private long call(Sysno s, Body body) {
        enter(s);
        try {
            for (;;) {
                try {
                    return body.run();
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

    private void run(Sysno s, VoidBody body) {
        call(s, body);
    }

    private <T> T get(Sysno s, ObjectBody<T> body) {
        ObjectResult<T> r = new ObjectResult<>(body);
        call(s, r);
        return r.value;
    }

    private void enter(Sysno s) {
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
        kernel.internalError(e);
        throw Errno.EIO.exception("internal LibOS error: " + e);
    }

    // ================================================================================ memory

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return call(Sysno.MMAP, () -> memory.mmap(addr, length, prot, flags, fd, offset));
    }

    @Override
    public void munmap(long addr, long length) {
        run(Sysno.MUNMAP, () -> memory.munmap(addr, length));
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        run(Sysno.MPROTECT, () -> memory.mprotect(addr, length, prot));
    }

    @Override
    public long mremap(long oldAddr, long oldSize, long newSize, int flags, long newAddr) {
        return call(Sysno.MREMAP, () -> memory.mremap(oldAddr, oldSize, newSize, flags, newAddr));
    }

    @Override
    public long brk(long addr) {
        return call(Sysno.BRK, () -> memory.brk(addr));
    }

    @Override
    public void msync(long addr, long length, int flags) {
        run(Sysno.MSYNC, () -> memory.msync(addr, length, flags));
    }

    @Override
    public void madvise(long addr, long length, int advice) {
        run(Sysno.MADVISE, () -> memory.madvise(addr, length, advice));
    }

    // ================================================================================ guest memory

    private void alive() {
        if (process.dying()) {
            throw GuestExit.INSTANCE;
        }
        tick(1);
    }

    private void alive(long bytes) {
        alive();
        tick((int) Math.min(bytes >>> 12, YIELD_TICKS));
    }

    /** Cooperative scheduling: yields the carrier after {@link #YIELD_TICKS} units of work. */
    private void tick(int n) {
        ticks += n;
        if (ticks >= YIELD_TICKS) {
            ticks = 0;
            Thread.yield();
        }
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
        return (int) call(Sysno.GETPID, process::pid);
    }

    @Override
    public int getppid() {
        return (int) call(Sysno.GETPPID, () -> ProcessCalls.getppid(thread));
    }

    @Override
    public int gettid() {
        return (int) call(Sysno.GETTID, thread::tid);
    }

    @Override
    public int posixSpawn(String path, List<SpawnAction> actions, String[] argv, String[] envp) {
        return (int) call(Sysno.POSIX_SPAWN, () -> ProcessCalls.posixSpawn(thread, path, actions, argv, envp));
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
        return get(Sysno.WAIT4, () -> kernel.wait4(thread, pid, options));
    }

    @Override
    public int wait4(int pid, long statusAddr, int options) {
        return (int) call(Sysno.WAIT4, () -> ProcessCalls.wait4(thread, copy, pid, statusAddr, options));
    }

    @Override
    public void kill(int pid, int sig) {
        run(Sysno.KILL, () -> kernel.kill(process, pid, sig));
    }

    @Override
    public SigAction sigaction(int sig, SigAction act) {
        return get(Sysno.RT_SIGACTION, () -> process.sighand().set(sig, act));
    }

    @Override
    public long sigprocmask(int how, long set) {
        return call(Sysno.RT_SIGPROCMASK, () -> signals.setMask(how, set));
    }

    @Override
    public long sigpending() {
        return call(Sysno.RT_SIGPENDING, () -> signals.sigpending());
    }

    @Override
    public int threadCreate(ThreadFunction body) {
        return (int) call(Sysno.CLONE, () -> ProcessCalls.threadCreate(thread, body));
    }

    @Override
    public long threadJoin(int tid) {
        return call(Sysno.THREAD_JOIN, () -> kernel.joinThread(thread, tid));
    }

    @Override
    public void schedYield() {
        run(Sysno.SCHED_YIELD, Thread::yield);
    }

    @Override
    public long clockGettime(int clockId) {
        return call(Sysno.CLOCK_GETTIME, () -> ProcessCalls.clockGettime(kernel, clockId));
    }

    @Override
    public void nanosleep(long nanos) {
        run(Sysno.NANOSLEEP, () -> ProcessCalls.nanosleep(caller, nanos));
    }

    // ================================================================================ files

    @Override
    public int open(String path, int flags, int mode) {
        return (int) call(Sysno.OPEN, () -> PathCalls.open(kernel.vfs(), caller, host, path, flags, mode));
    }

    @Override
    public int openat(int dirfd, String path, int flags, int mode) {
        return (int) call(Sysno.OPENAT, () -> PathCalls.openat(kernel.vfs(), caller, host, dirfd, path, flags, mode));
    }

    @Override
    public void close(int fd) {
        run(Sysno.CLOSE, () -> FileCalls.close(caller, fd));
    }

    @Override
    public long read(int fd, long buf, long count) {
        return call(Sysno.READ, () -> ReadWriteCalls.read(caller, copy, host, fd, buf, count));
    }

    @Override
    public long pread(int fd, long buf, long count, long offset) {
        return call(Sysno.PREAD64, () -> ReadWriteCalls.pread(caller, copy, host, fd, buf, count, offset));
    }

    @Override
    public long write(int fd, long buf, long count) {
        return call(Sysno.WRITE, () -> ReadWriteCalls.write(caller, copy, host, fd, buf, count));
    }

    @Override
    public long pwrite(int fd, long buf, long count, long offset) {
        return call(Sysno.PWRITE64, () -> ReadWriteCalls.pwrite(caller, copy, host, fd, buf, count, offset));
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        return call(Sysno.LSEEK, () -> FileCalls.lseek(caller, fd, offset, whence));
    }

    @Override
    public Stat fstat(int fd) {
        return get(Sysno.FSTAT, () -> FileCalls.fstat(caller, fd));
    }

    @Override
    public Stat stat(String path) {
        return get(Sysno.STAT, () -> PathCalls.stat(kernel.vfs(), caller, host, path));
    }

    @Override
    public Stat lstat(String path) {
        return get(Sysno.LSTAT, () -> PathCalls.lstat(kernel.vfs(), caller, host, path));
    }

    @Override
    public void ftruncate(int fd, long length) {
        run(Sysno.FTRUNCATE, () -> FileCalls.ftruncate(caller, host, fd, length));
    }

    @Override
    public void fsync(int fd) {
        run(Sysno.FSYNC, () -> FileCalls.fsync(caller, host, vm, fd));
    }

    @Override
    public void unlink(String path) {
        run(Sysno.UNLINK, () -> PathCalls.unlink(kernel.vfs(), caller, path));
    }

    @Override
    public void mkdir(String path, int mode) {
        run(Sysno.MKDIR, () -> PathCalls.mkdir(kernel.vfs(), caller, path, mode));
    }

    @Override
    public void rmdir(String path) {
        run(Sysno.RMDIR, () -> PathCalls.rmdir(kernel.vfs(), caller, path));
    }

    @Override
    public void chdir(String path) {
        run(Sysno.CHDIR, () -> PathCalls.chdir(kernel.vfs(), caller, path));
    }

    @Override
    public String getcwd() {
        return get(Sysno.GETCWD, () -> kernel.vfs().getcwd(caller));
    }

    @Override
    public int dup(int fd) {
        return (int) call(Sysno.DUP, () -> FileCalls.dup(caller, fd));
    }

    @Override
    public int dup2(int oldFd, int newFd) {
        return (int) call(Sysno.DUP2, () -> FileCalls.dup2(caller, oldFd, newFd));
    }

    @Override
    public int dup3(int oldFd, int newFd, int flags) {
        return (int) call(Sysno.DUP3, () -> FileCalls.dup3(caller, oldFd, newFd, flags));
    }

    @Override
    public long fcntl(int fd, int cmd, long arg) {
        return call(Sysno.FCNTL, () -> FileCalls.fcntl(caller, fd, cmd, arg));
    }

    @Override
    public int ioctl(int fd, int cmd, long argAddr) {
        return (int) call(Sysno.IOCTL, () -> FileCalls.ioctl(caller, copy, fd, cmd, argAddr));
    }

    @Override
    public long getdents64(int fd, long buf, long count) {
        return call(Sysno.GETDENTS64, () -> ReadWriteCalls.getdents64(caller, copy, host, fd, buf, count));
    }

    @Override
    public int[] pipe2(int flags) {
        return get(Sysno.PIPE2, () -> kernel.pipes().pipe2(caller, flags));
    }

    @Override
    public int eventfd(int initval, int flags) {
        return (int) call(Sysno.EVENTFD2, () -> kernel.eventfds().eventfd2(caller, initval, flags));
    }

    // ================================================================================ events

    @Override
    public int epollCreate1(int flags) {
        return (int) call(Sysno.EPOLL_CREATE1, () -> kernel.epolls().epollCreate1(caller, flags));
    }

    @Override
    public void epollCtl(int epfd, int op, int fd, EpollEvent event) {
        run(Sysno.EPOLL_CTL, () -> kernel.epolls().epollCtl(caller, epfd, op, fd, event));
    }

    @Override
    public int epollWait(int epfd, long events, int maxevents, int timeoutMs) {
        return (int) call(Sysno.EPOLL_WAIT, () -> kernel.epolls().epollWait(caller, copy, epfd, events, maxevents, timeoutMs));
    }

    @Override
    public int epollPwait(int epfd, long events, int maxevents, int timeoutMs, long sigmask) {
        return (int) call(Sysno.EPOLL_PWAIT, () -> kernel.epolls().epollPwait(caller, copy, epfd, events, maxevents, timeoutMs, sigmask));
    }

    @Override
    public int poll(long fds, int nfds, int timeoutMs) {
        return (int) call(Sysno.POLL, () -> PollCalls.poll(caller, copy, fds, nfds, timeoutMs));
    }

    @Override
    public int select(int nfds, long readfds, long writefds, long exceptfds, long timeoutMicros) {
        return (int) call(Sysno.SELECT, () -> PollCalls.select(caller, copy, nfds, readfds, writefds, exceptfds, timeoutMicros));
    }

    // ================================================================================ sockets

    @Override
    public int socket(int domain, int type, int protocol) {
        return (int) call(Sysno.SOCKET, () -> GuestSocketCalls.socket(kernel.sockets(), caller, host, domain, type, protocol));
    }

    @Override
    public void bind(int fd, SockAddrIn addr) {
        run(Sysno.BIND, () -> GuestSocketCalls.bind(kernel.sockets(), caller, host, fd, addr));
    }

    @Override
    public void listen(int fd, int backlog) {
        run(Sysno.LISTEN, () -> GuestSocketCalls.listen(kernel.sockets(), caller, host, fd, backlog));
    }

    @Override
    public int accept(int fd) {
        return (int) call(Sysno.ACCEPT, () -> GuestSocketCalls.accept4(kernel.sockets(), caller, host, fd, 0));
    }

    @Override
    public int accept4(int fd, int flags) {
        return (int) call(Sysno.ACCEPT4, () -> GuestSocketCalls.accept4(kernel.sockets(), caller, host, fd, flags));
    }

    @Override
    public void connect(int fd, SockAddrIn addr) {
        run(Sysno.CONNECT, () -> GuestSocketCalls.connect(kernel.sockets(), caller, host, fd, addr));
    }

    @Override
    public long send(int fd, long buf, long len, int flags) {
        return call(Sysno.SENDTO, () -> GuestSocketCalls.send(kernel.sockets(), caller, copy, host, fd, buf, len, flags));
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, SockAddrIn dest) {
        return call(Sysno.SENDTO, () -> GuestSocketCalls.send(kernel.sockets(), caller, copy, host, fd, buf, len, flags));
    }

    @Override
    public long recv(int fd, long buf, long len, int flags) {
        return recvfrom(fd, buf, len, flags);
    }

    @Override
    public long recvfrom(int fd, long buf, long len, int flags) {
        return call(Sysno.RECVFROM, () -> GuestSocketCalls.recv(kernel.sockets(), caller, copy, host, fd, buf, len, flags));
    }

    @Override
    public void shutdown(int fd, int how) {
        run(Sysno.SHUTDOWN, () -> GuestSocketCalls.shutdown(kernel.sockets(), caller, host, fd, how));
    }

    @Override
    public void setsockopt(int fd, int level, int name, int value) {
        run(Sysno.SETSOCKOPT, () -> kernel.sockets().setsockopt(caller, fd, level, name, value));
    }

    @Override
    public int getsockopt(int fd, int level, int name) {
        return (int) call(Sysno.GETSOCKOPT, () -> kernel.sockets().getsockopt(caller, fd, level, name));
    }

    @Override
    public SockAddrIn getsockname(int fd) {
        return get(Sysno.GETSOCKNAME, () -> kernel.sockets().getsockname(caller, fd));
    }

    @Override
    public SockAddrIn getpeername(int fd) {
        return get(Sysno.GETPEERNAME, () -> kernel.sockets().getpeername(caller, fd));
    }

    @Override
    public String toString() {
        return "syscalls of " + thread;
    }
}
