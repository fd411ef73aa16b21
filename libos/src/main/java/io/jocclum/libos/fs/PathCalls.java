package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;

/**
 * The path system calls as a guest makes them (Linux {@code fs/open.c}, {@code fs/stat.c},
 * {@code fs/namei.c}): the path argument is checked first ({@link #checkPath}), then the
 * {@link Vfs} resolves it; a lookup on a host file system is an OCALL ({@link HostIo}).
 */
public final class PathCalls {
    private PathCalls() {
    }

    /** EFAULT for a null path (a NULL pointer), EINVAL for an embedded NUL (the C string would end there). */
    public static void checkPath(String path) {
        if (path == null) {
            throw Errno.EFAULT.exception("null path");
        }
        if (path.indexOf('\0') >= 0) {
            throw Errno.EINVAL.exception("path contains NUL");
        }
    }

    /** {@code open(2)}. */
    public static int open(Vfs vfs, Caller c, HostIo host, String path, int flags, int mode) {
        return openat(vfs, c, host, OpenFlags.AT_FDCWD, path, flags, mode);
    }

    /** {@code openat(2)}. */
    public static int openat(Vfs vfs, Caller c, HostIo host, int dirfd, String path, int flags, int mode) {
        checkPath(path);
        int fd = vfs.openat(c, dirfd, path, flags, mode);
        OpenFile f = c.files().getOrNull(fd);
        if (f != null) {
            host.charge(f, 0);
        }
        return fd;
    }

    /** {@code stat(2)}. */
    public static Stat stat(Vfs vfs, Caller c, HostIo host, String path) {
        checkPath(path);
        Stat s = vfs.stat(c, path);
        host.charge(s);
        return s;
    }

    /** {@code lstat(2)}. */
    public static Stat lstat(Vfs vfs, Caller c, HostIo host, String path) {
        checkPath(path);
        Stat s = vfs.lstat(c, path);
        host.charge(s);
        return s;
    }

    /** {@code unlink(2)}. */
    public static void unlink(Vfs vfs, Caller c, String path) {
        checkPath(path);
        vfs.unlink(c, path);
    }

    /** {@code rename(2)}. */
    public static void rename(Vfs vfs, Caller c, String oldPath, String newPath) {
        checkPath(oldPath);
        checkPath(newPath);
        vfs.rename(c, oldPath, newPath);
    }

    /** {@code mkdir(2)}. */
    public static void mkdir(Vfs vfs, Caller c, String path, int mode) {
        checkPath(path);
        vfs.mkdir(c, path, mode);
    }

    /** {@code rmdir(2)}. */
    public static void rmdir(Vfs vfs, Caller c, String path) {
        checkPath(path);
        vfs.rmdir(c, path);
    }

    /** {@code chdir(2)}. */
    public static void chdir(Vfs vfs, Caller c, String path) {
        checkPath(path);
        vfs.chdir(c, path);
    }
}
