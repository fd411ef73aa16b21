package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.Ioctls;
import io.jocclum.api.Seek;
import io.jocclum.api.Stat;
import io.jocclum.sgx.arch.LittleEndian;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An open regular file: a file position shared by dups, O_APPEND, and positional I/O on the
 * inode. Besides the syscalls it offers what a file-backed mmap needs —
 * {@link #readAt}/{@link #writeAt} into ByteBuffers, {@link #size()}, a stable {@link #id()} and
 * whether the description may read or write — so the VM's file interface maps onto it directly.
 * Regular files cannot be added to an epoll (no notifier → EPERM) and poll as always ready.
 */
public final class RegularFile extends OpenFile {
    private final Inode.Regular inode;
    private final Inode.FileIo io;
    private final String path;
    /** Serialises position updates (Linux {@code f_pos_lock}); guards {@link #pos}. */
    private final ReentrantLock posLock = new ReentrantLock();
    private long pos;

    RegularFile(Inode.Regular inode, Inode.FileIo io, int flags, String path) {
        super(flags);
        this.inode = inode;
        this.io = io;
        this.path = path;
    }

    /** The LibOS path it was opened by. */
    public String path() {
        return path;
    }

    /** The file's identity (st_dev, st_ino). */
    public InodeId id() {
        return inode.id();
    }

    /** Current length in bytes. */
    public long size() {
        return io.size();
    }

    /** True when the file system is writable and the description was opened for writing. */
    public boolean writable() {
        return canWrite() && !inode.fs.readOnly;
    }

    /** Reads at {@code offset} into {@code dst} without moving the file position (0 at EOF). */
    public int readAt(ByteBuffer dst, long offset) {
        if (offset < 0) {
            throw Errno.EINVAL.exception("negative offset " + offset);
        }
        return io.read(dst, offset);
    }

    /** Writes {@code src} at {@code offset} without moving the file position. */
    public int writeAt(ByteBuffer src, long offset) {
        if (offset < 0) {
            throw Errno.EINVAL.exception("negative offset " + offset);
        }
        return io.write(src, offset);
    }

    @Override
    protected int doRead(Caller caller, ByteBuffer dst) {
        posLock.lock();
        try {
            int n = io.read(dst, pos);
            pos += n;
            return n;
        } finally {
            posLock.unlock();
        }
    }

    @Override
    protected int doWrite(Caller caller, ByteBuffer src) {
        posLock.lock();
        try {
            if (isAppend()) {
                int before = src.remaining();
                long end = io.append(src);
                pos = end;
                return before - src.remaining();
            }
            int n = io.write(src, pos);
            pos += n;
            return n;
        } finally {
            posLock.unlock();
        }
    }

    @Override
    protected boolean isSeekable() {
        return true;
    }

    @Override
    protected int doPread(Caller caller, ByteBuffer dst, long offset) {
        return io.read(dst, offset);
    }

    @Override
    protected int doPwrite(Caller caller, ByteBuffer src, long offset) {
        if (isAppend()) {
            // Linux appends even for pwrite on an O_APPEND description (pwrite(2) BUGS)
            int before = src.remaining();
            io.append(src);
            return before - src.remaining();
        }
        return io.write(src, offset);
    }

    @Override
    public long lseek(long offset, int whence) {
        posLock.lock();
        try {
            long base = switch (whence) {
                case Seek.SEEK_SET -> 0;
                case Seek.SEEK_CUR -> pos;
                case Seek.SEEK_END -> io.size();
                case Seek.SEEK_DATA, Seek.SEEK_HOLE -> {
                    long size = io.size();
                    if (offset < 0 || offset >= size) {
                        throw Errno.ENXIO.exception("offset " + offset + " at or past the end " + size);
                    }
                    // no holes are reported: data everywhere, the only hole is at the end
                    yield whence == Seek.SEEK_DATA ? 0 : size - offset;
                }
                default -> throw Errno.EINVAL.exception("whence " + whence);
            };
            long target = base + offset;
            if ((offset > 0 && target < base) || target < 0) {
                throw Errno.EINVAL.exception("resulting offset is negative or overflows");
            }
            pos = target;
            return target;
        } finally {
            posLock.unlock();
        }
    }

    /** The current file position. */
    public long position() {
        posLock.lock();
        try {
            return pos;
        } finally {
            posLock.unlock();
        }
    }

    @Override
    public Stat fstat() {
        return inode.stat();
    }

    @Override
    public void ftruncate(long length) {
        if (length < 0) {
            throw Errno.EINVAL.exception("negative length " + length);
        }
        if (!canWrite()) {
            throw Errno.EINVAL.exception("not open for writing");
        }
        inode.fs.requireWritable();
        io.truncate(length);
    }

    /**
     * fallocate's allocation up to {@code end}: the file grows to {@code end} when shorter,
     * unless {@code keepSize}. Space is not reserved ahead: the file systems allocate on write.
     */
    void allocate(long end, boolean keepSize) {
        inode.fs.requireWritable();
        if (!keepSize) {
            posLock.lock();
            try {
                if (io.size() < end) {
                    io.truncate(end);
                }
            } finally {
                posLock.unlock();
            }
        }
    }

    @Override
    public int ioctl(Caller caller, int cmd, ByteBuffer arg) {
        if (cmd == Ioctls.FIONREAD) {
            long n = Math.max(0, io.size() - position());
            LittleEndian.putInt(arg, arg.position(), (int) Math.min(n, Integer.MAX_VALUE));
            return 0;
        }
        return super.ioctl(caller, cmd, arg);
    }

    @Override
    protected void release() {
        io.close();
    }

    @Override
    public String toString() {
        return "RegularFile[" + path + "]";
    }
}
