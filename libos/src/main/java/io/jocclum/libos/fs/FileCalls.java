package io.jocclum.libos.fs;

import io.jocclum.api.DirEntry;
import io.jocclum.api.Errno;
import io.jocclum.api.Falloc;
import io.jocclum.api.FileMode;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Ioctls;
import io.jocclum.api.Mman;
import io.jocclum.api.Stat;
import io.jocclum.libos.vm.MappableFile;
import io.jocclum.libos.vm.ProcessVm;
import io.jocclum.libos.vm.UserCopy;
import io.jocclum.sgx.arch.LittleEndian;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The descriptor-based file syscalls, for every kind of open file (regular files, directories,
 * devices, pipes, eventfds, epolls, sockets): each takes the {@link Caller} and returns what the
 * Linux syscall returns, or throws {@link io.jocclum.api.ErrnoException}. Blocking calls that a
 * signal interrupts throw ERESTARTSYS: the syscall façade turns it into EINTR, or restarts the
 * call when the handler has SA_RESTART (signal(7)); it never reaches a guest.
 */
public final class FileCalls {
    private FileCalls() {
    }

    /** {@code read(2)}. */
    public static int read(Caller c, int fd, ByteBuffer dst) {
        return c.files().get(fd).read(c, dst);
    }

    /** {@code write(2)}. */
    public static int write(Caller c, int fd, ByteBuffer src) {
        return c.files().get(fd).write(c, src);
    }

    /** {@code pread64(2)}. */
    public static int pread(Caller c, int fd, ByteBuffer dst, long offset) {
        return c.files().get(fd).pread(c, dst, offset);
    }

    /** {@code pwrite64(2)}. */
    public static int pwrite(Caller c, int fd, ByteBuffer src, long offset) {
        return c.files().get(fd).pwrite(c, src, offset);
    }

    /** {@code lseek(2)}. */
    public static long lseek(Caller c, int fd, long offset, int whence) {
        return c.files().get(fd).lseek(offset, whence);
    }

    /** {@code fstat(2)}. */
    public static Stat fstat(Caller c, int fd) {
        return c.files().get(fd).fstat();
    }

    /** {@code ftruncate(2)}: EINVAL for a negative length before the descriptor is looked up. */
    public static void ftruncate(Caller c, int fd, long length) {
        if (length < 0) {
            throw Errno.EINVAL.exception("negative length " + length);
        }
        c.files().get(fd).ftruncate(length);
    }

    /** {@code ftruncate(2)} as a guest makes it: an OCALL when the file is on a host file system. */
    public static void ftruncate(Caller c, HostIo host, int fd, long length) {
        ftruncate(c, fd, length);
        host.charge(c.files().get(fd), 0);
    }

    /**
     * {@code fsync(2)}: writes the process's shared mappings of a regular file back to it (an
     * OCALL on a host file system); nothing to do for a directory; EINVAL for other files.
     */
    public static void fsync(Caller c, HostIo host, ProcessVm vm, int fd) {
        OpenFile f = c.files().get(fd);
        if (f instanceof RegularFile rf) {
            vm.syncFile(rf.id());
            host.charge(f, 0);
        } else if (!(f instanceof DirectoryFile)) {
            throw Errno.EINVAL.exception(f + " does not support fsync");
        }
    }

    /** {@code fdatasync(2)}: as {@link #fsync} (file data and metadata are written back alike). */
    public static void fdatasync(Caller c, HostIo host, ProcessVm vm, int fd) {
        fsync(c, host, vm, fd);
    }

    /** The mode bits Linux's {@code vfs_fallocate} knows ({@code FALLOC_FL_SUPPORTED_MASK}). */
    private static final int FALLOC_SUPPORTED = Falloc.FALLOC_FL_KEEP_SIZE | Falloc.FALLOC_FL_PUNCH_HOLE
            | Falloc.FALLOC_FL_COLLAPSE_RANGE | Falloc.FALLOC_FL_ZERO_RANGE | Falloc.FALLOC_FL_INSERT_RANGE
            | Falloc.FALLOC_FL_UNSHARE_RANGE;

