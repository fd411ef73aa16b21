package io.jocclum.api;

/**
 * File type and permission bits of {@code st_mode} (include/uapi/linux/stat.h) and the
 * {@code d_type} values of {@code getdents64} (include/linux/fs_types.h, DT_* = S_IFMT >> 12).
 */
public final class FileMode {
    private FileMode() {
    }

    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    public static final int S_ISUID = 04000;
    public static final int S_ISGID = 02000;
    public static final int S_ISVTX = 01000;
    public static final int S_IRWXU = 0700;
    public static final int S_IRUSR = 0400;
    public static final int S_IWUSR = 0200;
    public static final int S_IXUSR = 0100;
    public static final int S_IRWXG = 070;
    public static final int S_IROTH = 04;
    public static final int S_IWOTH = 02;
    public static final int S_IXOTH = 01;

    public static final int DT_UNKNOWN = 0;
    public static final int DT_FIFO = 1;
    public static final int DT_CHR = 2;
    public static final int DT_DIR = 4;
    public static final int DT_BLK = 6;
    public static final int DT_REG = 8;
    public static final int DT_LNK = 10;
    public static final int DT_SOCK = 12;

    public static boolean isDirectory(int mode) {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public static boolean isRegular(int mode) {
        return (mode & S_IFMT) == S_IFREG;
    }

    /** The {@code d_type} of a mode. */
    public static int dtype(int mode) {
        return (mode & S_IFMT) >>> 12;
    }
}
