package io.jocclum.libos.replay;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.EventFd;
import io.jocclum.api.Socket;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.kheap.KernelHeap.Kind;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The descriptors of one traced process as the replay made them in the enclave: trace fd → enclave
 * fd and the open file description behind it, so that the kernel objects the trace creates (open
 * files, pipes, sockets, epoll instances and their registrations) exist in the LibOS, charged to its
 * kernel heap, for as long as the trace keeps them. A traced open becomes an eventfd (one open
 * description, no contents to read); an AF_UNIX socket an AF_UNIX socket, any other family an
 * AF_INET socket of the same type; the rest as themselves. A call that the LibOS refuses with any
 * errno but ENOMEM is counted as not replayable; ENOMEM propagates (the kernel heap, or the
 * descriptor table, is too small).
 */
final class Descriptors {
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final List<Kind> FILE = List.of(Kind.OPEN_FILE);
    private static final List<Kind> PIPE_READ = List.of(Kind.OPEN_FILE, Kind.PIPE_BUFFER);
    private static final List<Kind> UNIX = List.of(Kind.OPEN_FILE, Kind.SOCKET, Kind.UNIX_SOCKET_BUFFER);
    private static final List<Kind> INET = List.of(Kind.OPEN_FILE, Kind.SOCKET);
    private static final List<Kind> EPOLL = List.of(Kind.OPEN_FILE, Kind.EPOLL);

    /** One open file description: what it charges, and its epoll registrations when it is an epoll. */
    private static final class Desc {
        final List<Kind> kinds;
        final boolean unix;
        final Set<Long> items = new HashSet<>();

        Desc(List<Kind> kinds, boolean unix) {
            this.kinds = kinds;
            this.unix = unix;
        }
    }

    private record Slot(int fd, Desc desc, boolean cloexec) {
    }

    private final Map<Long, Slot> slots = new HashMap<>();
    /** {@link #bytes()} until the descriptors change; -1 when it must be computed. */
    private long bytes = -1;

    /** What a spawned child starts with: the descriptors without FD_CLOEXEC, at the same enclave numbers. */
    synchronized Descriptors forChild() {
        Descriptors d = new Descriptors();
        slots.forEach((k, s) -> {
            if (!s.cloexec) {
                d.slots.put(k, s);
            }
        });
        return d;
    }

