package io.jocclum.api;

import java.nio.charset.StandardCharsets;

/**
 * A few C-library conveniences built on {@link Syscalls} alone (nothing here is a system call):
 * memory for scratch buffers, and writing and reading strings through descriptors. Every buffer
 * lives in guest memory, so every byte goes through the LibOS like a C program's would.
 */
public final class Libc {
    private Libc() {
    }

    /** Maps {@code size} bytes of anonymous read-write memory ({@code malloc} for big blocks). */
    public static long alloc(Syscalls sys, long size) {
        return sys.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
    }

    /** Unmaps memory from {@link #alloc}. */
    public static void free(Syscalls sys, long addr, long size) {
        sys.munmap(addr, size);
    }

    /** Writes all {@code count} bytes at {@code buf} to {@code fd}, looping over short writes; returns {@code count}. */
    public static long writeFully(Syscalls sys, int fd, long buf, long count) {
        long done = 0;
        while (done < count) {
            done += sys.write(fd, buf + done, count - done);
        }
        return done;
    }

    /** Writes {@code text} as UTF-8 to {@code fd} ({@code fputs}); returns the bytes written. */
    public static long print(Syscalls sys, int fd, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0) {
            return 0;
        }
        long buf = alloc(sys, b.length);
        try {
            sys.storeBytes(buf, b, 0, b.length);
            return writeFully(sys, fd, buf, b.length);
        } finally {
            free(sys, buf, b.length);
        }
    }

    /** {@code print(sys, fd, text + "\n")}. */
    public static long println(Syscalls sys, int fd, String text) {
        return print(sys, fd, text + "\n");
    }

    /** Writes {@code text} and a newline to standard output (descriptor 1). */
    public static long puts(Syscalls sys, String text) {
        return println(sys, 1, text);
    }

    /** Reads {@code fd} to its end and decodes the bytes as UTF-8. */
    public static String readAll(Syscalls sys, int fd) {
        int chunk = 16 * 1024;
        long buf = alloc(sys, chunk);
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] tmp = new byte[chunk];
            for (;;) {
                int n = (int) sys.read(fd, buf, chunk);
                if (n == 0) {
                    return out.toString(StandardCharsets.UTF_8);
                }
                sys.loadBytes(buf, tmp, 0, n);
                out.write(tmp, 0, n);
            }
        } finally {
            free(sys, buf, chunk);
        }
    }

    /** Where POSIX shared memory objects live (glibc's SHMDIR): a RAM file system. */
    public static final String SHM_DIR = "/dev/shm/";

    /**
     * {@code shm_open(3)} as glibc does it ({@code sysdeps/posix/shm_open.c}): leading slashes
     * of {@code name} are dropped, the rest must be a non-empty single file name other than "."
     * and ".." (EINVAL) of at most NAME_MAX bytes (ENAMETOOLONG); then
     * {@code open("/dev/shm/NAME", oflag | O_NOFOLLOW | O_CLOEXEC, mode)} with its errnos.
     */
    public static int shmOpen(Syscalls sys, String name, int oflag, int mode) {
        return sys.open(shmPath(name), oflag | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, mode);
    }

    /** {@code shm_unlink(3)}: unlinks /dev/shm/NAME (names as {@link #shmOpen}); EPERM from unlink becomes EACCES, as in glibc. */
    public static void shmUnlink(Syscalls sys, String name) {
        try {
            sys.unlink(shmPath(name));
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EPERM) {
                throw Errno.EACCES.exception(e.getMessage());
            }
            throw e;
        }
    }

    private static String shmPath(String name) {
        int i = 0;
        while (i < name.length() && name.charAt(i) == '/') {
            i++;
        }
        String n = name.substring(i);
        if (n.isEmpty() || n.equals(".") || n.equals("..") || n.indexOf('/') >= 0) {
            throw Errno.EINVAL.exception("shared memory name \"" + name + "\" is not a single file name");
        }
        if (n.getBytes(StandardCharsets.UTF_8).length > Limits.NAME_MAX) {
            throw Errno.ENAMETOOLONG.exception("shared memory name longer than NAME_MAX (" + Limits.NAME_MAX + ")");
        }
        return SHM_DIR + n;
    }
}
