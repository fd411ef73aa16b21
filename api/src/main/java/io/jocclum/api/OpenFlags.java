package io.jocclum.api;

/**
 * {@code open(2)} flags and {@code *at} constants, x86_64 values from
 * {@code include/uapi/asm-generic/fcntl.h} and {@code include/uapi/linux/fcntl.h}.
 */
public final class OpenFlags {
    private OpenFlags() {
    }

    /** Access mode mask. */
    public static final int O_ACCMODE = 0003;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DSYNC = 010000;
    public static final int O_ASYNC = 020000;
    public static final int O_DIRECT = 040000;
    public static final int O_LARGEFILE = 0100000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_NOATIME = 01000000;
    public static final int O_CLOEXEC = 02000000;
    /** {@code __O_SYNC | O_DSYNC}. */
    public static final int O_SYNC = 04010000;
    public static final int O_PATH = 010000000;
    /** {@code __O_TMPFILE | O_DIRECTORY}. */
    public static final int O_TMPFILE = 020200000;

    /** {@code AT_FDCWD} (include/uapi/linux/fcntl.h). */
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EMPTY_PATH = 0x1000;
}