    /** The kernel heap bytes of the descriptions these descriptors refer to (each once) and their epoll items. */
    synchronized long bytes() {
        if (bytes >= 0) {
            return bytes;
        }
        long b = 0;
        Set<Desc> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Slot s : slots.values()) {
            if (seen.add(s.desc)) {
                for (Kind k : s.desc.kinds) {
                    b += k.bytes();
                }
                b += s.desc.items.size() * Kind.EPOLL_ITEM.bytes();
            }
        }
        bytes = b;
        return b;
    }

    /**
     * Replays {@code c} if it makes, copies or closes a descriptor; false when it is no such call.
     * ENOMEM propagates; another errno of the enclave is recorded in {@code skipped}.
     */
    boolean replay(Syscalls sys, TraceEvent.Call c, Replay.Counts skipped) {
        String name = c.name();
        try {
            switch (name) {
                case "open", "openat", "creat", "eventfd", "eventfd2", "timerfd_create", "signalfd", "signalfd4",
                     "inotify_init", "inotify_init1", "memfd_create", "fanotify_init", "userfaultfd", "pidfd_open" ->
                        add(c.result(), sys.eventfd(0, cloexec(c) ? EventFd.EFD_CLOEXEC : 0), new Desc(FILE, false), cloexec(c));
                case "pipe", "pipe2" -> pair(sys.pipe2(cloexec(c) ? io.jocclum.api.OpenFlags.O_CLOEXEC : 0), c, 0,
                        new Desc(PIPE_READ, false), new Desc(FILE, false));
                case "socketpair" -> pair(sys.socketpair(Socket.AF_UNIX, type(c.arg(1)) | (cloexec(c) ? Socket.SOCK_CLOEXEC : 0),
                        0), c, 3, new Desc(UNIX, true), new Desc(UNIX, true));
                case "socket" -> socket(sys, c, unix(c.arg(0)), type(c.arg(1)));
                case "accept", "accept4" -> {
                    Slot l = slot(c.number(0));
                    socket(sys, c, l != null && l.desc.unix, Socket.SOCK_STREAM);
                }
                case "epoll_create", "epoll_create1" ->
                        add(c.result(), sys.epollCreate1(cloexec(c) ? Epoll.EPOLL_CLOEXEC : 0), new Desc(EPOLL, false), cloexec(c));
                case "epoll_ctl" -> epollCtl(sys, c);
                case "dup" -> dup(sys, c.number(0), c.result(), false);
                case "dup2", "dup3" -> dup(sys, c.number(0), c.result(), cloexec(c));
                case "fcntl", "fcntl64" -> {
                    if (!c.arg(1).startsWith("F_DUPFD")) {
                        return false;
                    }
                    dup(sys, c.number(0), c.result(), c.arg(1).equals("F_DUPFD_CLOEXEC"));
                }
                case "close" -> close(sys, c.number(0));
                default -> {
                    return false;
                }
            }
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOMEM) {
                throw e;
            }
            synchronized (skipped) {
                skipped.add(name + " (" + e.errno() + " in the enclave)");
            }
        }
        return true;
    }

    /** execve: the FD_CLOEXEC descriptors close. */
    void exec(Syscalls sys) {
        List<Long> gone = new ArrayList<>();
        synchronized (this) {
            slots.forEach((k, s) -> {
                if (s.cloexec) {
                    gone.add(k);
                }
            });
        }
        for (long k : gone) {
            close(sys, k);
        }
    }

    private static boolean cloexec(TraceEvent.Call c) {
        return Syntax.anyArgContains(c.args(), "CLOEXEC");
    }

    private static boolean unix(String family) {
        return family.equals("AF_UNIX") || family.equals("AF_LOCAL") || family.equals("PF_UNIX") || family.equals("PF_LOCAL");
    }

    private static int type(String t) {
        return t.contains("SOCK_DGRAM") ? Socket.SOCK_DGRAM : Socket.SOCK_STREAM;
    }

    private void socket(Syscalls sys, TraceEvent.Call c, boolean unix, int type) {
        int fd = sys.socket(unix ? Socket.AF_UNIX : Socket.AF_INET, type | (cloexec(c) ? Socket.SOCK_CLOEXEC : 0), 0);
        add(c.result(), fd, new Desc(unix ? UNIX : INET, unix), cloexec(c));
    }

    private void pair(int[] fds, TraceEvent.Call c, int arg, Desc first, Desc second) {
        Matcher m = NUMBER.matcher(c.arg(arg));
        long a = m.find() ? Long.parseLong(m.group()) : -1;
        long b = m.find() ? Long.parseLong(m.group()) : -1;
        add(a, fds[0], first, cloexec(c));
        add(b, fds[1], second, cloexec(c));
    }

    private void epollCtl(Syscalls sys, TraceEvent.Call c) {
        Slot ep = slot(c.number(0));
        Slot target = slot(c.number(2));
        if (ep == null || target == null) {
            return;
        }
        switch (c.arg(1)) {
            case "EPOLL_CTL_ADD" -> {
                sys.epollCtl(ep.fd, Epoll.EPOLL_CTL_ADD, target.fd, new EpollEvent(Epoll.EPOLLIN, 0));
                synchronized (this) {
                    ep.desc.items.add(c.number(2));
                    bytes = -1;
                }
            }
            case "EPOLL_CTL_DEL" -> {
                sys.epollCtl(ep.fd, Epoll.EPOLL_CTL_DEL, target.fd, null);
                synchronized (this) {
                    ep.desc.items.remove(c.number(2));
                    bytes = -1;
                }
            }
            default -> {
                // MOD changes no kernel object
            }
        }
    }

    private void dup(Syscalls sys, long oldFd, long newFd, boolean cloexec) {
        Slot s = slot(oldFd);
        if (s == null) {
            return;
        }
        if (slot(newFd) != null) {
            close(sys, newFd);
        }
        int fd = sys.dup(s.fd);
        add(newFd, fd, s.desc, cloexec);
    }

    private void close(Syscalls sys, long traceFd) {
        Slot s;
        synchronized (this) {
            s = slots.remove(traceFd);
            if (s == null) {
                return;
            }
            bytes = -1;
            for (Slot o : slots.values()) {
                o.desc.items.remove(traceFd);
            }
        }
        sys.close(s.fd);
    }

    /** Records trace fd {@code traceFd} as enclave fd {@code fd} (a number the trace reused without a close it showed is replaced). */
    private synchronized void add(long traceFd, int fd, Desc d, boolean cloexec) {
        slots.put(traceFd, new Slot(fd, d, cloexec));
        bytes = -1;
    }

    private synchronized Slot slot(long traceFd) {
        return slots.get(traceFd);
    }
}
