package io.jocclum.api;

/**
 * The fields of x86_64 {@code struct stat} ({@code fstat(2)}); times in nanoseconds since the
 * epoch.
 */
public record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
                   long blksize, long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos) {

    public boolean isDirectory() {
        return FileMode.isDirectory(mode);
    }

    public boolean isRegular() {
        return FileMode.isRegular(mode);
    }

    /** The type bits ({@link FileMode#S_IFMT}). */
    public int type() {
        return mode & FileMode.S_IFMT;
    }

    /** The permission bits (07777). */
    public int permissions() {
        return mode & 07777;
    }
}
