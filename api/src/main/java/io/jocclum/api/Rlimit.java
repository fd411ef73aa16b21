package io.jocclum.api;

/**
 * A resource limit ({@code struct rlimit64}, include/uapi/linux/resource.h): the soft limit
 * {@code cur} and the hard limit {@code max}, both unsigned 64-bit values where
 * {@link #RLIM_INFINITY} (all bits set, -1 as a Java long) means "no limit". The constants are
 * the {@code RLIMIT_*} resource numbers of include/uapi/asm-generic/resource.h.
 */
public record Rlimit(long cur, long max) {
    /** No limit ({@code RLIM64_INFINITY}, ~0ULL). */
    public static final long RLIM_INFINITY = -1L;

    public static final int RLIMIT_CPU = 0;
    public static final int RLIMIT_FSIZE = 1;
    public static final int RLIMIT_DATA = 2;
    public static final int RLIMIT_STACK = 3;
    public static final int RLIMIT_CORE = 4;
    public static final int RLIMIT_RSS = 5;
    public static final int RLIMIT_NPROC = 6;
    public static final int RLIMIT_NOFILE = 7;
    public static final int RLIMIT_MEMLOCK = 8;
    public static final int RLIMIT_AS = 9;
    public static final int RLIMIT_LOCKS = 10;
    public static final int RLIMIT_SIGPENDING = 11;
    public static final int RLIMIT_MSGQUEUE = 12;
    public static final int RLIMIT_NICE = 13;
    public static final int RLIMIT_RTPRIO = 14;
    public static final int RLIMIT_RTTIME = 15;
    /** Number of resources ({@code RLIM_NLIMITS}). */
    public static final int RLIM_NLIMITS = 16;

    /** Both limits the same value. */
    public static Rlimit of(long both) {
        return new Rlimit(both, both);
    }

    /** True when {@code cur} is above {@code max}, compared as unsigned values (setrlimit's EINVAL). */
    public boolean softAboveHard() {
        return Long.compareUnsigned(cur, max) > 0;
    }

    @Override
    public String toString() {
        return "{cur=" + text(cur) + ", max=" + text(max) + "}";
    }

    private static String text(long v) {
        return v == RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(v);
    }
}
