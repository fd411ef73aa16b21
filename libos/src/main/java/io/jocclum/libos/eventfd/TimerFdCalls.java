package io.jocclum.libos.eventfd;

import io.jocclum.api.Clocks;
import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.TimerFd;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.Timespecs;
import io.jocclum.libos.vm.UserCopy;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code timerfd_create(2)}, {@code timerfd_settime(2)} and {@code timerfd_gettime(2)} for one
 * LibOS instance, with fs/timerfd.c's checks in its order. The times are the LibOS's:
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME are the clock every timeout uses, CLOCK_REALTIME the wall
 * clock of clock_gettime (an absolute realtime expiry is converted when the timer is set).
 */
public final class TimerFdCalls {
    private static final int CREATE_FLAGS = TimerFd.TFD_NONBLOCK | TimerFd.TFD_CLOEXEC;
    private static final int SETTIME_FLAGS = TimerFd.TFD_TIMER_ABSTIME | TimerFd.TFD_TIMER_CANCEL_ON_SET;
    /** CLOCK_REALTIME_ALARM and CLOCK_BOOTTIME_ALARM (root has CAP_WAKE_ALARM; nothing suspends here). */
    private static final int CLOCK_REALTIME_ALARM = 8;
    private static final int CLOCK_BOOTTIME_ALARM = 9;

    private final AtomicLong nextIno = new AtomicLong(1);

    /**
     * {@code timerfd_create(2)}: EINVAL for a clock other than CLOCK_REALTIME, CLOCK_MONOTONIC,
     * CLOCK_BOOTTIME and their alarm forms, or for flags other than TFD_NONBLOCK | TFD_CLOEXEC;
     * EMFILE. A new timer is disarmed.
     */
    public int timerfdCreate(Caller c, int clockId, int flags) {
        if ((flags & ~CREATE_FLAGS) != 0) {
            throw Errno.EINVAL.exception("timerfd_create flags 0x" + Integer.toHexString(flags));
        }
        int clock = switch (clockId) {
            case Clocks.CLOCK_REALTIME, CLOCK_REALTIME_ALARM -> Clocks.CLOCK_REALTIME;
            case Clocks.CLOCK_MONOTONIC, Clocks.CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM -> Clocks.CLOCK_MONOTONIC;
            default -> throw Errno.EINVAL.exception("timerfd_create clock " + clockId
                    + " (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and their _ALARM forms are allowed)");
        };
        return EventFdCalls.install(c, new TimerFdFile(clock, flags, nextIno.getAndIncrement(), c.clock()),
                (flags & OpenFlags.O_CLOEXEC) != 0);
    }

    /**
     * {@code timerfd_settime(2)}: the new {@code struct itimerspec} is read first (EFAULT), then
     * flags and values are checked (EINVAL: flags other than TFD_TIMER_ABSTIME |
     * TFD_TIMER_CANCEL_ON_SET, a tv_nsec outside [0, 10^9) or a negative tv_sec), then the
     * descriptor (EBADF; EINVAL when it is not a timerfd). it_value 0 disarms; otherwise the first
     * expiry is it_value from now, or at it_value on the timer's clock with TFD_TIMER_ABSTIME (in
     * the past: at once), then every it_interval (0: once). The unread expirations are dropped. The
     * previous setting is written to {@code oldValue} (unless 0) afterwards (EFAULT).
     */
    public void timerfdSettime(Caller c, UserCopy u, InstantSource wall, int fd, int flags, long newValue, long oldValue) {
        long[] raw = new long[4];
        for (int i = 0; i < 4; i++) {
            raw[i] = u.readLong(newValue + 8L * i);
        }
        if ((flags & ~SETTIME_FLAGS) != 0) {
            throw Errno.EINVAL.exception("timerfd_settime flags 0x" + Integer.toHexString(flags));
        }
        long intervalNanos = Timespecs.toNanos(raw[0], raw[1]);
        long valueNanos = Timespecs.toNanos(raw[2], raw[3]);
        TimerFdFile t = timer(c, fd);
        long relative = valueNanos;
        if (valueNanos != 0 && (flags & TimerFd.TFD_TIMER_ABSTIME) != 0) {
            long now = t.clockId() == Clocks.CLOCK_REALTIME ? realtimeNanos(wall) : c.clock().nanoTime();
            relative = Math.max(1, valueNanos - now); // in the past: expires at once
        }
        long[] old = t.set(relative, intervalNanos);
        if (oldValue != 0) {
            writeItimerspec(u, oldValue, old);
        }
    }

    /** {@code timerfd_gettime(2)}: {it_interval, time left} (0 when disarmed) to {@code currValue}; EBADF, EINVAL, EFAULT. */
    public void timerfdGettime(Caller c, UserCopy u, int fd, long currValue) {
        TimerFdFile t = timer(c, fd);
        writeItimerspec(u, currValue, t.get());
    }

    private static TimerFdFile timer(Caller c, int fd) {
        OpenFile f = c.files().get(fd);
        if (!(f instanceof TimerFdFile t)) {
            throw Errno.EINVAL.exception("fd " + fd + " is not a timerfd");
        }
        return t;
    }

    private static long realtimeNanos(InstantSource wall) {
        Instant i = wall.instant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static void writeItimerspec(UserCopy u, long addr, long[] intervalAndValue) {
        Timespecs.writeTimespec(u, addr, intervalAndValue[0]);
        Timespecs.writeTimespec(u, addr + Timespecs.TIMESPEC_SIZE, intervalAndValue[1]);
    }
}
