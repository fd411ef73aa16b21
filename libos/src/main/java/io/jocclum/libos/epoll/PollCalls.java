package io.jocclum.libos.epoll;

import io.jocclum.api.Errno;
import io.jocclum.api.Poll;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Poller;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.Timespecs;
import io.jocclum.libos.vm.UserCopy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code poll}, {@code ppoll}, {@code select} and {@code pselect6} on the event core
 * (fs/select.c).
 *
 * <p>Design: one pass polls every file; only when nothing is ready and the call may block does
 * it subscribe a {@link Poller} (the thread's waiter) to the files' notifiers, then re-check,
 * then park — so a call that finds something ready subscribes to nothing, and no subscription is
 * made per pass (Occlum re-subscribes every file on every call, W14). poll reports POLLNVAL for
 * closed descriptors alongside the other ready entries (Occlum returns only the NVAL count,
 * W16); select fails with EBADF for a closed descriptor inside the table (Occlum returns 0, W5).
 * A pending signal ends the wait with EINTR.
 */
public final class PollCalls {
    private PollCalls() {
    }

    // ====================================================================== poll

    /**
     * {@code poll(2)}: {@code fds[i]}, {@code events[i]} for {@code i < nfds}; fills
     * {@code revents}; timeout in milliseconds (negative = forever). Returns the number of
     * entries with non-zero revents. nfds above RLIMIT_NOFILE → EINVAL.
     */
    public static int poll(Caller c, int nfds, int[] fds, int[] events, int[] revents, int timeoutMs) {
        return pollNanos(c, nfds, fds, events, revents, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    /**
     * {@code poll(2)} as a guest makes it: {@code nfds} {@code struct pollfd}s at {@code fds} in
     * guest memory, their revents written back. EINVAL for nfds above RLIMIT_NOFILE before the
     * array is read.
     */
    public static int poll(Caller c, UserCopy u, long fds, int nfds, int timeoutMs) {
        return pollUser(c, u, fds, nfds, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    /**
     * {@code ppoll(2)} as a guest makes it (fs/select.c): the timeout is a {@code struct timespec}
     * at {@code tsp} (0 = NULL = forever), read first (EFAULT; EINVAL when invalid); then the mask
     * at {@code sigmask} (0 = NULL: unchanged; EINVAL unless sigsetsize is 8), installed for the
     * call; then poll. Like the system call (not glibc's wrapper), the time left is written back
     * to {@code *tsp} on every outcome unless the timeout was NULL or zero
     * ({@code poll_select_finish}); a fault writing it back is ignored.
     */
    public static int ppoll(Caller c, UserCopy u, long fds, int nfds, long tsp, long sigmask, long sigsetsize) {
        long timeoutNanos = tsp == 0 ? -1 : Timespecs.readTimeout(u, tsp);
        boolean masked = sigmask != 0;
        long mask = masked ? Timespecs.readSigset(u, sigmask, sigsetsize) : 0;
        long deadline = c.clock().deadlineAfter(timeoutNanos);
        try {
            return masked ? EpollCalls.withMask(c, mask, () -> pollUser(c, u, fds, nfds, timeoutNanos))
                    : pollUser(c, u, fds, nfds, timeoutNanos);
        } finally {
            writeBackRemaining(c, u, tsp, timeoutNanos, deadline);
        }
    }

    /** poll_select_finish: the time left to {@code *tsp}, unless NULL or zero; faults ignored. */
    private static void writeBackRemaining(Caller c, UserCopy u, long tsp, long timeoutNanos, long deadline) {
        if (tsp == 0 || timeoutNanos <= 0) {
            return;
        }
        long left = deadline >= WaitClock.FOREVER - 1 ? timeoutNanos : Math.max(0, deadline - c.clock().nanoTime());
        try {
            Timespecs.writeTimespec(u, tsp, left);
        } catch (io.jocclum.api.ErrnoException | io.jocclum.libos.vm.GuestFault e) {
            // Linux: "we don't want the Linux-specific update to the timeval to cause a fault"
        }
    }

    private static int pollUser(Caller c, UserCopy u, long fds, int nfds, long timeoutNanos) {
        FdTable t = c.files();
        if (nfds < 0 || nfds > t.limit()) {
            throw Errno.EINVAL.exception("nfds " + Integer.toUnsignedString(nfds) + " above RLIMIT_NOFILE " + t.limit());
        }
        int[] fd = new int[nfds];
        int[] ev = new int[nfds];
        int[] rev = new int[nfds];
        if (nfds > 0) {
            byte[] raw = new byte[nfds * Poll.POLLFD_SIZE];
            u.read(fds, raw, 0, raw.length);
            ByteBuffer r = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < nfds; i++) {
                fd[i] = r.getInt(i * Poll.POLLFD_SIZE);
                ev[i] = r.getShort(i * Poll.POLLFD_SIZE + 4) & 0xFFFF;
            }
        }
        int n = pollNanos(c, nfds, fd, ev, rev, timeoutNanos);
        for (int i = 0; i < nfds; i++) {
            long at = fds + (long) i * Poll.POLLFD_SIZE + 6;
            u.writeByte(at, (byte) rev[i]);
            u.writeByte(at + 1, (byte) (rev[i] >>> 8));
        }
        return n;
    }

    /** {@code ppoll(2)} without a signal mask: timeout in nanoseconds, negative = NULL = forever. */
    public static int ppoll(Caller c, int nfds, int[] fds, int[] events, int[] revents, long timeoutNanos) {
        return pollNanos(c, nfds, fds, events, revents, timeoutNanos);
    }

    /** {@code ppoll(2)} with a signal mask installed for the call. */
    public static int ppoll(Caller c, int nfds, int[] fds, int[] events, int[] revents, long timeoutNanos, long sigmask) {
        return EpollCalls.withMask(c, sigmask, () -> pollNanos(c, nfds, fds, events, revents, timeoutNanos));
    }

    private static int pollNanos(Caller c, int nfds, int[] fds, int[] events, int[] revents, long timeoutNanos) {
        FdTable t = c.files();
        if (nfds < 0 || nfds > t.limit()) {
            throw Errno.EINVAL.exception("nfds " + nfds + " above RLIMIT_NOFILE " + t.limit());
        }
        if (fds.length < nfds || events.length < nfds || revents.length < nfds) {
            throw Errno.EFAULT.exception("pollfd arrays shorter than nfds " + nfds);
        }
        int count = pollPass(t, nfds, fds, events, revents);
        if (count > 0 || timeoutNanos == 0) {
            return count;
        }
        long deadline = timeoutNanos < 0 ? WaitClock.FOREVER : c.clock().deadlineAfter(timeoutNanos);
        Waiter w = c.waiter();
        try (Poller p = new Poller(w)) {
            for (int i = 0; i < nfds; i++) {
                OpenFile f = fds[i] < 0 ? null : t.getOrNull(fds[i]);
                if (f != null && f.notifier() != null) {
                    p.subscribe(f.notifier(), events[i] & 0xFFFF);
                }
            }
            for (;;) {
                w.reset();
                count = pollPass(t, nfds, fds, events, revents);
                if (count > 0) {
                    return count;
                }
                if (c.signals().interruptPending()) {
                    throw Errno.EINTR.exception("poll interrupted");
                }
                if (!w.await(c.clock(), deadline)) {
                    return pollPass(t, nfds, fds, events, revents);
                }
            }
        }
    }

    private static int pollPass(FdTable t, int nfds, int[] fds, int[] events, int[] revents) {
        int count = 0;
        for (int i = 0; i < nfds; i++) {
            int fd = fds[i];
            int r;
            if (fd < 0) {
                r = 0;
            } else {
                OpenFile f = t.getOrNull(fd);
                // events is a short in struct pollfd; ERR and HUP are always reported
                r = f == null ? IoEvents.NVAL : f.poll() & ((events[i] & 0xFFFF) | IoEvents.ALWAYS);
            }
            revents[i] = r;
            if (r != 0) {
                count++;
            }
        }
        return count;
    }

    // ====================================================================== select

    /**
     * {@code select(2)}: fd sets as {@code long[]} bitmaps (bit {@code fd % 64} of word
     * {@code fd / 64}), any of them null; they are rewritten with the ready descriptors.
     * nfds &lt; 0 → EINVAL; a set bit for a closed descriptor below the table size → EBADF; bits
     * beyond the table size are ignored. Timeout in nanoseconds, negative = NULL = forever.
     */
    public static SelectResult select(Caller c, int nfds, long[] readfds, long[] writefds, long[] exceptfds, long timeoutNanos) {
        if (nfds < 0) {
            throw Errno.EINVAL.exception("nfds " + nfds);
        }
        FdTable t = c.files();
        int n = Math.min(nfds, t.capacity());
        checkLength(readfds, n);
        checkLength(writefds, n);
        checkLength(exceptfds, n);
        OpenFile[] files = new OpenFile[n];
        for (int fd = 0; fd < n; fd++) {
            if (bit(readfds, fd) || bit(writefds, fd) || bit(exceptfds, fd)) {
                OpenFile f = t.getOrNull(fd);
                if (f == null) {
                    throw Errno.EBADF.exception("fd " + fd + " in an fd_set is not open");
                }
                files[fd] = f;
            }
        }
        long[] in = copy(readfds, n);
        long[] out = copy(writefds, n);
        long[] ex = copy(exceptfds, n);
        long deadline = timeoutNanos < 0 ? WaitClock.FOREVER : c.clock().deadlineAfter(timeoutNanos);
        int count = selectPass(files, n, in, out, ex, readfds, writefds, exceptfds);
        if (count == 0 && timeoutNanos != 0) {
            Waiter w = c.waiter();
            try (Poller p = new Poller(w)) {
                for (int fd = 0; fd < n; fd++) {
                    OpenFile f = files[fd];
                    if (f != null && f.notifier() != null) {
                        int mask = (bit(in, fd) ? IoEvents.SELECT_READ : 0) | (bit(out, fd) ? IoEvents.SELECT_WRITE : 0)
                                | (bit(ex, fd) ? IoEvents.SELECT_EXCEPT : 0);
                        p.subscribe(f.notifier(), mask);
                    }
                }
                for (;;) {
                    w.reset();
                    count = selectPass(files, n, in, out, ex, readfds, writefds, exceptfds);
                    if (count > 0) {
                        break;
                    }
                    if (c.signals().interruptPending()) {
                        throw Errno.EINTR.exception("select interrupted");
                    }
                    if (!w.await(c.clock(), deadline)) {
                        count = selectPass(files, n, in, out, ex, readfds, writefds, exceptfds);
                        break;
                    }
                }
            }
        }
        long remaining = timeoutNanos < 0 ? -1 : Math.max(0, deadline - c.clock().nanoTime());
        if (timeoutNanos == 0) {
            remaining = 0;
        }
        return new SelectResult(count, remaining);
    }

    /** {@code pselect6(2)}: select with a signal mask installed for the call. */
    public static SelectResult pselect(Caller c, int nfds, long[] readfds, long[] writefds, long[] exceptfds,
                                       long timeoutNanos, long sigmask) {
        SelectResult[] r = new SelectResult[1];
        EpollCalls.withMask(c, sigmask, () -> {
            r[0] = select(c, nfds, readfds, writefds, exceptfds, timeoutNanos);
            return 0;
        });
        return r[0];
    }

    private static int selectPass(OpenFile[] files, int n, long[] in, long[] out, long[] ex,
                                  long[] rIn, long[] rOut, long[] rEx) {
        int count = 0;
        clear(rIn, n);
        clear(rOut, n);
        clear(rEx, n);
        for (int fd = 0; fd < n; fd++) {
            OpenFile f = files[fd];
            if (f == null) {
                continue;
            }
            int r = f.poll();
            if (bit(in, fd) && (r & IoEvents.SELECT_READ) != 0) {
                set(rIn, fd);
                count++;
            }
            if (bit(out, fd) && (r & IoEvents.SELECT_WRITE) != 0) {
                set(rOut, fd);
                count++;
            }
            if (bit(ex, fd) && (r & IoEvents.SELECT_EXCEPT) != 0) {
                set(rEx, fd);
                count++;
            }
        }
        return count;
    }

    private static void checkLength(long[] set, int n) {
        if (set != null && set.length * 64L < n) {
            throw Errno.EFAULT.exception("fd_set of " + set.length + " words shorter than nfds " + n);
        }
    }

    private static long[] copy(long[] set, int n) {
        return set == null ? null : set.clone();
    }

    private static void clear(long[] set, int n) {
        if (set == null) {
            return;
        }
        for (int fd = 0; fd < n; fd++) {
            set[fd >>> 6] &= ~(1L << (fd & 63));
        }
    }

    private static boolean bit(long[] set, int fd) {
        return set != null && (set[fd >>> 6] & (1L << (fd & 63))) != 0;
    }

    private static void set(long[] set, int fd) {
        set[fd >>> 6] |= 1L << (fd & 63);
    }

    // ====================================================================== the guest's select

    /**
     * {@code select(2)} as a guest makes it: the fd_sets at {@code readfds}, {@code writefds},
     * {@code exceptfds} in guest memory (0 = NULL), read and written back in 64-bit words;
     * timeout in microseconds, -1 = NULL = forever. Returns the number of ready bits.
     */
    public static int select(Caller c, UserCopy u, int nfds, long readfds, long writefds, long exceptfds, long timeoutMicros) {
        if (nfds < 0) {
            throw Errno.EINVAL.exception("nfds " + nfds);
        }
        if (timeoutMicros < -1) {
            throw Errno.EINVAL.exception("negative timeout " + timeoutMicros);
        }
        long timeoutNanos = timeoutMicros < 0 ? -1 : timeoutMicros > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : timeoutMicros * 1000;
        return selectUser(c, u, nfds, readfds, writefds, exceptfds, timeoutNanos);
    }

    /**
     * {@code pselect6(2)} as a guest makes it (fs/select.c): {@code sig} is the address of Linux's
     * {@code struct sigset_argpack} {const sigset_t *ss; size_t ss_len} (0 = NULL), read first
     * (EFAULT); then the timespec at {@code tsp} (0 = NULL = forever; EFAULT, EINVAL when invalid);
     * then the mask (EINVAL unless ss_len is 8), installed for the call; then select (EINVAL for
     * nfds &lt; 0, EBADF). The time left is written back to {@code *tsp} as ppoll does.
     */
    public static int pselect6(Caller c, UserCopy u, int nfds, long readfds, long writefds, long exceptfds, long tsp, long sig) {
        long ss = 0;
        long ssLen = 0;
        if (sig != 0) {
            ss = u.readLong(sig);
            ssLen = u.readLong(sig + 8);
        }
        long timeoutNanos = tsp == 0 ? -1 : Timespecs.readTimeout(u, tsp);
        boolean masked = ss != 0;
        long mask = masked ? Timespecs.readSigset(u, ss, ssLen) : 0;
        long deadline = c.clock().deadlineAfter(timeoutNanos);
        try {
            if (nfds < 0) {
                throw Errno.EINVAL.exception("nfds " + nfds);
            }
            return masked ? EpollCalls.withMask(c, mask, () -> selectUser(c, u, nfds, readfds, writefds, exceptfds, timeoutNanos))
                    : selectUser(c, u, nfds, readfds, writefds, exceptfds, timeoutNanos);
        } finally {
            writeBackRemaining(c, u, tsp, timeoutNanos, deadline);
        }
    }

    private static int selectUser(Caller c, UserCopy u, int nfds, long readfds, long writefds, long exceptfds, long timeoutNanos) {
        int n = Math.min(nfds, c.files().capacity());
        int words = (n + 63) / 64;
        long[] r = readSet(u, readfds, words);
        long[] w = readSet(u, writefds, words);
        long[] x = readSet(u, exceptfds, words);
        SelectResult res = select(c, n, r, w, x, timeoutNanos);
        writeSet(u, readfds, r);
        writeSet(u, writefds, w);
        writeSet(u, exceptfds, x);
        return res.ready();
    }

    private static long[] readSet(UserCopy u, long addr, int words) {
        if (addr == 0) {
            return null;
        }
        long[] set = new long[words];
        for (int i = 0; i < words; i++) {
            set[i] = u.readLong(addr + 8L * i);
        }
        return set;
    }

    private static void writeSet(UserCopy u, long addr, long[] set) {
        if (addr == 0) {
            return;
        }
        for (int i = 0; i < set.length; i++) {
            u.writeLong(addr + 8L * i, set[i]);
        }
    }
}
