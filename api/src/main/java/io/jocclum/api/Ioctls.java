package io.jocclum.api;

/** Generic file ioctls (include/uapi/asm-generic/ioctls.h, x86_64). */
public final class Ioctls {
    private Ioctls() {
    }

    /** Bytes available to read; the argument points to an int. */
    public static final int FIONREAD = 0x541B;
    /** Set or clear O_NONBLOCK; the argument points to an int. */
    public static final int FIONBIO = 0x5421;
    /** Clear FD_CLOEXEC. */
    public static final int FIONCLEX = 0x5450;
    /** Set FD_CLOEXEC. */
    public static final int FIOCLEX = 0x5451;
}
