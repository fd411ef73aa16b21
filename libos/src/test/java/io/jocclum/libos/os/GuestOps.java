package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Libc;
import io.jocclum.api.Poll;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.epoll.EpollFile;
import io.jocclum.libos.process.GuestThread;
import io.jocclum.libos.process.GuestProcess;
import io.jocclum.libos.support.Quiesce;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the event tests' guest programs do often, written with the guest API only (buffers are
 * guest memory), plus two white-box probes a test uses to know that guest threads are asleep
 * before it acts (no sleeping: {@link Quiesce} yields until the state is observed).
 */
final class GuestOps {
    private GuestOps() {
    }

    /** Runs {@code call}, which must fail, and returns its errno. */
    static Errno errno(Runnable call) {
        try {
            call.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        throw new AssertionError("the call succeeded; an errno was expected");
    }

    /** write(2) of {@code data} (one call); returns its count. */
    static long write(Syscalls sys, int fd, byte[] data) {
        long b = Libc.alloc(sys, Math.max(data.length, 1));
        try {
            sys.storeBytes(b, data, 0, data.length);
            return sys.write(fd, b, data.length);
        } finally {
            Libc.free(sys, b, Math.max(data.length, 1));
        }
    }

    /** write(2) of {@code n} bytes of value {@code v}. */
    static long write(Syscalls sys, int fd, int n, byte v) {
        byte[] d = new byte[n];
        java.util.Arrays.fill(d, v);
        return write(sys, fd, d);
    }

    /** One read(2) of at most {@code max} bytes. */
    static byte[] read(Syscalls sys, int fd, int max) {
        long b = Libc.alloc(sys, Math.max(max, 1));
        try {
            int n = (int) sys.read(fd, b, max);
            byte[] out = new byte[n];
            sys.loadBytes(b, out, 0, n);
            return out;
        } finally {
            Libc.free(sys, b, Math.max(max, 1));
        }
    }

    /** eventfd write of {@code v}. */
    static void efdWrite(Syscalls sys, int fd, long v) {
        long b = Libc.alloc(sys, 8);
        try {
            sys.storeLong(b, v);
            assertThat(sys.write(fd, b, 8)).isEqualTo(8);
        } finally {
            Libc.free(sys, b, 8);
        }
    }

    /** eventfd read. */
    static long efdRead(Syscalls sys, int fd) {
        long b = Libc.alloc(sys, 8);
        try {
            assertThat(sys.read(fd, b, 8)).isEqualTo(8);
            return sys.loadLong(b);
        } finally {
            Libc.free(sys, b, 8);
        }
    }

    /** FIONREAD. */
    static int fionread(Syscalls sys, int fd) {
        long b = Libc.alloc(sys, 8);
        try {
            sys.ioctl(fd, io.jocclum.api.Ioctls.FIONREAD, b);
            return sys.loadInt(b);
        } finally {
            Libc.free(sys, b, 8);
        }
    }

    /** poll(2) on one descriptor: its revents (0 on timeout). */
    static int poll(Syscalls sys, int fd, int events, int timeoutMs) {
        int[] r = poll(sys, new int[]{fd}, new int[]{events}, timeoutMs);
        return r[1];
    }

    /** poll(2): {return value, revents...}. */
    static int[] poll(Syscalls sys, int[] fds, int[] events, int timeoutMs) {
        int n = fds.length;
        long b = Libc.alloc(sys, Math.max(1, n) * (long) Poll.POLLFD_SIZE);
        try {
            for (int i = 0; i < n; i++) {
                sys.storeInt(b + 8L * i, fds[i]);
                sys.storeInt(b + 8L * i + 4, events[i] & 0xFFFF | 0xABCD0000); // garbage revents is overwritten
            }
            int[] out = new int[n + 1];
            out[0] = sys.poll(b, n, timeoutMs);
            for (int i = 0; i < n; i++) {
                out[i + 1] = (sys.loadInt(b + 8L * i + 4) >>> 16) & 0xFFFF;
            }
            return out;
        } finally {
            Libc.free(sys, b, Math.max(1, n) * (long) Poll.POLLFD_SIZE);
        }
    }

    /** epoll_ctl ADD. */
    static void add(Syscalls sys, int ep, int fd, int events, long data) {
        sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, fd, new EpollEvent(events, data));
    }

    /** epoll_wait (or epoll_pwait when {@code mask} is not null). */
    static List<EpollEvent> epWait(Syscalls sys, int ep, int max, int timeoutMs, Long mask) {
        long b = Libc.alloc(sys, (long) max * Epoll.EVENT_SIZE);
        try {
            int n = mask == null ? sys.epollWait(ep, b, max, timeoutMs) : sys.epollPwait(ep, b, max, timeoutMs, mask);
            List<EpollEvent> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long at = b + (long) i * Epoll.EVENT_SIZE;
                out.add(new EpollEvent(sys.loadInt(at), sys.loadLong(at + 4)));
            }
            return out;
        } finally {
            Libc.free(sys, b, (long) max * Epoll.EVENT_SIZE);
        }
    }

    static List<EpollEvent> epWait(Syscalls sys, int ep, int max, int timeoutMs) {
        return epWait(sys, ep, max, timeoutMs, null);
    }

    // ------------------------------------------------------------------------ white-box probes

    /** Yields until {@code n} threads are parked in epoll_wait on descriptor {@code epfd} of process {@code pid}. */
    static void awaitEpollWaiters(Booted os, int pid, int epfd, int n) {
        GuestProcess p = os.os.kernel().process(pid);
        EpollFile ep = (EpollFile) p.files().get(epfd);
        Quiesce.until(() -> ep.waiterCount() == n && parkedThreads(p) >= n, n + " threads asleep in epoll_wait");
    }

    /** Yields until every thread of {@code pid} but the caller's own is parked, at least {@code n} of them. */
    static void awaitParked(Booted os, int pid, int n) {
        GuestProcess p = os.os.kernel().process(pid);
        Quiesce.until(() -> parkedThreads(p) >= n, n + " threads of " + pid + " asleep");
    }

    static int parkedThreads(GuestProcess p) {
        int k = 0;
        for (GuestThread t : p.threads()) {
            Thread j = t.javaThread();
            if (j != null && j != Thread.currentThread() && j.isAlive() && Quiesce.parked(j)) {
                k++;
            }
        }
        return k;
    }

    /** Yields until exactly {@code n} threads wait on the epoll, all parked and none holding an unconsumed wake-up. */
    static void awaitSettled(Booted os, int pid, int epfd, int n) {
        GuestProcess p = os.os.kernel().process(pid);
        EpollFile ep = (EpollFile) p.files().get(epfd);
        Quiesce.until(() -> ep.waiterCount() == n && ep.notifiedWaiters() == 0 && parkedThreads(p) >= n,
                n + " threads asleep in epoll_wait with no wake-up pending");
    }

    /** Number of epoll waiters of {@code epfd} in {@code pid}. */
    static int epollWaiters(Booted os, int pid, int epfd) {
        return ((EpollFile) os.os.kernel().process(pid).files().get(epfd)).waiterCount();
    }
}
