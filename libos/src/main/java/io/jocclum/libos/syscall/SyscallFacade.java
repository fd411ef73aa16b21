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
import io.jocclum.api.Signal;
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
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.UserMemoryIoctl;
import io.jocclum.libos.fs.RegularFile;
import io.jocclum.libos.fs.SpawnFileAction;
import io.jocclum.libos.net.SocketFile;
import io.jocclum.libos.process.GuestExit;
import io.jocclum.libos.process.GuestThread;
import io.jocclum.libos.process.Kernel;
import io.jocclum.libos.process.Process;
import io.jocclum.libos.signal.ThreadSignalState;
import io.jocclum.libos.vm.AccessMode;
import io.jocclum.libos.vm.GuestFault;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.libos.vm.MappableFile;
import io.jocclum.libos.vm.ProcessVm;
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
 * <p>Buffers: I/O goes through a per-thread heap buffer of at most {@link #CHUNK} bytes per
 * layer call; regular files and writes loop over chunks, reads from streams return what one call
 * delivers (a short read, as Linux may return). Not thread-safe: one per guest thread.
 */
public final class SyscallFacade implements Syscalls {
    /** Largest transfer per call to the layers below (bytes). */
    static final int CHUNK = 1 << 20;
    /** MAX_RW_COUNT (include/linux/fs.h): INT_MAX rounded down to a page. */
    static final long MAX_RW_COUNT = Integer.MAX_VALUE & ~4095L;
    /** Most epoll events copied out per call (a call may return fewer than are ready, as the round-robin allows). */
    static final int EPOLL_BATCH = 1024;
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
    private final ProcessVm vm;
    private final GuestMemory user;
    private final GuestMemory kmem;
    private final SyscallCounters counters;
    private final EnclaveContext ctx;
    private ByteBuffer scratch;
    /** Work since the last yield (this thread only). */
    private int ticks;
    /** Handlers running on this thread: a mask left by a pwait call is restored only by the outermost boundary. */
    private int delivering;

    public SyscallFacade(GuestThread thread, SyscallCounters counters) {
        this.thread = thread;
        this.process = thread.process();
        this.kernel = thread.kernel();
        this.caller = thread.caller();
        this.files = caller.files();
        this.signals = thread.signals();
        this.vm = process.vm();
        this.user = vm.memory(AccessMode.USER);
        this.kmem = vm.memory(AccessMode.KERNEL);
        this.counters = counters;
        this.ctx = kernel.ctx();
    }

    // ================================================================================ boundaries

    private void enter(Sysno s) {
        counters.increment(s);
        tick(SYSCALL_TICKS);
        if (signals.attention()) {
            boundary();
        }
    }

    private void leave() {
        if (signals.attention()) {
            boundary();
        }
    }

    /** Delivers what is pending: ends the thread if the process is dying, runs handlers, kills on fatal actions. */
    private void boundary() {
        if (process.dying()) {
            throw GuestExit.INSTANCE;
        }
        ThreadSignalState.Delivery d;
        while ((d = signals.dequeue()) != null) {
            deliver(d);
        }
        if (delivering == 0) {
            signals.finishDelivery();
        }
    }

    /** Delivers one signal; returns true when it ran a handler with SA_RESTART. */
    private boolean deliver(ThreadSignalState.Delivery d) {
        if (d.fatal()) {
            process.die(d.sig());
            throw GuestExit.INSTANCE;
        }
        SigAction a = d.action();
        if (a.kind() != SigAction.Kind.HANDLER) {
            return true;
        }
        if ((a.flags() & Signal.SA_RESETHAND) != 0) {
            process.sighand().set(d.sig(), SigAction.DEFAULT);
        }
        long old = signals.mask();
        long blocked = old | a.mask() | ((a.flags() & Signal.SA_NODEFER) != 0 ? 0 : Signal.bit(d.sig()));
        signals.setMaskRaw(blocked);
        delivering++;
        try {
            a.handler().handle(this, d.sig());
        } finally {
            delivering--;
            signals.setMaskRaw(old);
        }
        if (process.dying()) {
            throw GuestExit.INSTANCE;
        }
        return (a.flags() & Signal.SA_RESTART) != 0;
    }

    /**
     * An ERESTARTSYS came up: delivers the pending signals; returns normally when the call is to
     * be restarted (every handler had SA_RESTART, or none ran), else throws EINTR.
     */
    private void restartOrEintr() {
        if (process.dying()) {
            throw GuestExit.INSTANCE;
        }
        boolean restart = true;
        ThreadSignalState.Delivery d;
        while ((d = signals.dequeue()) != null) {
            restart &= deliver(d);
        }
        if (delivering == 0) {
            signals.finishDelivery();
        }
        if (!restart) {
            throw Errno.EINTR.exception("interrupted by a signal handler without SA_RESTART");
        }
    }

    /** Runs the pending handlers and always restarts (pthread_join never fails with EINTR). */
    private void deliverAndRestart() {
        if (process.dying()) {
            throw GuestExit.INSTANCE;
        }
        ThreadSignalState.Delivery d;
        while ((d = signals.dequeue()) != null) {
            deliver(d);
        }
        if (delivering == 0) {
            signals.finishDelivery();
        }
    }

    /** Maps a failure from below to what the guest may see; always throws. */
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

    private static boolean restarting(ErrnoException e) {
        return e.errno() == Errno.ERESTARTSYS;
    }

    // ================================================================================ memory

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        enter(Sysno.MMAP);
        try {
            MappableFile file = null;
            if ((flags & Mman.MAP_ANONYMOUS) == 0) {
                if ((offset & 4095) != 0) {
                    throw Errno.EINVAL.exception("offset " + offset + " is not page aligned");
                }
                OpenFile f = files.get(fd);
                if (f.mapsAnonymous()) {
                    // /dev/zero (mmap_zero): anonymous memory; do_mmap's access checks still apply to the file
                    if (!f.canRead()) {
                        throw Errno.EACCES.exception("fd " + fd + " is not open for reading");
                    }
                    int type = flags & Mman.MAP_TYPE;
                    if ((type == Mman.MAP_SHARED || type == Mman.MAP_SHARED_VALIDATE) && (prot & Mman.PROT_WRITE) != 0 && !f.canWrite()) {
                        throw Errno.EACCES.exception("MAP_SHARED with PROT_WRITE of fd " + fd + ", which is not open for writing");
                    }
                    return vm.mmap(addr, length, prot, flags | Mman.MAP_ANONYMOUS, null, 0);
                }
                file = mappable(fd);
            }
            return vm.mmap(addr, length, prot, flags, file, offset);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    private MappableFile mappable(int fd) {
        OpenFile f = files.get(fd);
        if (f instanceof RegularFile rf) {
            return new VmFile(rf, kernel.hostDevice(rf.id().dev()), ctx);
        }
        throw Errno.ENODEV.exception("fd " + fd + " (" + f + ") cannot be mapped");
    }

    @Override
    public void munmap(long addr, long length) {
        enter(Sysno.MUNMAP);
        try {
            kernel.sampleCommitted();
            vm.munmap(addr, length);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        enter(Sysno.MPROTECT);
        try {
            vm.mprotect(addr, length, prot);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long mremap(long oldAddr, long oldSize, long newSize, int flags, long newAddr) {
        enter(Sysno.MREMAP);
        try {
            kernel.sampleCommitted();
            return vm.mremap(oldAddr, oldSize, newSize, flags, newAddr);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long brk(long addr) {
        enter(Sysno.BRK);
        try {
            kernel.sampleCommitted();
            return vm.brk(addr);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void msync(long addr, long length, int flags) {
        enter(Sysno.MSYNC);
        try {
            vm.msync(addr, length, flags);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void madvise(long addr, long length, int advice) {
        enter(Sysno.MADVISE);
        try {
            kernel.sampleCommitted();
            vm.madvise(addr, length, advice);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
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
        enter(Sysno.GETPID);
        leave();
        return process.pid();
    }

    @Override
    public int getppid() {
        enter(Sysno.GETPPID);
        try {
            int pp = process.ppid();
            return pp == 0 && process.pid() != 1 ? 1 : pp;
        } finally {
            leave();
        }
    }

    @Override
    public int gettid() {
        enter(Sysno.GETTID);
        leave();
        return thread.tid();
    }

    @Override
    public int posixSpawn(String path, List<SpawnAction> actions, String[] argv, String[] envp) {
        enter(Sysno.POSIX_SPAWN);
        try {
            checkPath(path);
            List<SpawnFileAction> fa = new ArrayList<>();
            if (actions != null) {
                for (SpawnAction a : actions) {
                    fa.add(switch (a) {
                        case SpawnAction.Close c -> new SpawnFileAction.Close(c.fd());
                        case SpawnAction.Dup2 d -> new SpawnFileAction.Dup2(d.fd(), d.newFd());
                        case SpawnAction.Open o -> {
                            checkPath(o.path());
                            yield new SpawnFileAction.Open(o.fd(), o.path(), o.flags(), o.mode());
                        }
                    });
                }
            }
            String[] args = argv == null ? new String[0] : argv.clone();
            String[] env = envp == null ? null : envp.clone();
            return kernel.spawn(thread, path, fa, args, env);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
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
        enter(Sysno.WAIT4);
        try {
            return waitLoop(pid, options);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    private Wait.Result waitLoop(int pid, int options) {
        for (;;) {
            try {
                return kernel.wait4(thread, pid, options);
            } catch (ErrnoException e) {
                if (!restarting(e)) {
                    throw e;
                }
                restartOrEintr();
            }
        }
    }

    @Override
    public int wait4(int pid, long statusAddr, int options) {
        enter(Sysno.WAIT4);
        try {
            Wait.Result r = waitLoop(pid, options);
            if (statusAddr != 0 && r.pid() != 0) {
                kmem.writeInt(statusAddr, r.status());
            }
            return r.pid();
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void kill(int pid, int sig) {
        enter(Sysno.KILL);
        try {
            kernel.kill(process, pid, sig);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public SigAction sigaction(int sig, SigAction act) {
        enter(Sysno.RT_SIGACTION);
        try {
            return process.sighand().set(sig, act);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long sigprocmask(int how, long set) {
        enter(Sysno.RT_SIGPROCMASK);
        try {
            return signals.setMask(how, set);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long sigpending() {
        enter(Sysno.RT_SIGPENDING);
        try {
            return signals.sigpending();
        } finally {
            leave();
        }
    }

    @Override
    public int threadCreate(ThreadFunction body) {
        enter(Sysno.CLONE);
        try {
            if (body == null) {
                throw Errno.EINVAL.exception("no thread body");
            }
            return kernel.createThread(thread, body);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long threadJoin(int tid) {
        enter(Sysno.THREAD_JOIN);
        try {
            for (;;) {
                try {
                    return kernel.joinThread(thread, tid);
                } catch (ErrnoException e) {
                    if (!restarting(e)) {
                        throw e;
                    }
                    deliverAndRestart();
                }
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void schedYield() {
        enter(Sysno.SCHED_YIELD);
        Thread.yield();
        leave();
    }

    @Override
    public long clockGettime(int clockId) {
        enter(Sysno.CLOCK_GETTIME);
        try {
            return switch (clockId) {
                case Clocks.CLOCK_REALTIME, Clocks.CLOCK_REALTIME_COARSE -> {
                    var i = kernel.wallClock().instant();
                    yield i.getEpochSecond() * 1_000_000_000L + i.getNano();
                }
                case Clocks.CLOCK_MONOTONIC, Clocks.CLOCK_MONOTONIC_RAW, Clocks.CLOCK_MONOTONIC_COARSE, Clocks.CLOCK_BOOTTIME ->
                        kernel.clock().nanoTime();
                case Clocks.CLOCK_PROCESS_CPUTIME_ID, Clocks.CLOCK_THREAD_CPUTIME_ID -> kernel.cpuNanos();
                default -> throw Errno.EINVAL.exception("clock " + clockId);
            };
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void nanosleep(long nanos) {
        enter(Sysno.NANOSLEEP);
        try {
            if (nanos < 0) {
                throw Errno.EINVAL.exception("negative duration " + nanos);
            }
            WaitClock clock = caller.clock();
            Waiter w = caller.waiter();
            long deadline = clock.deadlineAfter(nanos);
            for (;;) {
                w.reset();
                if (signals.interruptPending()) {
                    throw Errno.EINTR.exception("nanosleep interrupted");
                }
                if (!w.await(clock, deadline)) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    // ================================================================================ files

    /** EFAULT for a null path (a NULL pointer), EINVAL for an embedded NUL (the C string would end there). */
    private static void checkPath(String path) {
        if (path == null) {
            throw Errno.EFAULT.exception("null path");
        }
        if (path.indexOf('\0') >= 0) {
            throw Errno.EINVAL.exception("path contains NUL");
        }
    }

    /** Whether I/O on {@code f} leaves the enclave (host file systems, sockets). */
    private boolean host(OpenFile f) {
        if (f instanceof RegularFile rf) {
            return kernel.hostDevice(rf.id().dev());
        }
        if (f instanceof DirectoryFile d) {
            return kernel.hostDevice(d.fstat().dev());
        }
        return f instanceof SocketFile;
    }

    private void chargeHost(OpenFile f, long bytes) {
        if (host(f)) {
            ctx.ocall(bytes);
        }
    }

    private ByteBuffer scratch(long n) {
        int want = (int) Math.min(n, CHUNK);
        if (scratch == null || scratch.capacity() < want) {
            int cap = Math.max(4096, Integer.highestOneBit(Math.max(1, want - 1)) << 1);
            scratch = ByteBuffer.allocate(Math.min(cap, CHUNK)).order(ByteOrder.LITTLE_ENDIAN);
        }
        scratch.clear().limit(want);
        return scratch;
    }

    @Override
    public int open(String path, int flags, int mode) {
        return openat(io.jocclum.api.OpenFlags.AT_FDCWD, path, flags, mode, Sysno.OPEN);
    }

    @Override
    public int openat(int dirfd, String path, int flags, int mode) {
        return openat(dirfd, path, flags, mode, Sysno.OPENAT);
    }

    private int openat(int dirfd, String path, int flags, int mode, Sysno s) {
        enter(s);
        try {
            checkPath(path);
            int fd = kernel.vfs().openat(caller, dirfd, path, flags, mode);
            OpenFile f = files.getOrNull(fd);
            if (f != null) {
                chargeHost(f, 0);
            }
            return fd;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void close(int fd) {
        enter(Sysno.CLOSE);
        try {
            FileCalls.close(caller, fd);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long read(int fd, long buf, long count) {
        enter(Sysno.READ);
        try {
            return input(fd, buf, count, -1, false);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long pread(int fd, long buf, long count, long offset) {
        enter(Sysno.PREAD64);
        try {
            return input(fd, buf, count, offset, true);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    /** read/pread: chunks from the file into guest memory; regular files are read until short. */
    private long input(int fd, long buf, long count, long offset, boolean positional) {
        OpenFile f = files.get(fd);
        if (count < 0) {
            throw Errno.EINVAL.exception("negative count " + count);
        }
        long want = Math.min(count, MAX_RW_COUNT);
        boolean loop = f instanceof RegularFile;
        long total = 0;
        for (;;) {
            long room = want - total;
            if (!loop) {
                // a stream (pipe, socket, device) cannot give bytes back: take only what the buffer can hold
                room = kmem.accessiblePrefix(buf + total, room, true);
                if (room == 0) {
                    if (total > 0) {
                        return total;
                    }
                    throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf + total) + " is not writable");
                }
            }
            ByteBuffer b = scratch(room);
            int chunk = b.remaining();
            int n;
            try {
                n = positional ? FileCalls.pread(caller, fd, b, offset + total) : FileCalls.read(caller, fd, b);
            } catch (ErrnoException e) {
                if (total > 0 && e.errno() != Errno.EBADF) {
                    return total;
                }
                if (restarting(e)) {
                    restartOrEintr();
                    continue;
                }
                throw e;
            }
            chargeHost(f, n);
            if (n > 0) {
                b.flip();
                int copied = copyOut(buf + total, b);
                if (copied < n) {
                    // copy_to_user stopped at an inaccessible page: read(2) returns the bytes copied
                    // (EFAULT when none), and a regular file's position advances by those only
                    if (!positional && f instanceof RegularFile) {
                        FileCalls.lseek(caller, fd, copied - n, io.jocclum.api.Seek.SEEK_CUR);
                    }
                    total += copied;
                    if (total == 0) {
                        throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not writable");
                    }
                    return total;
                }
            }
            total += n;
            if (n < chunk || n == 0 || !loop || total >= want) {
                return total;
            }
        }
    }

    /**
     * Copies {@code src} (position to limit) to guest memory at {@code addr}; returns the bytes
     * copied, fewer than asked when a page cannot be written (the pages before it are written,
     * as copy_to_user does).
     */
    private int copyOut(long addr, ByteBuffer src) {
        int n = src.remaining();
        int start = src.position();
        try {
            kmem.write(addr, src);
            return n;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EFAULT) {
                throw e;
            }
        }
        int done = 0;
        while (done < n) {
            int len = (int) Math.min(n - done, 4096 - ((addr + done) & 4095));
            try {
                kmem.write(addr + done, src.duplicate().limit(start + done + len).position(start + done));
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EFAULT) {
                    throw e;
                }
                break;
            }
            done += len;
        }
        return done;
    }

    /**
     * Fills {@code dst} (position to limit) from guest memory at {@code addr} and leaves its
     * position after the bytes read; fewer than asked when a page cannot be read (copy_from_user).
     */
    private int copyIn(long addr, ByteBuffer dst) {
        int n = dst.remaining();
        int start = dst.position();
        try {
            kmem.read(addr, dst);
            return n;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EFAULT) {
                throw e;
            }
        }
        int done = 0;
        while (done < n) {
            int len = (int) Math.min(n - done, 4096 - ((addr + done) & 4095));
            try {
                kmem.read(addr + done, dst.duplicate().limit(start + done + len).position(start + done));
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EFAULT) {
                    throw e;
                }
                break;
            }
            done += len;
        }
        dst.limit(start + n).position(start + done);
        return done;
    }

    @Override
    public long write(int fd, long buf, long count) {
        enter(Sysno.WRITE);
        try {
            return output(fd, buf, count, -1, false);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long pwrite(int fd, long buf, long count, long offset) {
        enter(Sysno.PWRITE64);
        try {
            return output(fd, buf, count, offset, true);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    /** write/pwrite: chunks from guest memory to the file, until done or a short write. */
    private long output(int fd, long buf, long count, long offset, boolean positional) {
        OpenFile f = files.get(fd);
        if (count < 0) {
            throw Errno.EINVAL.exception("negative count " + count);
        }
        long want = Math.min(count, MAX_RW_COUNT);
        if (f.discardsWrites()) {
            // write_null: the access checks, then the count, the buffer never read
            ByteBuffer none = ByteBuffer.allocate(0);
            if (positional) {
                FileCalls.pwrite(caller, fd, none, offset);
            } else {
                FileCalls.write(caller, fd, none);
            }
            return want;
        }
        long total = 0;
        for (;;) {
            ByteBuffer b = scratch(want - total);
            int len = b.remaining();
            boolean faulted = false;
            if (len > 0) {
                int got = copyIn(buf + total, b);
                if (got == 0) {
                    // copy_from_user failed at once: what was written so far, or EFAULT
                    if (total > 0) {
                        return total;
                    }
                    throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not readable");
                }
                // a fault after some bytes: write(2) writes those and returns a short count
                faulted = got < len;
                len = got;
                b.flip();
            }
            int n;
            try {
                n = positional ? FileCalls.pwrite(caller, fd, b, offset + total) : FileCalls.write(caller, fd, b);
            } catch (ErrnoException e) {
                if (total > 0 && e.errno() != Errno.EBADF) {
                    return total;
                }
                if (restarting(e)) {
                    restartOrEintr();
                    continue;
                }
                throw e;
            }
            chargeHost(f, n);
            total += n;
            if (n < len || faulted || total >= want) {
                return total;
            }
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        enter(Sysno.LSEEK);
        try {
            return FileCalls.lseek(caller, fd, offset, whence);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public Stat fstat(int fd) {
        enter(Sysno.FSTAT);
        try {
            return FileCalls.fstat(caller, fd);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public Stat stat(String path) {
        enter(Sysno.STAT);
        try {
            checkPath(path);
            Stat s = kernel.vfs().stat(caller, path);
            if (kernel.hostDevice(s.dev())) {
                ctx.ocall(0);
            }
            return s;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public Stat lstat(String path) {
        enter(Sysno.LSTAT);
        try {
            checkPath(path);
            Stat s = kernel.vfs().lstat(caller, path);
            if (kernel.hostDevice(s.dev())) {
                ctx.ocall(0);
            }
            return s;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void ftruncate(int fd, long length) {
        enter(Sysno.FTRUNCATE);
        try {
            FileCalls.ftruncate(caller, fd, length);
            chargeHost(files.get(fd), 0);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void fsync(int fd) {
        enter(Sysno.FSYNC);
        try {
            OpenFile f = files.get(fd);
            if (f instanceof RegularFile rf) {
                vm.syncFile(rf.id());
                chargeHost(f, 0);
            } else if (!(f instanceof DirectoryFile)) {
                throw Errno.EINVAL.exception(f + " does not support fsync");
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void unlink(String path) {
        enter(Sysno.UNLINK);
        try {
            checkPath(path);
            kernel.vfs().unlink(caller, path);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void mkdir(String path, int mode) {
        enter(Sysno.MKDIR);
        try {
            checkPath(path);
            kernel.vfs().mkdir(caller, path, mode);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void rmdir(String path) {
        enter(Sysno.RMDIR);
        try {
            checkPath(path);
            kernel.vfs().rmdir(caller, path);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void chdir(String path) {
        enter(Sysno.CHDIR);
        try {
            checkPath(path);
            kernel.vfs().chdir(caller, path);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public String getcwd() {
        enter(Sysno.GETCWD);
        try {
            return kernel.vfs().getcwd(caller);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int dup(int fd) {
        enter(Sysno.DUP);
        try {
            return FileCalls.dup(caller, fd);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int dup2(int oldFd, int newFd) {
        enter(Sysno.DUP2);
        try {
            return FileCalls.dup2(caller, oldFd, newFd);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int dup3(int oldFd, int newFd, int flags) {
        enter(Sysno.DUP3);
        try {
            return FileCalls.dup3(caller, oldFd, newFd, flags);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long fcntl(int fd, int cmd, long arg) {
        enter(Sysno.FCNTL);
        try {
            return FileCalls.fcntl(caller, fd, cmd, arg);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int ioctl(int fd, int cmd, long argAddr) {
        enter(Sysno.IOCTL);
        try {
            OpenFile f = files.get(fd);
            ByteBuffer arg = null;
            boolean in = cmd == Ioctls.FIONBIO;
            boolean none = cmd == Ioctls.FIOCLEX || cmd == Ioctls.FIONCLEX;
            if (f instanceof UserMemoryIoctl dev && !in && !none) {
                return dev.ioctl(caller, cmd, argAddr, kmem);
            }
            if (argAddr != 0 && !none) {
                arg = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                if (in) {
                    arg.putInt(0, kmem.readInt(argAddr));
                }
            }
            int r = FileCalls.ioctl(caller, fd, cmd, arg);
            if (arg != null && !in) {
                kmem.writeInt(argAddr, arg.getInt(0));
            }
            return r;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long getdents64(int fd, long buf, long count) {
        enter(Sysno.GETDENTS64);
        try {
            OpenFile f = files.get(fd);
            if (count < 0) {
                throw Errno.EINVAL.exception("negative count");
            }
            ByteBuffer b = scratch(count);
            int n = FileCalls.getdents64(caller, fd, b);
            chargeHost(f, n);
            if (n > 0) {
                ByteBuffer out = b.duplicate();
                out.position(0).limit(n);
                kmem.write(buf, out);
            }
            return n;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int[] pipe2(int flags) {
        enter(Sysno.PIPE2);
        try {
            return kernel.pipes().pipe2(caller, flags);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int eventfd(int initval, int flags) {
        enter(Sysno.EVENTFD2);
        try {
            return kernel.eventfds().eventfd2(caller, initval, flags);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    // ================================================================================ events

    @Override
    public int epollCreate1(int flags) {
        enter(Sysno.EPOLL_CREATE1);
        try {
            return kernel.epolls().epollCreate1(caller, flags);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void epollCtl(int epfd, int op, int fd, EpollEvent event) {
        enter(Sysno.EPOLL_CTL);
        try {
            kernel.epolls().epollCtl(caller, epfd, op, fd, event);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int epollWait(int epfd, long events, int maxevents, int timeoutMs) {
        enter(Sysno.EPOLL_WAIT);
        try {
            return epoll(epfd, events, maxevents, timeoutMs, 0, false);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int epollPwait(int epfd, long events, int maxevents, int timeoutMs, long sigmask) {
        enter(Sysno.EPOLL_PWAIT);
        try {
            return epoll(epfd, events, maxevents, timeoutMs, sigmask, true);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    private int epoll(int epfd, long events, int maxevents, int timeoutMs, long sigmask, boolean masked) {
        if (maxevents <= 0 || maxevents > EpollCalls.EP_MAX_EVENTS) {
            throw Errno.EINVAL.exception("maxevents " + maxevents);
        }
        int batch = Math.min(maxevents, EPOLL_BATCH);
        ByteBuffer b = scratch((long) batch * Epoll.EVENT_SIZE);
        EpollEventBuffer sink = new EpollEventBuffer(b);
        int n = masked ? kernel.epolls().epollPwait(caller, epfd, sink, batch, timeoutMs, sigmask)
                : kernel.epolls().epollWait(caller, epfd, sink, batch, timeoutMs);
        if (n > 0) {
            ByteBuffer out = b.duplicate();
            out.position(0).limit(n * Epoll.EVENT_SIZE);
            kmem.write(events, out);
        }
        return n;
    }

    @Override
    public int poll(long fds, int nfds, int timeoutMs) {
        enter(Sysno.POLL);
        try {
            if (nfds < 0 || nfds > files.limit()) {
                throw Errno.EINVAL.exception("nfds " + Integer.toUnsignedString(nfds) + " above RLIMIT_NOFILE " + files.limit());
            }
            int[] fd = new int[nfds];
            int[] ev = new int[nfds];
            int[] rev = new int[nfds];
            if (nfds > 0) {
                byte[] raw = new byte[nfds * Poll.POLLFD_SIZE];
                kmem.read(fds, raw, 0, raw.length);
                ByteBuffer r = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < nfds; i++) {
                    fd[i] = r.getInt(i * Poll.POLLFD_SIZE);
                    ev[i] = r.getShort(i * Poll.POLLFD_SIZE + 4) & 0xFFFF;
                }
            }
            int n = PollCalls.poll(caller, nfds, fd, ev, rev, timeoutMs);
            for (int i = 0; i < nfds; i++) {
                long at = fds + (long) i * Poll.POLLFD_SIZE + 6;
                kmem.writeByte(at, (byte) rev[i]);
                kmem.writeByte(at + 1, (byte) (rev[i] >>> 8));
            }
            return n;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int select(int nfds, long readfds, long writefds, long exceptfds, long timeoutMicros) {
        enter(Sysno.SELECT);
        try {
            if (nfds < 0) {
                throw Errno.EINVAL.exception("nfds " + nfds);
            }
            if (timeoutMicros < -1) {
                throw Errno.EINVAL.exception("negative timeout " + timeoutMicros);
            }
            int n = Math.min(nfds, files.capacity());
            int words = (n + 63) / 64;
            long[] r = readSet(readfds, words);
            long[] w = readSet(writefds, words);
            long[] x = readSet(exceptfds, words);
            long timeoutNanos = timeoutMicros < 0 ? -1 : timeoutMicros > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : timeoutMicros * 1000;
            SelectResult res = PollCalls.select(caller, n, r, w, x, timeoutNanos);
            writeSet(readfds, r);
            writeSet(writefds, w);
            writeSet(exceptfds, x);
            return res.ready();
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    private long[] readSet(long addr, int words) {
        if (addr == 0) {
            return null;
        }
        long[] set = new long[words];
        for (int i = 0; i < words; i++) {
            set[i] = kmem.readLong(addr + 8L * i);
        }
        return set;
    }

    private void writeSet(long addr, long[] set) {
        if (addr == 0) {
            return;
        }
        for (int i = 0; i < set.length; i++) {
            kmem.writeLong(addr + 8L * i, set[i]);
        }
    }

    // ================================================================================ sockets

    @Override
    public int socket(int domain, int type, int protocol) {
        enter(Sysno.SOCKET);
        try {
            int fd = kernel.sockets().socket(caller, domain, type, protocol);
            ctx.ocall(0);
            return fd;
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void bind(int fd, SockAddrIn addr) {
        enter(Sysno.BIND);
        try {
            if (addr == null) {
                throw Errno.EFAULT.exception("null address");
            }
            kernel.sockets().bind(caller, fd, addr);
            ctx.ocall(0);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void listen(int fd, int backlog) {
        enter(Sysno.LISTEN);
        try {
            kernel.sockets().listen(caller, fd, backlog);
            ctx.ocall(0);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int accept(int fd) {
        return accept4(fd, 0, Sysno.ACCEPT);
    }

    @Override
    public int accept4(int fd, int flags) {
        return accept4(fd, flags, Sysno.ACCEPT4);
    }

    private int accept4(int fd, int flags, Sysno s) {
        enter(s);
        try {
            for (;;) {
                try {
                    int r = kernel.sockets().accept4(caller, fd, flags).fd();
                    ctx.ocall(0);
                    return r;
                } catch (ErrnoException e) {
                    if (!restarting(e)) {
                        throw e;
                    }
                    restartOrEintr();
                }
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void connect(int fd, SockAddrIn addr) {
        enter(Sysno.CONNECT);
        try {
            if (addr == null) {
                throw Errno.EFAULT.exception("null address");
            }
            // a connect interrupted by a signal is not restarted: the connection goes on (EINTR, then EALREADY)
            kernel.sockets().connect(caller, fd, addr);
            ctx.ocall(0);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long send(int fd, long buf, long len, int flags) {
        return sendto(fd, buf, len, flags, null, Sysno.SENDTO);
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, SockAddrIn dest) {
        return sendto(fd, buf, len, flags, dest, Sysno.SENDTO);
    }

    private long sendto(int fd, long buf, long len, int flags, SockAddrIn dest, Sysno s) {
        enter(s);
        try {
            files.get(fd);
            if (len < 0) {
                throw Errno.EINVAL.exception("negative length");
            }
            long want = Math.min(len, MAX_RW_COUNT);
            long total = 0;
            for (;;) {
                ByteBuffer b = scratch(want - total);
                int chunk = b.remaining();
                if (chunk > 0) {
                    kmem.read(buf + total, b);
                    b.flip();
                }
                int n;
                try {
                    n = kernel.sockets().send(caller, fd, b, flags);
                } catch (ErrnoException e) {
                    if (total > 0 && e.errno() != Errno.EBADF) {
                        return total;
                    }
                    if (restarting(e)) {
                        restartOrEintr();
                        continue;
                    }
                    throw e;
                }
                ctx.ocall(n);
                total += n;
                if (n < chunk || total >= want) {
                    return total;
                }
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public long recv(int fd, long buf, long len, int flags) {
        return recvfrom(fd, buf, len, flags);
    }

    @Override
    public long recvfrom(int fd, long buf, long len, int flags) {
        enter(Sysno.RECVFROM);
        try {
            files.get(fd);
            if (len < 0) {
                throw Errno.EINVAL.exception("negative length");
            }
            // a socket cannot take bytes back: receive only what the buffer can hold (EFAULT when nothing)
            long room = len == 0 ? 0 : kmem.accessiblePrefix(buf, Math.min(len, MAX_RW_COUNT), true);
            if (len > 0 && room == 0) {
                throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not writable");
            }
            for (;;) {
                ByteBuffer b = scratch(room);
                int n;
                try {
                    n = kernel.sockets().recv(caller, fd, b, flags);
                } catch (ErrnoException e) {
                    if (!restarting(e)) {
                        throw e;
                    }
                    restartOrEintr();
                    continue;
                }
                ctx.ocall(n);
                if (n > 0) {
                    b.flip();
                    kmem.write(buf, b);
                }
                return n;
            }
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void shutdown(int fd, int how) {
        enter(Sysno.SHUTDOWN);
        try {
            kernel.sockets().shutdown(caller, fd, how);
            ctx.ocall(0);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public void setsockopt(int fd, int level, int name, int value) {
        enter(Sysno.SETSOCKOPT);
        try {
            kernel.sockets().setsockopt(caller, fd, level, name, value);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public int getsockopt(int fd, int level, int name) {
        enter(Sysno.GETSOCKOPT);
        try {
            return kernel.sockets().getsockopt(caller, fd, level, name);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public SockAddrIn getsockname(int fd) {
        enter(Sysno.GETSOCKNAME);
        try {
            return kernel.sockets().getsockname(caller, fd);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public SockAddrIn getpeername(int fd) {
        enter(Sysno.GETPEERNAME);
        try {
            return kernel.sockets().getpeername(caller, fd);
        } catch (RuntimeException e) {
            throw fail(e);
        } finally {
            leave();
        }
    }

    @Override
    public String toString() {
        return "syscalls of " + thread;
    }
}