    /**
     * {@code fallocate(2)} with the checks of Linux's {@code vfs_fallocate} (fs/open.c) in its
     * order: EBADF (no such descriptor), EINVAL (offset &lt; 0 or len &lt;= 0), EOPNOTSUPP (unknown
     * mode bits, PUNCH_HOLE with ZERO_RANGE or without KEEP_SIZE), EINVAL (COLLAPSE_RANGE or
     * INSERT_RANGE with other bits, UNSHARE_RANGE with bits other than KEEP_SIZE), EBADF (not
     * open for writing), ESPIPE (a pipe), EISDIR, ENODEV (neither a regular file nor a
     * directory: sockets, eventfds, devices), EFBIG (offset + len overflows). The file systems
     * implement mode 0 (the file grows to offset + len when shorter) and KEEP_SIZE (the size
     * stays); the other modes give EOPNOTSUPP.
     */
    public static void fallocate(Caller c, HostIo host, int fd, int mode, long offset, long len) {
        OpenFile f = c.files().get(fd);
        if (offset < 0 || len <= 0) {
            throw Errno.EINVAL.exception("fallocate offset " + offset + ", length " + len + " (offset >= 0, length > 0)");
        }
        if ((mode & ~FALLOC_SUPPORTED) != 0) {
            throw Errno.EOPNOTSUPP.exception("fallocate mode 0x" + Integer.toHexString(mode));
        }
        int punchZero = Falloc.FALLOC_FL_PUNCH_HOLE | Falloc.FALLOC_FL_ZERO_RANGE;
        if ((mode & punchZero) == punchZero
                || (mode & Falloc.FALLOC_FL_PUNCH_HOLE) != 0 && (mode & Falloc.FALLOC_FL_KEEP_SIZE) == 0) {
            throw Errno.EOPNOTSUPP.exception("fallocate mode 0x" + Integer.toHexString(mode));
        }
        for (int alone : new int[] {Falloc.FALLOC_FL_COLLAPSE_RANGE, Falloc.FALLOC_FL_INSERT_RANGE}) {
            if ((mode & alone) != 0 && (mode & ~alone) != 0) {
                throw Errno.EINVAL.exception("fallocate mode 0x" + Integer.toHexString(mode) + " combines an exclusive mode");
            }
        }
        if ((mode & Falloc.FALLOC_FL_UNSHARE_RANGE) != 0
                && (mode & ~(Falloc.FALLOC_FL_UNSHARE_RANGE | Falloc.FALLOC_FL_KEEP_SIZE)) != 0) {
            throw Errno.EINVAL.exception("fallocate mode 0x" + Integer.toHexString(mode) + " with UNSHARE_RANGE");
        }
        if (!f.canWrite()) {
            throw Errno.EBADF.exception("fd " + fd + " is not open for writing");
        }
        int type = f.fstat().mode() & FileMode.S_IFMT;
        if (type == FileMode.S_IFIFO) {
            throw Errno.ESPIPE.exception("fallocate on a pipe");
        }
        if (type == FileMode.S_IFDIR) {
            throw Errno.EISDIR.exception("fallocate on a directory");
        }
        if (type != FileMode.S_IFREG || !(f instanceof RegularFile rf)) {
            throw Errno.ENODEV.exception("fallocate on " + f + ", which is not a regular file");
        }
        if (offset + len < 0) {
            throw Errno.EFBIG.exception("offset " + offset + " + length " + len + " overflows");
        }
        if ((mode & ~Falloc.FALLOC_FL_KEEP_SIZE) != 0) {
            throw Errno.EOPNOTSUPP.exception("fallocate mode 0x" + Integer.toHexString(mode) + " (only 0 and KEEP_SIZE)");
        }
        rf.allocate(offset + len, (mode & Falloc.FALLOC_FL_KEEP_SIZE) != 0);
        host.charge(f, 0);
    }

    /** {@code close(2)}. */
    public static void close(Caller c, int fd) {
        c.files().close(fd);
    }

    /** {@code dup(2)}. */
    public static int dup(Caller c, int fd) {
        return c.files().dup(fd);
    }

    /** {@code dup2(2)}. */
    public static int dup2(Caller c, int oldFd, int newFd) {
        return c.files().dup2(oldFd, newFd);
    }

    /** {@code dup3(2)}. */
    public static int dup3(Caller c, int oldFd, int newFd, int flags) {
        return c.files().dup3(oldFd, newFd, flags);
    }

    /**
     * {@code fcntl(2)}: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, and the
     * file-specific commands (F_GETPIPE_SZ, F_SETPIPE_SZ). EBADF before EINVAL for unknown
     * commands, as Linux looks the descriptor up first.
     */
    public static long fcntl(Caller c, int fd, int cmd, long arg) {
        FdTable t = c.files();
        OpenFile f = t.get(fd);
        return switch (cmd) {
            case Fcntl.F_DUPFD -> t.dupMin(fd, clampMin(arg), false);
            case Fcntl.F_DUPFD_CLOEXEC -> t.dupMin(fd, clampMin(arg), true);
            case Fcntl.F_GETFD -> t.isCloexec(fd) ? Fcntl.FD_CLOEXEC : 0;
            case Fcntl.F_SETFD -> {
                t.setCloexec(fd, (arg & Fcntl.FD_CLOEXEC) != 0);
                yield 0;
            }
            case Fcntl.F_GETFL -> f.statusFlags();
            case Fcntl.F_SETFL -> {
                f.setStatusFlags((int) arg);
                yield 0;
            }
            default -> f.fcntl(c, cmd, arg);
        };
    }

