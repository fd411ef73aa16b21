package io.jocclum.libos.epoll;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.Timespecs;
import io.jocclum.libos.vm.UserCopy;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The epoll syscalls of one LibOS instance, with Linux's argument checks in Linux's order
 * (fs/eventpoll.c {@code do_epoll_ctl}, {@code do_epoll_wait}).
 */
public final class EpollCalls {
    /** st_dev of anonymous inodes: a pseudo-device number of ours (Linux: anon_inodefs). */
    static final long ANON_DEV = 0x0e;
    /** EP_MAX_EVENTS = INT_MAX / sizeof(struct epoll_event). */
    public static final int EP_MAX_EVENTS = Integer.MAX_VALUE / Epoll.EVENT_SIZE;
    /** Most events a guest's call copies out (it may return fewer than are ready, as the round-robin allows). */
    static final int EPOLL_BATCH = 1024;

    private final AtomicLong nextIno = new AtomicLong(1);

    /** {@code epoll_create(2)}: size ≤ 0 → EINVAL, otherwise ignored. */
    public int epollCreate(Caller c, int size) {
        if (size <= 0) {
            throw Errno.EINVAL.exception("epoll_create size " + size);
        }
        return epollCreate1(c, 0);
    }

    /** {@code epoll_create1(2)}: only EPOLL_CLOEXEC is allowed. */
    public int epollCreate1(Caller c, int flags) {
        if ((flags & ~Epoll.EPOLL_CLOEXEC) != 0) {
            throw Errno.EINVAL.exception("epoll_create1 flags 0x" + Integer.toHexString(flags));
        }
        EpollFile ep = create();
        try {
            return c.files().install(ep, (flags & Epoll.EPOLL_CLOEXEC) != 0);
        } catch (RuntimeException e) {
            ep.retain();
            ep.unref();
            throw e;
        }
    }

    /** An epoll instance not installed anywhere. */
    public EpollFile create() {
        return new EpollFile(nextIno.getAndIncrement());
    }

    /**
     * {@code epoll_ctl(2)}. Checks, in order: the event is given for ADD/MOD (EFAULT); epfd is
     * open (EBADF); fd is open (EBADF); the target can be polled (EPERM: regular files,
     * directories, devices); epfd is an epoll and not the target itself (EINVAL);
     * EPOLLEXCLUSIVE rules (EINVAL); for ADD of an epoll, loops and nesting depth (ELOOP); then
     * EEXIST / ENOENT; an unknown op is EINVAL. EPOLLWAKEUP is dropped without privilege.
     */
    public void epollCtl(Caller c, int epfd, int op, int fd, EpollEvent event) {
        boolean hasEvent = op != Epoll.EPOLL_CTL_DEL;
        if (hasEvent && event == null) {
            throw Errno.EFAULT.exception("epoll_ctl without an event");
        }
        OpenFile f = c.files().get(epfd);
        OpenFile tf = c.files().get(fd);
        if (!tf.isPollable()) {
            throw Errno.EPERM.exception(tf + " does not support epoll");
        }
        int events = hasEvent ? event.events() : 0;
        long data = hasEvent ? event.data() : 0;
        if (hasEvent && !c.credentials().privileged()) {
            events &= ~Epoll.EPOLLWAKEUP; // needs CAP_BLOCK_SUSPEND
        }
        if (f == tf || !(f instanceof EpollFile ep)) {
            throw Errno.EINVAL.exception(f == tf ? "an epoll cannot watch itself" : "fd " + epfd + " is not an epoll");
        }
        if (hasEvent && (events & Epoll.EPOLLEXCLUSIVE) != 0) {
            if (op == Epoll.EPOLL_CTL_MOD) {
                throw Errno.EINVAL.exception("EPOLLEXCLUSIVE with EPOLL_CTL_MOD");
            }
            if (op == Epoll.EPOLL_CTL_ADD && (tf instanceof EpollFile
                    || (events & ~EpollFile.EPOLLEXCLUSIVE_OK_BITS) != 0)) {
                throw Errno.EINVAL.exception("EPOLLEXCLUSIVE with an epoll target or with bits 0x"
                        + Integer.toHexString(events & ~EpollFile.EPOLLEXCLUSIVE_OK_BITS));
            }
        }
        ep.ctl(op, tf, fd, events, data);
    }

