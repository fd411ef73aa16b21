package io.jocclum.api;

/** {@code lseek(2)} whence values (include/uapi/linux/fs.h). */
public final class Seek {
    private Seek() {
    }

    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    /** Since Linux 3.1. */
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;
}
