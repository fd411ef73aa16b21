package io.jocclum.api;

/** {@code timerfd_create(2)} flags and the {@code struct itimerspec} layout (include/uapi/linux/timerfd.h). */
public final class TimerFd {
    private TimerFd() {
    }

    /** timerfd_create: the descriptor is non-blocking. */
    public static final int TFD_NONBLOCK = OpenFlags.O_NONBLOCK;
    /** timerfd_create: close on exec. */
    public static final int TFD_CLOEXEC = OpenFlags.O_CLOEXEC;
    /** timerfd_settime: it_value is an absolute time on the timer's clock. */
    public static final int TFD_TIMER_ABSTIME = 1;
    /** timerfd_settime: with ABSTIME on CLOCK_REALTIME, ECANCELED when the clock is set (accepted; the clock is never set). */
    public static final int TFD_TIMER_CANCEL_ON_SET = 2;
    /** {@code sizeof(struct itimerspec)}: it_interval {tv_sec, tv_nsec} then it_value {tv_sec, tv_nsec}, 8 bytes each. */
    public static final int ITIMERSPEC_SIZE = 32;
}
