package io.jocclum.libos.eventfd;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
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

import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * A timerfd (fs/timerfd.c) on the LibOS's clock: {@link WaitClock#nanoTime()} for
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME; CLOCK_REALTIME timers are armed by converting the wall-clock
 * expiry to that clock when set (the wall clock is never set in the LibOS, so no
 * TFD_TIMER_CANCEL_ON_SET cancellation happens).
 *
 * <p>State: the next expiry (0 = disarmed), the interval, and the expirations not yet read
 * ({@code ticks}). Expirations are counted lazily from the clock on every look (poll, read,
 * gettime) — a periodic timer's overrun is {@code 1 + (now - expiry) / interval} — and, while
 * armed, a virtual thread parked on the clock until the expiry wakes blocked readers and tells the
 * observers (epoll, poll) that the file became readable. settime re-arms (a new generation ends the
 * old thread) and zeroes the count, as {@code timerfd_setup} does. Guarded by {@code this}.
 */
public final class TimerFdFile extends OpenFile {
    private final long ino;
    private final int clockId;
    private final WaitClock clock;
    private final WaiterQueue blockedReaders = new WaiterQueue();
    private final Notifier notifier = new Notifier();
    /** Next expiry on {@link #clock}, 0 when disarmed. */
    @GuardedBy("this")
    private long expiry;
    @GuardedBy("this")
    private long interval;
    /** Expirations not yet read. */
    @GuardedBy("this")
    private long ticks;
    /** Incremented by every settime and by release: ends the timer thread of the previous arming. */
    @GuardedBy("this")
    private long generation;
    @GuardedBy("this")
    private Thread timerThread;

    TimerFdFile(int clockId, int flags, long ino, WaitClock clock) {
        super(OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK));
        this.clockId = clockId;
        this.ino = ino;
        this.clock = clock;
    }

    int clockId() {
        return clockId;
    }

    /** Counts the expirations up to now; returns true when some were added. */
    @GuardedBy("this")
    private boolean update(long now) {
        if (expiry == 0 || now < expiry) {
            return false;
        }
        if (interval > 0) {
            long n = 1 + (now - expiry) / interval;
            ticks += n;
            expiry += n * interval;
        } else {
            ticks++;
            expiry = 0;
        }
        return true;
    }

    /**
     * Arms ({@code valueNanos} > 0: the first expiry that far from now on the timer's clock) or
     * disarms ({@code valueNanos} = 0) the timer; returns the previous {interval, time left}.
     */
    long[] set(long valueNanos, long intervalNanos) {
        long[] old;
        Thread stale;
        synchronized (this) {
            old = current();
            generation++;
            stale = timerThread;
            timerThread = null;
            ticks = 0;
            if (valueNanos == 0) {
                expiry = 0;
                interval = 0;
            } else {
                long at = clock.deadlineAfter(valueNanos);
                expiry = Math.max(at, 1);
                interval = intervalNanos;
                long gen = generation;
                timerThread = Thread.ofVirtual().name("timerfd " + ino).unstarted(() -> run(gen));
            }
            if (timerThread != null) {
                timerThread.start();
            }
        }
        if (stale != null) {
            LockSupport.unpark(stale);
        }
        return old;
    }

    /** timerfd_gettime: {interval, time left} in nanoseconds; {0, 0} when disarmed. */
    synchronized long[] get() {
        return current();
    }

    @GuardedBy("this")
    private long[] current() {
        long now = clock.nanoTime();
        update(now);
        return new long[] {interval, expiry == 0 ? 0 : Math.max(1, expiry - now)};
    }

    /** The timer thread of one arming: parks on the clock until the expiry, then wakes readers and observers. */
    private void run(long gen) {
        for (;;) {
            long wait;
            boolean fired = false;
            synchronized (this) {
                if (gen != generation || expiry == 0) {
                    return;
                }
                long now = clock.nanoTime();
                if (now < expiry) {
                    wait = expiry - now;
                } else {
                    fired = update(now);
                    wait = 0;
                }
            }
            if (fired) {
                blockedReaders.wakeAll();
                notifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
            } else {
                clock.parkNanos(this, wait);
            }
        }
    }

    /** read(2): the expirations since the last read as a u64 (then 0); blocks or EAGAIN while there are none. */
    @Override
    protected int doRead(Caller c, ByteBuffer dst) {
        if (dst.remaining() < 8) {
            throw Errno.EINVAL.exception("timerfd read needs 8 bytes, got " + dst.remaining());
        }
        Waiter w = c.waiter();
        for (;;) {
            long value = 0;
            WaiterQueue.Node node = null;
            synchronized (this) {
                update(clock.nanoTime());
                if (ticks != 0) {
                    value = ticks;
                    ticks = 0;
                } else if (isNonBlocking()) {
                    throw Errno.EAGAIN.exception("the timer has not expired");
                } else {
                    w.reset();
                    node = blockedReaders.enqueue(w);
                }
            }
            if (node == null) {
                LittleEndian.putLong(dst, dst.position(), value);
                dst.position(dst.position() + 8);
                return 8;
            }
            EventFdFile.sleep(c, w, blockedReaders, node, "timerfd read");
        }
    }

    @Override
    public synchronized int poll() {
        update(clock.nanoTime());
        return ticks != 0 ? IoEvents.IN | IoEvents.RDNORM : 0;
    }

    @Override
    public Notifier notifier() {
        return notifier;
    }

    @Override
    public Stat fstat() {
        return EventFdCalls.anonInode(ino);
    }

    @Override
    protected void release() {
        Thread t;
        synchronized (this) {
            generation++;
            expiry = 0;
            t = timerThread;
            timerThread = null;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void checkInvariants(boolean quiescent) {
        super.checkInvariants(quiescent);
        if (quiescent && !blockedReaders.isEmpty()) {
            throw new IllegalStateException(this + ": " + blockedReaders.size() + " readers left");
        }
    }

    @Override
    public String toString() {
        return "anon_inode:[timerfd] " + ino;
    }
}
