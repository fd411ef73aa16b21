package io.jocclum.libos.eventfd;

import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SignalFd;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.Poller;
import io.jocclum.libos.events.SignalInfo;
import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A signalfd (fs/signalfd.c): reading takes pending signals of its mask — the reading thread's
 * own first, then its process's — and returns one 128-byte {@code struct signalfd_siginfo} per
 * signal (signo, code, sender pid; uid 0, the rest 0), as many as fit; with none pending it blocks
 * (EAGAIN when non-blocking) until one arrives or an unblocked signal interrupts. The program
 * blocks the signals of the mask, so that they stay pending for the signalfd instead of being
 * delivered.
 *
 * <p>Readiness: IN while a signal of the mask is pending for the process or for the thread that
 * made the signalfd (Linux looks at the polling thread's pending signals, which the file layer
 * does not know; the two agree for the usual one-thread-polls use). Its notifier is the process's
 * signal notifier, which broadcasts whenever a signal becomes pending.
 */
public final class SignalFdFile extends OpenFile {
    private final long ino;
    private final ThreadSignals owner;
    /** Signals this signalfd takes (never SIGKILL or SIGSTOP). */
    private volatile long mask;

    SignalFdFile(ThreadSignals owner, long mask, int flags, long ino) {
        super(OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK));
        this.owner = owner;
        this.mask = mask;
        this.ino = ino;
    }

    long mask() {
        return mask;
    }

    void setMask(long m) {
        mask = m;
        Notifier n = owner.signalNotifier();
        if (n != null) {
            n.broadcast(IoEvents.IN | IoEvents.RDNORM); // wake_up(&current->sighand->signalfd_wqh)
        }
    }

    @Override
    protected int doRead(Caller c, ByteBuffer dst) {
        int room = dst.remaining() / SignalFd.SIGINFO_SIZE;
        if (room == 0) {
            throw Errno.EINVAL.exception("signalfd read needs " + SignalFd.SIGINFO_SIZE + " bytes, got " + dst.remaining());
        }
        ThreadSignals me = c.signals();
        int n = take(me, dst, room);
        if (n > 0) {
            return n * SignalFd.SIGINFO_SIZE;
        }
        if (isNonBlocking()) {
            throw Errno.EAGAIN.exception("no signal of the mask is pending");
        }
        Notifier signals = me.signalNotifier();
        if (signals == null) {
            throw Errno.EAGAIN.exception("no signals in this context");
        }
        Waiter w = c.waiter();
        try (Poller p = new Poller(w)) {
            p.subscribe(signals, IoEvents.IN);
            for (;;) {
                w.reset();
                n = take(me, dst, room);
                if (n > 0) {
                    return n * SignalFd.SIGINFO_SIZE;
                }
                if (me.interruptPending()) {
                    throw Errno.ERESTARTSYS.exception("signalfd read interrupted");
                }
                w.await(c.clock(), WaitClock.FOREVER);
            }
        }
    }

    /** Takes up to {@code room} signals of the mask into {@code dst}; returns how many. */
    private int take(ThreadSignals me, ByteBuffer dst, int room) {
        int n = 0;
        while (n < room) {
            SignalInfo si = me.takeSignal(mask);
            if (si == null) {
                break;
            }
            ByteBuffer rec = dst.slice(dst.position(), SignalFd.SIGINFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < SignalFd.SIGINFO_SIZE; i += 8) {
                rec.putLong(i, 0);
            }
            rec.putInt(SignalFd.SSI_SIGNO, si.signo());
            rec.putInt(SignalFd.SSI_CODE, si.code());
            rec.putInt(SignalFd.SSI_PID, si.pid());
            dst.position(dst.position() + SignalFd.SIGINFO_SIZE);
            n++;
        }
        return n;
    }

    @Override
    public int poll() {
        return (owner.pendingSignals() & mask) != 0 ? IoEvents.IN | IoEvents.RDNORM : 0;
    }

    @Override
    public Notifier notifier() {
        return owner.signalNotifier();
    }

    @Override
    public Stat fstat() {
        return EventFdCalls.anonInode(ino);
    }

    @Override
    public String toString() {
        return "anon_inode:[signalfd] " + ino;
    }
}
