package io.jocclum.libos.fs;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Fcntl;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.libos.vm.UserCopy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open file description (Linux {@code struct file}): what {@code open}, {@code pipe},
 * {@code socket}, {@code epoll_create} and friends create, shared by every descriptor that
 * {@code dup} or spawn inheritance makes of it.
 *
 * <p>Design: the access mode and status flags live here (so {@code F_SETFL} through one
 * descriptor is seen through its dups); subclasses implement the operations they support and the
 * base class answers the rest with Linux's errno (EINVAL for read/write on files that have no such
 * operation, ESPIPE for positional I/O and seeking on streams, ENOTTY for unknown ioctls). I/O is
 * on {@link ByteBuffer}s — heap buffers or views of guest memory — from their position to their
 * limit, advancing the position by the count transferred.
 *
 * <p>Lifetime: {@link #refs} counts the fd-table slots (of all processes) that refer to this
 * description. When the last one goes, the file is released: every {@link FileWatch} (epoll
 * registration) is told first, outside any lock, then {@link #release()} runs — a pipe end tells
 * its peer, a socket closes its host channel. Readiness: a pollable file returns a
 * {@link Notifier} and reports its state from {@link #poll()}; a file with no notifier cannot be
 * added to an epoll (EPERM) and polls as always ready ({@link IoEvents#DEFAULT_POLLMASK}).
 */
public abstract class OpenFile {
    /** Status flags {@code F_SETFL} may change ({@code SETFL_MASK}, fs/fcntl.c). */
    public static final int SETFL_MASK = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_ASYNC
            | OpenFlags.O_DIRECT | OpenFlags.O_NOATIME;
    /** Flags kept in the description after open (creation flags and O_CLOEXEC are not). */
    static final int KEPT_FLAGS = OpenFlags.O_ACCMODE | SETFL_MASK | OpenFlags.O_LARGEFILE | OpenFlags.O_DSYNC
            | OpenFlags.O_SYNC | OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW;

    private static final FileWatch[] NO_WATCHES = new FileWatch[0];

    /** Access mode and status flags; updated by CAS-free whole writes under {@code this}. */
    private volatile int flags;
    /** Descriptor references (all fd tables). */
    private final AtomicInteger refs = new AtomicInteger();
    /** Set once when the last reference goes. */
    private volatile boolean released;
    /** Guards {@link #watches}. */
    private final Object watchLock = new Object();
    /** Epoll registrations on this file. */
    @GuardedBy("watchLock")
    private FileWatch[] watches = NO_WATCHES;

    /** The kernel heap this description is charged to, once it has had a descriptor (null before). */
    @GuardedBy("watchLock")
    private KernelHeap kernelHeap;
    /** What was charged to it. */
    @GuardedBy("watchLock")
    private List<KernelHeap.Kind> charged = List.of();

    protected OpenFile(int flags) {
        this.flags = flags & KEPT_FLAGS;
    }

    // ---------------------------------------------------------------- flags

    /** {@code O_RDONLY}, {@code O_WRONLY}, {@code O_RDWR} (or 3: neither read nor write). */
    public final int accessMode() {
        return flags & OpenFlags.O_ACCMODE;
    }

    /** FMODE_READ: opened for reading. */
    public final boolean canRead() {
        int m = accessMode();
        return m == OpenFlags.O_RDONLY || m == OpenFlags.O_RDWR;
    }

    /** FMODE_WRITE: opened for writing. */
    public final boolean canWrite() {
        int m = accessMode();
        return m == OpenFlags.O_WRONLY || m == OpenFlags.O_RDWR;
    }

    /**
     * What {@code F_GETFL} returns: O_LARGEFILE only where open/openat set it (Linux's
     * {@code force_o_largefile()} in {@code do_sys_openat2}), never on pipes, eventfds, sockets or
     * epoll files.
     */
    public int statusFlags() {
        return flags;
    }

    public final boolean isNonBlocking() {
        return (flags & OpenFlags.O_NONBLOCK) != 0;
    }

    public final boolean isAppend() {
        return (flags & OpenFlags.O_APPEND) != 0;
    }

    /** {@code F_SETFL}: changes the bits of {@link #SETFL_MASK}, ignores the others. */
    public void setStatusFlags(int newFlags) {
        synchronized (this) {
            flags = (flags & ~SETFL_MASK) | (newFlags & SETFL_MASK);
        }
    }

    /** Sets or clears O_NONBLOCK ({@code FIONBIO}). */
    public final void setNonBlocking(boolean on) {
        synchronized (this) {
            flags = on ? flags | OpenFlags.O_NONBLOCK : flags & ~OpenFlags.O_NONBLOCK;
        }
    }

    // ---------------------------------------------------------------- I/O

    /** {@code read(2)}: EBADF unless opened for reading. */
    public final int read(Caller caller, ByteBuffer dst) {
        if (!canRead()) {
            throw Errno.EBADF.exception("not open for reading");
        }
        return doRead(caller, dst);
    }

    /** {@code write(2)}: EBADF unless opened for writing. */
    public final int write(Caller caller, ByteBuffer src) {
        if (!canWrite()) {
            throw Errno.EBADF.exception("not open for writing");
        }
        return doWrite(caller, src);
    }

    /** {@code pread64(2)}: EBADF unless readable, EINVAL for a negative offset. */
    public final int pread(Caller caller, ByteBuffer dst, long offset) {
        if (!canRead()) {
            throw Errno.EBADF.exception("not open for reading");
        }
        if (!isSeekable()) {
            throw Errno.ESPIPE.exception();
        }
        if (offset < 0) {
            throw Errno.EINVAL.exception("negative offset " + offset);
        }
        return doPread(caller, dst, offset);
    }

    /** {@code pwrite64(2)}: EBADF unless writable, EINVAL for a negative offset. */
    public final int pwrite(Caller caller, ByteBuffer src, long offset) {
        if (!canWrite()) {
            throw Errno.EBADF.exception("not open for writing");
        }
        if (!isSeekable()) {
            throw Errno.ESPIPE.exception();
        }
        if (offset < 0) {
            throw Errno.EINVAL.exception("negative offset " + offset);
        }
        return doPwrite(caller, src, offset);
    }

    /** What {@link #readToUser} and {@link #writeFromUser} return for a file without a direct path. */
    public static final int NO_DIRECT = -1;

    /**
     * {@code read(2)} straight into guest memory, for a file that copies from its own storage to
     * the caller's buffer in one copy (a pipe, as Linux's {@code pipe_read} copies from its pages to
     * the user's iovec): up to {@code length} bytes to {@code addr}; the bytes copied, stopping at
     * the first page that cannot be written (EFAULT when none could, the rest stays in the file).
     * {@link #NO_DIRECT} when the file has no such path: the call then reads into a heap buffer.
     */
    public final int readToUser(Caller caller, UserCopy user, long addr, int length) {
        if (!canRead()) {
            throw Errno.EBADF.exception("not open for reading");
        }
        return doReadToUser(caller, user, addr, length);
    }

    /**
     * {@code write(2)} straight from guest memory into the file's own storage (one copy, as
     * {@code pipe_write} copies from the user's iovec into its pages): the bytes written, a short
     * count when a page of the buffer cannot be read after some bytes, EFAULT when none could;
     * {@link #NO_DIRECT} when the file has no such path.
     */
    public final int writeFromUser(Caller caller, UserCopy user, long addr, int length) {
        if (!canWrite()) {
            throw Errno.EBADF.exception("not open for writing");
        }
        return doWriteFromUser(caller, user, addr, length);
    }

    protected int doReadToUser(Caller caller, UserCopy user, long addr, int length) {
        return NO_DIRECT;
    }

    protected int doWriteFromUser(Caller caller, UserCopy user, long addr, int length) {
        return NO_DIRECT;
    }

    protected int doRead(Caller caller, ByteBuffer dst) {
        throw Errno.EINVAL.exception(getClass().getSimpleName() + " has no read");
    }

    protected int doWrite(Caller caller, ByteBuffer src) {
        throw Errno.EINVAL.exception(getClass().getSimpleName() + " has no write");
    }

    /** Whether pread/pwrite/lseek are possible (FMODE_PREAD); streams answer false → ESPIPE. */
    protected boolean isSeekable() {
        return false;
    }

    protected int doPread(Caller caller, ByteBuffer dst, long offset) {
        throw Errno.ESPIPE.exception();
    }

    protected int doPwrite(Caller caller, ByteBuffer src, long offset) {
        throw Errno.ESPIPE.exception();
    }

    /** {@code lseek(2)}; streams give ESPIPE. */
    public long lseek(long offset, int whence) {
        throw Errno.ESPIPE.exception();
    }

    /** {@code fstat(2)}. */
    public abstract Stat fstat();

    /**
     * Whether {@code mmap(2)} of this file gives anonymous memory instead of the file's contents:
     * true only for /dev/zero (drivers/char/mem.c {@code mmap_zero}).
     */
    public boolean mapsAnonymous() {
        return false;
    }

    /**
     * Whether {@code write(2)} ignores the data: true for /dev/null and /dev/zero, whose write
     * handler returns the count without reading the buffer (drivers/char/mem.c {@code write_null}),
     * so a bad buffer is no EFAULT there.
     */
    public boolean discardsWrites() {
        return false;
    }

    /** {@code ftruncate(2)}: EINVAL unless a regular file open for writing. */
    public void ftruncate(long length) {
        throw Errno.EINVAL.exception("not a regular file");
    }

    /**
     * A file-specific ioctl (FIONREAD and the like); FIONBIO, FIOCLEX and FIONCLEX are handled by
     * the syscall layer for every file. {@code arg} is the memory the argument points to.
     */
    public int ioctl(Caller caller, int cmd, ByteBuffer arg) {
        throw Errno.ENOTTY.exception("ioctl 0x" + Integer.toHexString(cmd));
    }

    /**
     * A file-specific fcntl command (the pipe-size commands); the generic ones are handled by
     * the syscall layer. Non-pipes answer the pipe commands with EBADF, as Linux's
     * {@code pipe_fcntl} does.
     */
    public long fcntl(Caller caller, int cmd, long arg) {
        if (cmd == Fcntl.F_GETPIPE_SZ || cmd == Fcntl.F_SETPIPE_SZ) {
            throw Errno.EBADF.exception("not a pipe");
        }
        throw Errno.EINVAL.exception("fcntl command " + cmd);
    }

    // ---------------------------------------------------------------- readiness

    /**
     * The file's current readiness (all bits; callers intersect with what they asked for).
     * Files without a notifier are always ready for both directions.
     */
    public int poll() {
        return IoEvents.DEFAULT_POLLMASK;
    }

    /** Where observers subscribe; null for files that cannot be watched (regular files). */
    public Notifier notifier() {
        return null;
    }

    /** True when {@link #notifier()} is not null: such files may be added to an epoll. */
    public final boolean isPollable() {
        return notifier() != null;
    }

    // ---------------------------------------------------------------- lifetime

    /** Adds a descriptor reference; IllegalStateException once released. */
    public final void retain() {
        int r;
        do {
            r = refs.get();
            if (r <= 0 && released) {
                throw new IllegalStateException("open file " + this + " is already released");
            }
        } while (!refs.compareAndSet(r, r + 1));
    }

    /** Drops a descriptor reference; the last one releases the file. */
    public final void unref() {
        int r = refs.decrementAndGet();
        if (r < 0) {
            throw new IllegalStateException("open file " + this + " unreferenced more often than referenced");
        }
        if (r == 0) {
            releaseNow();
        }
    }

    /** The number of descriptors (in any process) referring to this open file. */
    public final int refCount() {
        return refs.get();
    }

    public final boolean isReleased() {
        return released;
    }

    private void releaseNow() {
        FileWatch[] ws;
        synchronized (watchLock) {
            if (released) {
                return;
            }
            released = true;
            ws = watches;
            watches = NO_WATCHES;
        }
        for (FileWatch w : ws) {
            w.fileReleased(this);
        }
        release();
        KernelHeap heap;
        List<KernelHeap.Kind> kinds;
        synchronized (watchLock) {
            heap = kernelHeap;
            kinds = charged;
            charged = List.of();
        }
        if (heap != null) {
            heap.credit(kinds);
        }
    }

    /**
     * The kernel objects this description holds in Occlum's kernel heap while it is open: the
     * description itself; file types with buffers add theirs (docs/config.md, "Kernel heap").
     */
    protected List<KernelHeap.Kind> kernelObjects() {
        return List.of(KernelHeap.Kind.OPEN_FILE);
    }

    /**
     * Charges this description's {@link #kernelObjects} to {@code heap} when it gets its first
     * descriptor (later calls do nothing); ENOMEM when they do not fit. Credited when it is released.
     */
    final void chargeTo(KernelHeap heap) {
        synchronized (watchLock) {
            if (kernelHeap != null || released) {
                return;
            }
            List<KernelHeap.Kind> kinds = kernelObjects();
            heap.charge(kinds);
            kernelHeap = heap;
            charged = kinds;
        }
    }

    /** The kernel heap this description is charged to, or null while it has never had a descriptor. */
    protected final KernelHeap kernelHeap() {
        synchronized (watchLock) {
            return kernelHeap;
        }
    }

    /** Runs once when the last descriptor is closed. */
    protected void release() {
    }

    /**
     * Attaches a watch (an epoll registration). Returns false when the file is already released,
     * in which case the watch must not be used.
     */
    public final boolean addWatch(FileWatch w) {
        synchronized (watchLock) {
            if (released) {
                return false;
            }
            FileWatch[] n = Arrays.copyOf(watches, watches.length + 1);
            n[watches.length] = w;
            watches = n;
            return true;
        }
    }

    /** Detaches a watch; no-op when absent. */
    public final void removeWatch(FileWatch w) {
        synchronized (watchLock) {
            for (int i = 0; i < watches.length; i++) {
                if (watches[i] == w) {
                    FileWatch[] n = new FileWatch[watches.length - 1];
                    System.arraycopy(watches, 0, n, 0, i);
                    System.arraycopy(watches, i + 1, n, i, watches.length - i - 1);
                    watches = n.length == 0 ? NO_WATCHES : n;
                    return;
                }
            }
        }
    }

    /** The watches attached now (epoll loop checks walk them upwards; invariant checks). */
    public final FileWatch[] watches() {
        synchronized (watchLock) {
            return watches.clone();
        }
    }

    /**
     * Checks this file's structures: it is not released while referenced, and — after
     * quiescence, when no poll or blocking call is in progress — the only subscribers on its
     * notifier are its registered watches (epoll registrations). Subclasses add their own checks.
     */
    public void checkInvariants(boolean quiescent) {
        if (released) {
            throw new IllegalStateException(this + " is released but still referenced");
        }
        FileWatch[] ws = watches();
        for (FileWatch w : ws) {
            if (!w.isRegistered()) {
                throw new IllegalStateException(this + ": watch " + w + " is not registered anywhere");
            }
        }
        Notifier n = notifier();
        if (n == null) {
            if (ws.length > 0) {
                throw new IllegalStateException(this + " cannot be polled but has watches");
            }
            return;
        }
        if (quiescent) {
            for (var s : n.snapshot()) {
                Object o = s.observer();
                if (!s.isLive() || !(o instanceof FileWatch fw) || !Arrays.asList(ws).contains(fw)) {
                    throw new IllegalStateException(this + ": stray subscription " + o + " after quiescence");
                }
            }
        }
    }

    /** Shorthand used by subclasses for blocking calls interrupted by a signal. */
    protected static ErrnoException interrupted() {
        return Errno.ERESTARTSYS.exception("interrupted by a signal");
    }
}
