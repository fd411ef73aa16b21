package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.UserCopy;

/**
 * The user structures of timed and signal-masked calls, read and written as Linux's
 * {@code get_timespec64}, {@code put_timespec64} and {@code set_user_sigmask} do: a
 * {@code struct timespec} is {tv_sec, tv_nsec} as two 64-bit words; a {@code sigset_t} is one
 * 64-bit word. Faults are EFAULT (from the copy), bad values EINVAL.
 */
public final class Timespecs {
    /** {@code sizeof(struct timespec)}. */
    public static final int TIMESPEC_SIZE = 16;
    /** {@code sizeof(sigset_t)} in the kernel: the only {@code sigsetsize} accepted. */
    public static final int SIGSET_SIZE = 8;
    static final long NANOS_PER_SECOND = 1_000_000_000L;

    private Timespecs() {
    }

    /**
     * A relative timeout at {@code addr} in nanoseconds (saturating at Long.MAX_VALUE); EINVAL
     * unless {@code timespec64_valid}: tv_sec >= 0 and 0 <= tv_nsec < 10^9.
     */
    public static long readTimeout(UserCopy u, long addr) {
        long sec = u.readLong(addr);
        long nsec = u.readLong(addr + 8);
        return toNanos(sec, nsec);
    }

    /** {@code timespec64_valid} and the conversion to nanoseconds (saturating). */
    public static long toNanos(long sec, long nsec) {
        if (sec < 0 || nsec < 0 || nsec >= NANOS_PER_SECOND) {
            throw Errno.EINVAL.exception("timespec {" + sec + ", " + nsec + "} out of range");
        }
        if (sec > (Long.MAX_VALUE - nsec) / NANOS_PER_SECOND) {
            return Long.MAX_VALUE;
        }
        return sec * NANOS_PER_SECOND + nsec;
    }

    /** Writes {@code nanos} (>= 0) as a timespec at {@code addr}. */
    public static void writeTimespec(UserCopy u, long addr, long nanos) {
        u.writeLong(addr, nanos / NANOS_PER_SECOND);
        u.writeLong(addr + 8, nanos % NANOS_PER_SECOND);
    }

    /** {@code set_user_sigmask}'s checks: EINVAL unless sigsetsize is 8, then the mask (EFAULT). */
    public static long readSigset(UserCopy u, long addr, long sigsetsize) {
        if (sigsetsize != SIGSET_SIZE) {
            throw Errno.EINVAL.exception("sigsetsize " + sigsetsize + " (only " + SIGSET_SIZE + " is accepted)");
        }
        return u.readLong(addr);
    }
}