    private static int clampMin(long arg) {
        // the argument is an unsigned long: anything beyond int range is above any limit
        return arg < 0 || arg > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) arg;
    }

    /**
     * {@code ioctl(2)}: FIOCLEX, FIONCLEX and FIONBIO for every file; others go to the file
     * (FIONREAD on pipes, sockets, regular files). {@code arg} is the memory the third argument
     * points to (may be null for commands without one).
     */
    public static int ioctl(Caller c, int fd, int cmd, ByteBuffer arg) {
        OpenFile f = c.files().get(fd);
        switch (cmd) {
            case Ioctls.FIOCLEX -> {
                c.files().setCloexec(fd, true);
                return 0;
            }
            case Ioctls.FIONCLEX -> {
                c.files().setCloexec(fd, false);
                return 0;
            }
            case Ioctls.FIONBIO -> {
                if (arg == null || arg.remaining() < 4) {
                    throw Errno.EFAULT.exception("FIONBIO needs an int argument");
                }
                f.setNonBlocking(LittleEndian.getInt(arg, arg.position()) != 0);
                return 0;
            }
            default -> {
                if (arg == null) {
                    throw Errno.EFAULT.exception("ioctl 0x" + Integer.toHexString(cmd) + " needs an argument");
                }
                return f.ioctl(c, cmd, arg);
            }
        }
    }

    /**
     * {@code ioctl(2)} as a guest makes it, with the int its third argument points to in guest
     * memory: read for FIONBIO, written back for the commands that answer (FIONREAD); none for
     * FIOCLEX and FIONCLEX. EBADF before the argument is touched.
     */
    public static int ioctl(Caller c, UserCopy u, int fd, int cmd, long argAddr) {
        OpenFile f = c.files().get(fd);
        ByteBuffer arg = null;
        boolean in = cmd == Ioctls.FIONBIO;
        boolean none = cmd == Ioctls.FIOCLEX || cmd == Ioctls.FIONCLEX;
        if (f instanceof UserMemoryIoctl dev && !in && !none) {
            // a device whose commands take structures in guest memory (/dev/sgx)
            return dev.ioctl(c, cmd, argAddr, u.kernelMemory());
        }
        if (argAddr != 0 && !none) {
            arg = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            if (in) {
                arg.putInt(0, u.readInt(argAddr));
            }
        }
        int r = ioctl(c, fd, cmd, arg);
        if (arg != null && !in) {
            u.writeInt(argAddr, arg.getInt(0));
        }
        return r;
    }

    /** {@code getdents64(2)}: ENOTDIR when {@code fd} is not a directory. */
    public static int getdents64(Caller c, int fd, ByteBuffer buf) {
        if (!(c.files().get(fd) instanceof DirectoryFile d)) {
            throw Errno.ENOTDIR.exception("fd " + fd + " is not a directory");
        }
        return d.getdents64(buf);
    }

    /** The remaining directory entries of {@code fd} as records (a convenience over getdents64). */
    public static List<DirEntry> readdir(Caller c, int fd) {
        if (!(c.files().get(fd) instanceof DirectoryFile d)) {
            throw Errno.ENOTDIR.exception("fd " + fd + " is not a directory");
        }
        return d.readAll();
    }

    /**
     * The file mmap maps for {@code fd} ({@link io.jocclum.libos.vm.MmapFiles}): a regular file,
     * whose bytes are an OCALL when it is on a host file system; null for a device that maps
     * anonymous memory (/dev/zero, {@code mmap_zero}), whose access mode do_mmap still checks
     * (EACCES); ENODEV for anything else.
     */
    public static MappableFile mappable(Caller c, HostIo host, int fd, int prot, int flags) {
        OpenFile f = c.files().get(fd);
        if (f.mapsAnonymous()) {
            if (!f.canRead()) {
                throw Errno.EACCES.exception("fd " + fd + " is not open for reading");
            }
            int type = flags & Mman.MAP_TYPE;
            if ((type == Mman.MAP_SHARED || type == Mman.MAP_SHARED_VALIDATE) && (prot & Mman.PROT_WRITE) != 0 && !f.canWrite()) {
                throw Errno.EACCES.exception("MAP_SHARED with PROT_WRITE of fd " + fd + ", which is not open for writing");
            }
            return null;
        }
        if (f instanceof RegularFile rf) {
            return new VmFile(rf, host.hostDevice(rf.id().dev()), host);
        }
        throw Errno.ENODEV.exception("fd " + fd + " (" + f + ") cannot be mapped");
    }
}
