package io.jocclum.libos.eventfd;

import io.jocclum.api.Errno;
import io.jocclum.api.EventFd;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.fs.Caller;

import java.util.concurrent.atomic.AtomicLong;

/** {@code eventfd(2)} and {@code eventfd2(2)} for one LibOS instance. */
public final class EventFdCalls {
    /** st_dev of anonymous inodes (eventfd, epoll): a pseudo-device number of ours (Linux: anon_inodefs). */
    static final long ANON_DEV = 0x0e;
    private final AtomicLong nextIno = new AtomicLong(1);

    /** {@code eventfd2(2)}: unknown flags → EINVAL; returns the descriptor. */
    public int eventfd2(Caller c, int initval, int flags) {
        if ((flags & ~(EventFd.EFD_SEMAPHORE | EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK)) != 0) {
            throw Errno.EINVAL.exception("eventfd flags 0x" + Integer.toHexString(flags));
        }
        EventFdFile f = create(initval, flags);
        try {
            return c.files().install(f, (flags & OpenFlags.O_CLOEXEC) != 0);
        } catch (RuntimeException e) {
            f.retain();
            f.unref();
            throw e;
        }
    }

    /** {@code eventfd(2)}: no flags. */
    public int eventfd(Caller c, int initval) {
        return eventfd2(c, initval, 0);
    }

    /** An eventfd not installed anywhere; {@code initval} is an unsigned int. */
    public EventFdFile create(int initval, int flags) {
        return new EventFdFile(initval & 0xFFFF_FFFFL, flags, nextIno.getAndIncrement());
    }
}
