package io.jocclum.libos.pipe;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Limits;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.vm.UserCopy;
import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pipe (Linux {@code struct pipe_inode_info}): a byte ring of {@link #capacity} bytes, a read
 * end and a write end.
 *
 * <p>Design: one lock guards the ring and the end states; data is copied straight between the
 * caller's buffer and the ring, one copy per direction: a guest's read and write copy between
 * its memory and the ring ({@link UserCopy}, as {@code pipe_read} and {@code pipe_write} copy
 * between the user's iovec and the pipe's pages), other callers between a ByteBuffer and the ring. Blocked readers and writers wait in
 * two {@link WaiterQueue}s, enqueued under the pipe lock so a wake-up cannot be missed, and are
 * woken after the lock is released. Each end has its own {@link Notifier} for epoll and poll:
 * every successful write broadcasts IN on the read end — each write is a new edge for EPOLLET, as
 * on Linux since 5.14 — and a read that makes a full pipe writable again broadcasts OUT on the
 * write end (Linux wakes writers only when the pipe was full).
 *
 * <p>Writability follows Linux's page slots in bytes: the write end is writable (POLLOUT) when
 * at least PIPE_BUF bytes are free, which is also when a blocked writer may proceed. Writes of at
 * most PIPE_BUF bytes are atomic (all or EAGAIN when non-blocking; wait for room when
 * blocking); larger non-blocking writes store what fits (EAGAIN only when full); larger blocking writes complete fully,
 * possibly interleaved with other writers, unless a signal interrupts them (then the count
 * written so far, or ERESTARTSYS). Writing with no reader raises SIGPIPE and fails with EPIPE.
 */
public final class Pipe {
    /** PIPE_DEF_BUFFERS (16) × PAGE_SIZE (fs/pipe.c). */
    public static final int DEFAULT_CAPACITY = 65536;
    /** /proc/sys/fs/pipe-max-size default (fs/pipe.c). */
    public static final int DEFAULT_MAX_SIZE = 1 << 20;
    static final int PIPE_BUF = Limits.PIPE_BUF;

    final ReentrantLock lock = new ReentrantLock(); // package-private for the checker's tests
    /** The ring, allocated at the first write. */
    @GuardedBy("lock")
    private byte[] ring;
    /** {@link #ring} as a segment, for copies from and to guest memory. */
    @GuardedBy("lock")
    private MemorySegment ringSegment;
    @GuardedBy("lock")
    private int capacity;
    /** Index of the first unread byte. */
    @GuardedBy("lock")
    private int head;
    /** Bytes stored; guarded by lock (volatile for lock-free FIONREAD-style peeks in checks). */
    private volatile int count;
    /** False once the read end (writer end) is released. */
    @GuardedBy("lock")
    private volatile boolean readerOpen = true;
    private volatile boolean writerOpen = true;

    private final WaiterQueue blockedReaders = new WaiterQueue();
    private final WaiterQueue blockedWriters = new WaiterQueue();
    final Notifier readNotifier = new Notifier();
    final Notifier writeNotifier = new Notifier();
    final long ino;
    final Stat stat;
    /** /proc/sys/fs/pipe-max-size for unprivileged F_SETPIPE_SZ. */
    final int maxSize;
    private final PipeEnd.Reader readEnd;
    private final PipeEnd.Writer writeEnd;

    Pipe(int capacity, int maxSize, long dev, long ino, int uid, int gid, int readFlags, int writeFlags) {
        this.capacity = capacity;
        this.maxSize = maxSize;
        this.ino = ino;
        this.stat = new Stat(dev, ino, FileMode.S_IFIFO | 0600, 1, uid, gid, 0, 0, Pages.SIZE, 0, 0, 0, 0);
        this.readEnd = new PipeEnd.Reader(this, readFlags);
        this.writeEnd = new PipeEnd.Writer(this, writeFlags);
    }

    public PipeEnd.Reader readEnd() {
        return readEnd;
    }

    public PipeEnd.Writer writeEnd() {
        return writeEnd;
    }

    /** Current capacity in bytes. */
    public int capacity() {
        lock.lock();
        try {
            return capacity;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes currently stored (FIONREAD). */
    public int available() {
        return count;
    }

    // ------------------------------------------------------------------ write

    int write(Caller c, ByteBuffer src, boolean nonBlocking) {
        return write(c, src, null, 0, src.remaining(), nonBlocking);
    }

    /** A guest's write of {@code len} bytes at {@code addr}: copied from its memory into the ring. */
    int writeFromUser(Caller c, UserCopy user, long addr, int len, boolean nonBlocking) {
        return write(c, null, user, addr, len, nonBlocking);
    }

    /**
     * Writes {@code len} bytes from {@code src}, or from guest memory at {@code addr} when
     * {@code user} is not null. A page of the guest's buffer that cannot be read ends the write:
     * the bytes before it count, EFAULT when there are none.
     */
    private int write(Caller c, ByteBuffer src, UserCopy user, long addr, int len, boolean nonBlocking) {
        if (len == 0) {
            return 0;
        }
        int written = 0;
        boolean atomic = len <= PIPE_BUF;
        Waiter w = c.waiter();
        for (;;) {
            int now = 0;
            WaiterQueue.Node node = null;
            boolean broken = false;
            boolean faulted = false;
            lock.lock();
            try {
                if (!readerOpen) {
                    broken = true;
                } else {
                    int free = capacity - count;
                    int remaining = len - written;
                    // atomic writes need room for all of it; larger blocking ones a page (PIPE_BUF) or
                    // the rest; a larger non-blocking one takes whatever room there is (pipe_write
                    // fills the last page before it finds the ring full and returns the partial count)
                    if (free >= Math.min(remaining, PIPE_BUF) || (nonBlocking && !atomic && free > 0)) {
                        int want = Math.min(free, remaining);
                        now = copyIn(src, user, addr + written, want);
                        faulted = now < want;
                        written += now;
                    }
                    boolean done = written == len || (nonBlocking && written > 0) || faulted;
                    if (!done && !nonBlocking) {
                        w.reset();
                        node = blockedWriters.enqueue(w);
                    }
                }
            } finally {
                lock.unlock();
            }
            if (now > 0) {
                blockedReaders.wakeAll();
                readNotifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
            }
            if (broken) {
                c.signals().raiseSigpipe();
                if (written > 0) {
                    return written;
                }
                throw Errno.EPIPE.exception("pipe has no reader");
            }
            if (faulted) {
                if (written > 0) {
                    return written;
                }
                throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(addr) + " is not readable");
            }
            if (written == len || (nonBlocking && written > 0)) {
                return written;
            }
            if (nonBlocking) {
                throw Errno.EAGAIN.exception("pipe full");
            }
            if (c.signals().interruptPending()) {
                blockedWriters.remove(node);
                if (written > 0) {
                    return written;
                }
                throw Errno.ERESTARTSYS.exception("write interrupted");
            }
            w.await(c.clock(), WaitClock.FOREVER);
            blockedWriters.remove(node);
        }
    }

    /**
     * Copies {@code n} bytes to the ring's tail from {@code src} or from guest memory at
     * {@code addr}; returns the bytes stored, fewer than {@code n} only when a page of the guest's
     * buffer cannot be read. Lock held.
     */
    private int copyIn(ByteBuffer src, UserCopy user, long addr, int n) {
        if (ring == null) {
            ring = new byte[capacity];
            ringSegment = MemorySegment.ofArray(ring);
        }
        int tail = head + count;
        if (tail >= capacity) {
            tail -= capacity;
        }
        int first = Math.min(n, capacity - tail);
        int got;
        if (user == null) {
            src.get(ring, tail, first);
            if (n > first) {
                src.get(ring, 0, n - first);
            }
            got = n;
        } else {
            got = user.copyFromUser(addr, ringSegment, tail, first);
            if (got == first && n > first) {
                got += user.copyFromUser(addr + first, ringSegment, 0, n - first);
            }
        }
        count += got;
        return got;
    }

    // ------------------------------------------------------------------ read

    int read(Caller c, ByteBuffer dst, boolean nonBlocking) {
        return read(c, dst, null, 0, dst.remaining(), nonBlocking);
    }

    /** A guest's read of up to {@code len} bytes into its memory at {@code addr}, straight from the ring. */
    int readToUser(Caller c, UserCopy user, long addr, int len, boolean nonBlocking) {
        return read(c, null, user, addr, len, nonBlocking);
    }

    /**
     * Reads up to {@code len} bytes into {@code dst}, or into guest memory at {@code addr} when
     * {@code user} is not null. Only the bytes copied leave the ring: a page of the guest's buffer
     * that cannot be written ends the read, EFAULT when nothing was copied.
     */
    private int read(Caller c, ByteBuffer dst, UserCopy user, long addr, int len, boolean nonBlocking) {
        if (len == 0) {
            return 0;
        }
        Waiter w = c.waiter();
        for (;;) {
            int n = 0;
            boolean faulted = false;
            boolean becameWritable = false;
            WaiterQueue.Node node = null;
            lock.lock();
            try {
                int cnt = count;
                if (cnt > 0) {
                    boolean wasFull = capacity - cnt < PIPE_BUF;
                    int want = Math.min(len, cnt);
                    n = copyOut(dst, user, addr, want);
                    faulted = n < want;
                    becameWritable = wasFull && capacity - count >= PIPE_BUF;
                } else if (!writerOpen) {
                    return 0;
                } else if (nonBlocking) {
                    throw Errno.EAGAIN.exception("pipe empty");
                } else {
                    w.reset();
                    node = blockedReaders.enqueue(w);
                }
            } finally {
                lock.unlock();
            }
            if (becameWritable) {
                blockedWriters.wakeAll();
                writeNotifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
            }
            if (n > 0) {
                return n;
            }
            if (faulted) {
                throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(addr) + " is not writable");
            }
            if (c.signals().interruptPending()) {
                blockedReaders.remove(node);
                throw Errno.ERESTARTSYS.exception("read interrupted");
            }
            w.await(c.clock(), WaitClock.FOREVER);
            blockedReaders.remove(node);
        }
    }

    /**
     * Copies up to {@code n} bytes from the ring's head to {@code dst} or to guest memory at
     * {@code addr} and removes the bytes copied from the ring; returns their number, fewer than
     * {@code n} only when a page of the guest's buffer cannot be written. Lock held.
     */
    private int copyOut(ByteBuffer dst, UserCopy user, long addr, int n) {
        int first = Math.min(n, capacity - head);
        int got;
        if (user == null) {
            dst.put(ring, head, first);
            if (n > first) {
                dst.put(ring, 0, n - first);
            }
            got = n;
        } else {
            got = user.copyToUser(addr, ringSegment, head, first);
            if (got == first && n > first) {
                got += user.copyToUser(addr + first, ringSegment, 0, n - first);
            }
        }
        int cnt = count - got;
        count = cnt;
        head = cnt == 0 ? 0 : (head + got) % capacity;
        return got;
    }

    // ------------------------------------------------------------------ readiness

    /** pipe_poll for the read end: IN when data, HUP when no writer. */
    int pollRead() {
        int ev = 0;
        if (count > 0) {
            ev |= IoEvents.IN | IoEvents.RDNORM;
        }
        if (!writerOpen) {
            ev |= IoEvents.HUP;
        }
        return ev;
    }

    /** pipe_poll for the write end: OUT when PIPE_BUF bytes fit, ERR when no reader. */
    int pollWrite() {
        int ev = 0;
        lock.lock();
        try {
            if (capacity - count >= PIPE_BUF) {
                ev |= IoEvents.OUT | IoEvents.WRNORM;
            }
        } finally {
            lock.unlock();
        }
        if (!readerOpen) {
            ev |= IoEvents.ERR;
        }
        return ev;
    }

    // ------------------------------------------------------------------ ends closing

    void releaseReader() {
        lock.lock();
        try {
            readerOpen = false;
        } finally {
            lock.unlock();
        }
        blockedWriters.wakeAll();
        writeNotifier.broadcast(IoEvents.ERR);
    }

    void releaseWriter() {
        lock.lock();
        try {
            writerOpen = false;
        } finally {
            lock.unlock();
        }
        blockedReaders.wakeAll();
        readNotifier.broadcast(IoEvents.HUP);
    }

    boolean readerOpen() {
        return readerOpen;
    }

    boolean writerOpen() {
        return writerOpen;
    }

    // ------------------------------------------------------------------ F_SETPIPE_SZ

    /**
     * {@code F_SETPIPE_SZ} (fs/pipe.c {@code pipe_set_size}): rounds the unsigned request up to
     * a power of two of at least a page (EINVAL above 2^31), EPERM when growing above
     * {@code maxSize} without privilege, EBUSY when the stored bytes would not fit. Returns the
     * new capacity.
     */
    int setCapacity(long arg, int maxSize, boolean privileged) {
        long req = arg & 0xFFFF_FFFFL;
        if (req > (1L << 31)) {
            throw Errno.EINVAL.exception("pipe size " + req + " above 2^31");
        }
        long size = req < Pages.SIZE ? Pages.SIZE : Long.highestOneBit(req - 1) << 1; // roundup_pow_of_two
        boolean grew;
        lock.lock();
        try {
            if (size > capacity && size > maxSize && !privileged) {
                throw Errno.EPERM.exception("pipe size " + size + " above pipe-max-size " + maxSize);
            }
            if (size > Integer.MAX_VALUE - 8) {
                throw Errno.ENOMEM.exception("pipe size " + size + " cannot be allocated");
            }
            if (count > size) {
                throw Errno.EBUSY.exception(count + " bytes stored do not fit in " + size);
            }
            boolean wasWritable = capacity - count >= PIPE_BUF;
            if (ring != null) {
                byte[] n = new byte[(int) size];
                int first = Math.min(count, capacity - head);
                System.arraycopy(ring, head, n, 0, first);
                System.arraycopy(ring, 0, n, first, count - first);
                ring = n;
                ringSegment = MemorySegment.ofArray(ring);
            }
            head = 0;
            capacity = (int) size;
            grew = !wasWritable && capacity - count >= PIPE_BUF;
        } finally {
            lock.unlock();
        }
        if (grew) {
            blockedWriters.wakeAll();
            writeNotifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
        }
        return (int) size;
    }

    /** Checks the ring's invariants and that no waiter is left (and no lock held) when nobody is blocked. */
    public void checkInvariants(boolean quiescent) {
        if (quiescent && lock.isLocked()) {
            throw new IllegalStateException("pipe " + ino + ": lock still held after quiescence");
        }
        lock.lock();
        try {
            if (count < 0 || count > capacity) {
                throw new IllegalStateException("pipe " + ino + ": count " + count + " outside 0.." + capacity);
            }
            if (head < 0 || head >= capacity) {
                throw new IllegalStateException("pipe " + ino + ": head " + head + " outside the ring");
            }
            if (Integer.bitCount(capacity) != 1 || capacity < Pages.SIZE) {
                throw new IllegalStateException("pipe " + ino + ": capacity " + capacity + " not a power of two >= 4096");
            }
            if (ring != null && ring.length != capacity) {
                throw new IllegalStateException("pipe " + ino + ": ring length " + ring.length + " != capacity " + capacity);
            }
        } finally {
            lock.unlock();
        }
        if (quiescent && (!blockedReaders.isEmpty() || !blockedWriters.isEmpty())) {
            throw new IllegalStateException("pipe " + ino + ": waiters left after quiescence: readers "
                    + blockedReaders.size() + ", writers " + blockedWriters.size());
        }
    }

    int blockedReaders() {
        return blockedReaders.size();
    }

    int blockedWriters() {
        return blockedWriters.size();
    }
}
