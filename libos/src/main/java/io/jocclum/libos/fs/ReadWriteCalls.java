package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Seek;
import io.jocclum.libos.vm.UserCopy;
import io.jocclum.sgx.arch.Pages;

import java.nio.ByteBuffer;

/**
 * The system calls that move bytes between a guest's memory and a descriptor (Linux
 * {@code fs/read_write.c}, {@code fs/readdir.c}): read, pread64, write, pwrite64, getdents64,
 * for every kind of open file. A file that can copy between guest memory and its own storage
 * (a pipe, {@link OpenFile#readToUser}) gets the guest's buffer itself: one copy per direction,
 * as Linux's pipe_read and pipe_write. Others go through the thread's bounce buffer
 * ({@link UserCopy#buffer}) in chunks of at most {@link UserCopy#CHUNK} bytes. Host I/O is
 * charged an OCALL ({@link HostIo}).
 *
 * <p>Counts: regular files are read until a short read; a stream (pipe, socket, device) gives
 * what one call delivers and takes only as many bytes as the buffer's accessible prefix holds,
 * so that what copy_to_user could not store stays in the stream ({@code pipe_read}). A copy that
 * stops at an inaccessible page returns the bytes copied, EFAULT when none. A failure after some
 * bytes moved returns those (an ERESTARTSYS too: only a call that moved nothing is restarted).
 */
public final class ReadWriteCalls {
    /** MAX_RW_COUNT ({@code include/linux/fs.h}): INT_MAX rounded down to a page. */
    public static final long MAX_RW_COUNT = Integer.MAX_VALUE & Pages.MASK;

    private ReadWriteCalls() {
    }

    /** {@code read(2)}. */
    public static long read(Caller c, UserCopy u, HostIo host, int fd, long buf, long count) {
        return input(c, u, host, fd, buf, count, -1, false);
    }

    /** {@code pread64(2)}. */
    public static long pread(Caller c, UserCopy u, HostIo host, int fd, long buf, long count, long offset) {
        return input(c, u, host, fd, buf, count, offset, true);
    }

    /** {@code write(2)}. */
    public static long write(Caller c, UserCopy u, HostIo host, int fd, long buf, long count) {
        return output(c, u, host, fd, buf, count, -1, false);
    }

    /** {@code pwrite64(2)}. */
    public static long pwrite(Caller c, UserCopy u, HostIo host, int fd, long buf, long count, long offset) {
        return output(c, u, host, fd, buf, count, offset, true);
    }

