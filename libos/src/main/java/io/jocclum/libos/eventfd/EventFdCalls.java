package io.jocclum.libos.eventfd;

import io.jocclum.api.Errno;
import io.jocclum.api.EventFd;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;

import io.jocclum.sgx.arch.Pages;

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
        return install(c, create(initval, flags), (flags & OpenFlags.O_CLOEXEC) != 0);
    }

    /** fstat of an anonymous inode: mode 0600 without type bits (fs/anon_inodes.c). */
    static Stat anonInode(long ino) {
        return new Stat(ANON_DEV, ino, 0600, 1, 0, 0, 0, 0, Pages.SIZE, 0, 0, 0, 0);
    }

    /** Installs a new file in the lowest free descriptor; releases it when that fails (EMFILE). */
    static int install(Caller c, OpenFile f, boolean cloexec) {
        try {
            return c.files().install(f, cloexec);
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
