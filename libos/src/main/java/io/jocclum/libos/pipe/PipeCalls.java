package io.jocclum.libos.pipe;

import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.sgx.arch.Pages;

import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code pipe(2)} and {@code pipe2(2)} for one LibOS instance: the pipefs device with its inode
 * numbers, the default capacity and {@code /proc/sys/fs/pipe-max-size}.
 */
public final class PipeCalls {
    /** st_dev of pipes: a pseudo-device number of ours (Linux: pipefs, an anonymous device). */
    static final long PIPEFS_DEV = 0x0d;

    private final int defaultCapacity;
    private final int maxSize;
    private final AtomicLong nextIno = new AtomicLong(1);

    /** Linux defaults: 65536-byte pipes, 1 MiB unprivileged maximum. */
    public PipeCalls() {
        this(Pipe.DEFAULT_CAPACITY, Pipe.DEFAULT_MAX_SIZE);
    }

    public PipeCalls(int defaultCapacity, int maxSize) {
        if (defaultCapacity < Pages.SIZE || Integer.bitCount(defaultCapacity) != 1) {
            throw new IllegalArgumentException("pipe capacity " + defaultCapacity + " must be a power of two >= 4096");
        }
        if (maxSize < Pages.SIZE) {
            throw new IllegalArgumentException("pipe-max-size " + maxSize + " must be >= 4096");
        }
        this.defaultCapacity = defaultCapacity;
        this.maxSize = maxSize;
    }

    /** {@code pipe(2)}: returns {read fd, write fd}. */
    public int[] pipe(Caller c) {
        return pipe2(c, 0);
    }

    /**
     * {@code pipe2(2)}: flags O_NONBLOCK and O_CLOEXEC; anything else → EINVAL (O_DIRECT packet
     * mode is not modelled). EMFILE when two descriptors are not free; nothing leaks then.
     */
    public int[] pipe2(Caller c, int flags) {
        if ((flags & ~(OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC)) != 0) {
            throw Errno.EINVAL.exception("pipe2 flags 0x" + Integer.toHexString(flags));
        }
        Pipe p = create(c, flags & OpenFlags.O_NONBLOCK);
        boolean cloexec = (flags & OpenFlags.O_CLOEXEC) != 0;
        OpenFile r = p.readEnd();
        OpenFile w = p.writeEnd();
        int rfd;
        try {
            rfd = c.files().install(r, cloexec);
        } catch (RuntimeException e) {
            discard(r);
            discard(w);
            throw e;
        }
        try {
            int wfd = c.files().install(w, cloexec);
            return new int[] {rfd, wfd};
        } catch (RuntimeException e) {
            c.files().close(rfd);
            discard(w);
            throw e;
        }
    }

    /**
     * A pipe whose ends are not installed anywhere (the integration gives them to spawned
     * processes); {@code statusFlags} may hold O_NONBLOCK.
     */
    public Pipe create(Caller c, int statusFlags) {
        return new Pipe(defaultCapacity, maxSize, PIPEFS_DEV, nextIno.getAndIncrement(), c.credentials().uid(),
                c.credentials().gid(), statusFlags, statusFlags);
    }

    private static void discard(OpenFile f) {
        f.retain();
        f.unref();
    }
}
