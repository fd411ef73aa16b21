package io.jocclum.api;

/**
 * {@code fcntl(2)} commands and descriptor flags (include/uapi/asm-generic/fcntl.h,
 * include/uapi/linux/fcntl.h: {@code F_LINUX_SPECIFIC_BASE} = 1024).
 */
public final class Fcntl {
    private Fcntl() {
    }

    public static final int F_DUPFD = 0;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    /** F_LINUX_SPECIFIC_BASE + 6. */
    public static final int F_DUPFD_CLOEXEC = 1030;
    /** F_LINUX_SPECIFIC_BASE + 7 (since Linux 2.6.35). */
    public static final int F_SETPIPE_SZ = 1031;
    /** F_LINUX_SPECIFIC_BASE + 8. */
    public static final int F_GETPIPE_SZ = 1032;

    /** The only descriptor flag. */
    public static final int FD_CLOEXEC = 1;
}