    /** {@code epoll_wait(2)}: timeout in milliseconds, negative = forever, 0 = do not block. */
    public int epollWait(Caller c, int epfd, EpollEventSink out, int maxevents, int timeoutMs) {
        return waitNanos(c, epfd, out, maxevents, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    /**
     * {@code epoll_pwait(2)}: {@code sigmask} replaces the thread's blocked set for the call
     * (Occlum ignores it, W10); use {@link #epollWait} for a NULL sigmask.
     */
    public int epollPwait(Caller c, int epfd, EpollEventSink out, int maxevents, int timeoutMs, long sigmask) {
        return withMask(c, sigmask, () -> epollWait(c, epfd, out, maxevents, timeoutMs));
    }

    /**
     * {@code epoll_wait(2)} as a guest makes it: up to {@code maxevents} (at most
     * {@value #EPOLL_BATCH} per call) {@code struct epoll_event}s stored at {@code events} in
     * guest memory; EINVAL for maxevents out of range before anything else.
     */
    public int epollWait(Caller c, UserCopy u, int epfd, long events, int maxevents, int timeoutMs) {
        return waitToUser(c, u, epfd, events, maxevents, millisToNanos(timeoutMs), 0, false);
    }

    /** {@code epoll_pwait(2)} as a guest makes it (see {@link #epollWait(Caller, UserCopy, int, long, int, int)}). */
    public int epollPwait(Caller c, UserCopy u, int epfd, long events, int maxevents, int timeoutMs, long sigmask) {
        return waitToUser(c, u, epfd, events, maxevents, millisToNanos(timeoutMs), sigmask, true);
    }

    /**
     * {@code epoll_pwait(2)} with the mask as Linux passes it: the address of a {@code sigset_t},
     * 0 = NULL (the thread's mask stays, as epoll_wait). The mask is read first
     * ({@code set_user_sigmask}): EINVAL unless sigsetsize is 8, EFAULT.
     */
    public int epollPwait(Caller c, UserCopy u, int epfd, long events, int maxevents, int timeoutMs, long sigmaskAddr, long sigsetsize) {
        if (sigmaskAddr == 0) {
            return epollWait(c, u, epfd, events, maxevents, timeoutMs);
        }
        long mask = Timespecs.readSigset(u, sigmaskAddr, sigsetsize);
        return epollPwait(c, u, epfd, events, maxevents, timeoutMs, mask);
    }

    /**
     * {@code epoll_pwait2(2)} (Linux 5.11) as a guest makes it: the timeout is a
     * {@code struct timespec} at {@code timeoutAddr} (0 = NULL = forever; read first: EFAULT,
     * EINVAL when invalid), the mask as in {@link #epollPwait(Caller, UserCopy, int, long, int, int, long, long)}.
     */
    public int epollPwait2(Caller c, UserCopy u, int epfd, long events, int maxevents, long timeoutAddr, long sigmaskAddr, long sigsetsize) {
        long timeoutNanos = timeoutAddr == 0 ? -1 : Timespecs.readTimeout(u, timeoutAddr);
        if (sigmaskAddr == 0) {
            return waitToUser(c, u, epfd, events, maxevents, timeoutNanos, 0, false);
        }
        long mask = Timespecs.readSigset(u, sigmaskAddr, sigsetsize);
        return waitToUser(c, u, epfd, events, maxevents, timeoutNanos, mask, true);
    }

    private static long millisToNanos(int timeoutMs) {
        return timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L;
    }

    private int waitToUser(Caller c, UserCopy u, int epfd, long events, int maxevents, long timeoutNanos, long sigmask, boolean masked) {
        if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) {
            throw Errno.EINVAL.exception("maxevents " + maxevents);
        }
        int batch = Math.min(maxevents, EPOLL_BATCH);
        ByteBuffer b = u.buffer((long) batch * Epoll.EVENT_SIZE);
        EpollEventBuffer sink = new EpollEventBuffer(b);
        int n = masked ? epollPwait2(c, epfd, sink, batch, timeoutNanos, sigmask) : waitNanos(c, epfd, sink, batch, timeoutNanos);
        if (n > 0) {
            u.writeHead(events, b, n * Epoll.EVENT_SIZE);
        }
        return n;
    }

    /** {@code epoll_pwait2(2)} (Linux 5.11): timeout in nanoseconds, negative = NULL = forever. */
    public int epollPwait2(Caller c, int epfd, EpollEventSink out, int maxevents, long timeoutNanos) {
        return waitNanos(c, epfd, out, maxevents, timeoutNanos);
    }

    /** {@code epoll_pwait2(2)} with a signal mask. */
    public int epollPwait2(Caller c, int epfd, EpollEventSink out, int maxevents, long timeoutNanos, long sigmask) {
        return withMask(c, sigmask, () -> waitNanos(c, epfd, out, maxevents, timeoutNanos));
    }

    private int waitNanos(Caller c, int epfd, EpollEventSink out, int maxevents, long timeoutNanos) {
        if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) {
            throw Errno.EINVAL.exception("maxevents " + maxevents);
        }
        if (out == null || out.capacity() < maxevents) {
            throw Errno.EFAULT.exception("event buffer holds fewer than " + maxevents + " events");
        }
        OpenFile f = c.files().get(epfd);
        if (!(f instanceof EpollFile ep)) {
            throw Errno.EINVAL.exception("fd " + epfd + " is not an epoll");
        }
        boolean immediate = timeoutNanos == 0;
        long deadline = immediate ? 0 : timeoutNanos < 0 ? WaitClock.FOREVER : c.clock().deadlineAfter(timeoutNanos);
        return ep.wait(c, out, maxevents, deadline, immediate);
    }

    static int withMask(Caller c, long sigmask, java.util.function.IntSupplier call) {
        long saved = c.signals().setTemporaryMask(sigmask);
        boolean interrupted = false;
        try {
            return call.getAsInt();
        } catch (io.jocclum.api.ErrnoException e) {
            interrupted = e.errno() == Errno.EINTR;
            throw e;
        } finally {
            c.signals().restoreMask(saved, interrupted);
        }
    }
}