    /** read/pread: chunks from the file into guest memory; regular files are read until short. */
    private static long input(Caller c, UserCopy u, HostIo host, int fd, long buf, long count, long offset, boolean positional) {
        OpenFile f = c.files().get(fd);
        if (count < 0) {
            throw Errno.EINVAL.exception("negative count " + count);
        }
        long want = Math.min(count, MAX_RW_COUNT);
        if (!positional) {
            // a file that copies from its own storage into guest memory (a pipe): one copy
            int n = f.readToUser(c, u, buf, (int) want);
            if (n != OpenFile.NO_DIRECT) {
                host.charge(f, n);
                return n;
            }
        }
        boolean loop = f instanceof RegularFile;
        long total = 0;
        for (;;) {
            long room = want - total;
            if (!loop) {
                // a stream (pipe, socket, device) cannot give bytes back: take only what the buffer can hold
                room = u.writablePrefix(buf + total, room);
                if (room == 0) {
                    if (total > 0) {
                        return total;
                    }
                    throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf + total) + " is not writable");
                }
            }
            ByteBuffer b = u.buffer(room);
            int chunk = b.remaining();
            int n;
            try {
                n = transfer(c, host, f, fd, b, positional, offset + total, true);
            } catch (ErrnoException e) {
                return partial(total, e);
            }
            if (n > 0) {
                b.flip();
                int copied = u.copyToUser(buf + total, b);
                if (copied < n) {
                    // copy_to_user stopped at an inaccessible page: read(2) returns the bytes copied
                    // (EFAULT when none), and a regular file's position advances by those only
                    if (!positional && f instanceof RegularFile) {
                        FileCalls.lseek(c, fd, copied - n, Seek.SEEK_CUR);
                    }
                    total += copied;
                    if (total == 0) {
                        throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not writable");
                    }
                    return total;
                }
            }
            total += n;
            if (n < chunk || n == 0 || !loop || total >= want) {
                return total;
            }
        }
    }

    /** write/pwrite: chunks from guest memory to the file, until done or a short write. */
    private static long output(Caller c, UserCopy u, HostIo host, int fd, long buf, long count, long offset, boolean positional) {
        OpenFile f = c.files().get(fd);
        if (count < 0) {
            throw Errno.EINVAL.exception("negative count " + count);
        }
        long want = Math.min(count, MAX_RW_COUNT);
        if (f.discardsWrites()) {
            // write_null: the access checks, then the count, the buffer never read
            ByteBuffer none = ByteBuffer.allocate(0);
            if (positional) {
                FileCalls.pwrite(c, fd, none, offset);
            } else {
                FileCalls.write(c, fd, none);
            }
            return want;
        }
        if (!positional) {
            // a file that copies from guest memory into its own storage (a pipe): one copy
            int n = f.writeFromUser(c, u, buf, (int) want);
            if (n != OpenFile.NO_DIRECT) {
                host.charge(f, n);
                return n;
            }
        }
        long total = 0;
        for (;;) {
            ByteBuffer b = u.buffer(want - total);
            int len = b.remaining();
            boolean faulted = false;
            if (len > 0) {
                int got = u.copyFromUser(buf + total, b);
                if (got == 0) {
                    // copy_from_user failed at once: what was written so far, or EFAULT
                    if (total > 0) {
                        return total;
                    }
                    throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not readable");
                }
                // a fault after some bytes: write(2) writes those and returns a short count
                faulted = got < len;
                len = got;
                b.flip();
            }
            int n;
            try {
                n = transfer(c, host, f, fd, b, positional, offset + total, false);
            } catch (ErrnoException e) {
                return partial(total, e);
            }
            total += n;
            if (n < len || faulted || total >= want) {
                return total;
            }
        }
    }

    /**
     * One call to the file for one chunk, at {@code position} when {@code positional} (else at
     * the file position), into {@code b} ({@code in}) or from it; charges the OCALL when the file
     * is on the host.
     */
    private static int transfer(Caller c, HostIo host, OpenFile f, int fd, ByteBuffer b, boolean positional, long position, boolean in) {
        int n;
        if (in) {
            n = positional ? FileCalls.pread(c, fd, b, position) : FileCalls.read(c, fd, b);
        } else {
            n = positional ? FileCalls.pwrite(c, fd, b, position) : FileCalls.write(c, fd, b);
        }
        host.charge(f, n);
        return n;
    }

    /** {@code getdents64(2)}: the records that fit in {@code count} bytes at {@code buf}. */
    public static long getdents64(Caller c, UserCopy u, HostIo host, int fd, long buf, long count) {
        OpenFile f = c.files().get(fd);
        if (count < 0) {
            throw Errno.EINVAL.exception("negative count");
        }
        ByteBuffer b = u.buffer(count);
        int n = FileCalls.getdents64(c, fd, b);
        host.charge(f, n);
        if (n > 0) {
            u.writeHead(buf, b, n);
        }
        return n;
    }

    /**
     * A transfer failed after {@code total} bytes moved: returns those, as read(2), write(2),
     * send(2) and recv(2) do; rethrows when nothing moved, and always for EBADF (the descriptor
     * was closed under the call).
     */
    public static long partial(long total, ErrnoException e) {
        if (total > 0 && e.errno() != Errno.EBADF) {
            return total;
        }
        throw e;
    }
}
