package io.jocclum.api;

/** {@code clock_gettime(2)} clock ids (include/uapi/linux/time.h). */
public final class Clocks {
    private Clocks() {
    }

    /** Wall-clock time since the epoch. */
    public static final int CLOCK_REALTIME = 0;
    /** Monotonic time since an unspecified start; the clock every LibOS timeout is measured with. */
    public static final int CLOCK_MONOTONIC = 1;
    /** CPU time of the process; in jocclum the simulated SGX time charged to the enclave (see docs/guest-api.md). */
    public static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    /** CPU time of the thread; in jocclum the same as {@link #CLOCK_PROCESS_CPUTIME_ID}. */
    public static final int CLOCK_THREAD_CPUTIME_ID = 3;
    public static final int CLOCK_MONOTONIC_RAW = 4;
    public static final int CLOCK_REALTIME_COARSE = 5;
    public static final int CLOCK_MONOTONIC_COARSE = 6;
    public static final int CLOCK_BOOTTIME = 7;
}
