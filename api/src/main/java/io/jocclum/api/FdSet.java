package io.jocclum.api;

/**
 * An {@code fd_set} of {@link Syscalls#select} in guest memory: {@link Limits#FD_SETSIZE} bits in
 * 64-bit little-endian words, bit {@code fd % 64} of word {@code fd / 64}. These helpers are
 * {@code FD_ZERO}, {@code FD_SET}, {@code FD_CLR} and {@code FD_ISSET} on such a set.
 */
public final class FdSet {
    /** Bytes of a full {@code fd_set} (1024 bits). */
    public static final int SIZE = Limits.FD_SETSIZE / 8;

    private FdSet() {
    }

    /** {@code FD_ZERO}. */
    public static void zero(Syscalls sys, long set) {
        sys.fillBytes(set, SIZE, (byte) 0);
    }

    /** {@code FD_SET}. */
    public static void set(Syscalls sys, long set, int fd) {
        long w = set + 8L * (fd / 64);
        sys.storeLong(w, sys.loadLong(w) | (1L << (fd % 64)));
    }

    /** {@code FD_CLR}. */
    public static void clear(Syscalls sys, long set, int fd) {
        long w = set + 8L * (fd / 64);
        sys.storeLong(w, sys.loadLong(w) & ~(1L << (fd % 64)));
    }

    /** {@code FD_ISSET}. */
    public static boolean isSet(Syscalls sys, long set, int fd) {
        return (sys.loadLong(set + 8L * (fd / 64)) & (1L << (fd % 64))) != 0;
    }
}
