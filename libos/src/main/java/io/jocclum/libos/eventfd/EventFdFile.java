package io.jocclum.libos.eventfd;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.EventFd;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;

import java.nio.ByteBuffer;

/**
 * An eventfd (fs/eventfd.c): an unsigned 64-bit counter.
 *
 * <p>read: buffer smaller than 8 bytes → EINVAL; counter 0 → block (EAGAIN when non-blocking);
 * otherwise returns the counter and zeroes it, or 1 and decrements with EFD_SEMAPHORE. write:
 * buffer smaller than 8 → EINVAL; the value 2^64−1 → EINVAL; an addition that would pass
 * 2^64−2 blocks (EAGAIN). Readiness: IN when the counter is non-zero, OUT while it is below
 * 2^64−2 (ERR only for the AIO overflow path, which cannot happen here). Every write — even
 * of 0 — broadcasts IN, every read OUT, as Linux does; libuv and libevent rely on that edge.
 * The counter is guarded by {@code this}; blocked readers and writers wait in two queues.
 */
public final class EventFdFile extends OpenFile {
    /** ULLONG_MAX − 1: the largest counter value. */
    static final long MAX = -2L;

    private final boolean semaphore;
    private final long ino;
    /** Unsigned. */
    @GuardedBy("this")
    private long count;
    private final WaiterQueue blockedReaders = new WaiterQueue();
    private final WaiterQueue blockedWriters = new WaiterQueue();
    private final Notifier notifier = new Notifier();

    EventFdFile(long initval, int flags, long ino) {
        super(OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK));
        this.count = initval;
        this.semaphore = (flags & EventFd.EFD_SEMAPHORE) != 0;
        this.ino = ino;
    }

    /** The counter (unsigned), for tests. */
    public synchronized long count() {
        return count;
    }

    @Override
    protected int doRead(Caller c, ByteBuffer dst) {
        if (dst.remaining() < 8) {
            throw Errno.EINVAL.exception("eventfd read needs 8 bytes, got " + dst.remaining());
        }
        Waiter w = c.waiter();
        for (;;) {
            long value;
            WaiterQueue.Node node = null;
            synchronized (this) {
                if (count != 0) {
                    value = semaphore ? 1 : count;
                    count -= value;
                } else if (isNonBlocking()) {
                    throw Errno.EAGAIN.exception("eventfd counter is 0");
                } else {
                    value = 0;
                    w.reset();
                    node = blockedReaders.enqueue(w);
                }
            }
            if (node == null) {
                LittleEndian.putLong(dst, dst.position(), value);
                dst.position(dst.position() + 8);
                blockedWriters.wakeAll();
                notifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
                return 8;
            }
            if (c.signals().interruptPending()) {
                blockedReaders.remove(node);
                throw Errno.ERESTARTSYS.exception("eventfd read interrupted");
            }
            w.await(c.clock(), WaitClock.FOREVER);
            blockedReaders.remove(node);
        }
    }

    @Override
    protected int doWrite(Caller c, ByteBuffer src) {
        if (src.remaining() < 8) {
            throw Errno.EINVAL.exception("eventfd write needs 8 bytes, got " + src.remaining());
        }
        long v = LittleEndian.getLong(src, src.position());
        if (v == -1L) {
            throw Errno.EINVAL.exception("eventfd write of 0xffffffffffffffff");
        }
        Waiter w = c.waiter();
        for (;;) {
            WaiterQueue.Node node = null;
            synchronized (this) {
                // fits iff ULLONG_MAX - count > v (unsigned)
                if (Long.compareUnsigned(-1L - count, v) > 0) {
                    count += v;
                } else if (isNonBlocking()) {
                    throw Errno.EAGAIN.exception("eventfd counter would overflow");
                } else {
                    w.reset();
                    node = blockedWriters.enqueue(w);
                }
            }
            if (node == null) {
                src.position(src.position() + 8);
                blockedReaders.wakeAll();
                notifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
                return 8;
            }
            if (c.signals().interruptPending()) {
                blockedWriters.remove(node);
                throw Errno.ERESTARTSYS.exception("eventfd write interrupted");
            }
            w.await(c.clock(), WaitClock.FOREVER);
            blockedWriters.remove(node);
        }
    }

    @Override
    public synchronized int poll() {
        int ev = 0;
        if (count != 0) {
            ev |= IoEvents.IN | IoEvents.RDNORM;
        }
        if (Long.compareUnsigned(count, MAX) < 0) {
            ev |= IoEvents.OUT | IoEvents.WRNORM;
        }
        if (count == -1L) {
            ev |= IoEvents.ERR;
        }
        return ev;
    }

    @Override
    public Notifier notifier() {
        return notifier;
    }

    @Override
    public Stat fstat() {
        // anon_inode: mode 0600 without type bits (fs/anon_inodes.c)
        return new Stat(EventFdCalls.ANON_DEV, ino, 0600, 1, 0, 0, 0, 0, Pages.SIZE, 0, 0, 0, 0);
    }

    @Override
    public void checkInvariants(boolean quiescent) {
        super.checkInvariants(quiescent);
        if (quiescent && (!blockedReaders.isEmpty() || !blockedWriters.isEmpty())) {
            throw new IllegalStateException("eventfd " + ino + ": waiters left: readers " + blockedReaders.size()
                    + ", writers " + blockedWriters.size());
        }
    }

    @Override
    public String toString() {
        return "anon_inode:[eventfd] " + ino;
    }
}
