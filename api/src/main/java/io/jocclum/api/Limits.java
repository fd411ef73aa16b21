package io.jocclum.api;

/** Limits guest programs see (include/uapi/linux/limits.h, include/uapi/linux/posix_types.h). */
public final class Limits {
    private Limits() {
    }

    /** Writes of at most this many bytes to a pipe are atomic (pipe(7)). */
    public static final int PIPE_BUF = 4096;
    /** Longest path name including the terminating NUL. */
    public static final int PATH_MAX = 4096;
    /** Longest file name component. */
    public static final int NAME_MAX = 255;
    /** Number of bits in an {@code fd_set} (select(2)). */
    public static final int FD_SETSIZE = 1024;
    /** Default soft RLIMIT_NOFILE of Linux (INR_OPEN_CUR, include/uapi/linux/fs.h). */
    public static final int NOFILE_DEFAULT = 1024;
}
