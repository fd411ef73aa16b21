package io.jocclum.libos.programs;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;
import io.jocclum.api.Syscalls;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /bin/epollecho}: a TCP echo server on the host's loopback driven by one edge-triggered
 * epoll, and a client that checks every byte comes back.
 *
 * <pre>
 * epollecho --port N [--max-clients K] [--exit-after M]
 * epollecho --connect HOST:PORT [--clients C] [--bytes B]
 * </pre>
 *
 * <p><b>Server.</b> Listens on 127.0.0.1:N through a host socket (N = 0: a free port; the line
 * {@code epollecho: listening on 127.0.0.1:PORT ...} names it), non-blocking, every socket in
 * one epoll with {@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET}; it echoes what each client sends,
 * keeps what a client is not ready to take (then stops reading that client until it is), and
 * closes a connection once the client has shut down its side and everything was echoed. At most
 * K clients are served at once (default 1000; further connections wait in the listen queue).
 * It runs until SIGTERM (which it blocks except inside {@code epoll_pwait}, so the signal cannot
 * slip in between the check and the wait), or until M connections have been served with
 * {@code --exit-after M}; then it prints a summary and exits 0.
 *
 * <p><b>Client.</b> Opens C connections (default 8) to HOST:PORT (HOST: a dotted IPv4 address or
 * {@code localhost}) with non-blocking connects, multiplexed by one level-triggered epoll; sends
 * B pseudo-random bytes on each (default 256KB; each connection its own stream), shuts down its
 * sending side and reads until the server closes, comparing every byte. Prints a summary; exit
 * status 0 only if every connection got all its bytes back unchanged, 1 otherwise (also when
 * nothing happens for 30 s). Usage errors: one line on stderr, exit status 2.
 */
public final class EpollEcho implements GuestProgram {
    static final String USAGE = "usage: epollecho --port N [--max-clients K] [--exit-after M]"
            + " | epollecho --connect HOST:PORT [--clients C] [--bytes B]";
    static final int BUF = 64 << 10;
    static final int MAX_EVENTS = 64;
    static final int IDLE_LIMIT_MS = 30_000;

    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        if (ProgramArgs.help(sys, argv, USAGE)) {
            return 0;
        }
        Integer port = null;
        String connect = null;
        long maxClients = 1000;
        long exitAfter = -1;
        long clients = 8;
        long bytes = 256 << 10;
        boolean serverOpt = false;
        boolean clientOpt = false;
        try {
            for (int i = 1; i < argv.length; i++) {
                switch (argv[i]) {
                    case "--port" -> port = (int) ProgramArgs.number("--port", ProgramArgs.value(argv, i++), 0, 65535);
                    case "--max-clients" -> {
                        maxClients = ProgramArgs.number("--max-clients", ProgramArgs.value(argv, i++), 1, 100_000);
                        serverOpt = true;
                    }
                    case "--exit-after" -> {
                        exitAfter = ProgramArgs.number("--exit-after", ProgramArgs.value(argv, i++), 1, Long.MAX_VALUE);
                        serverOpt = true;
                    }
                    case "--connect" -> connect = ProgramArgs.value(argv, i++);
                    case "--clients" -> {
                        clients = ProgramArgs.number("--clients", ProgramArgs.value(argv, i++), 1, 100_000);
                        clientOpt = true;
                    }
                    case "--bytes" -> {
                        bytes = ProgramArgs.size("--bytes", ProgramArgs.value(argv, i++));
                        clientOpt = true;
                    }
                    default -> throw new ProgramArgs.Usage("unknown option " + argv[i]);
                }
            }
            if ((port == null) == (connect == null)) {
                throw new ProgramArgs.Usage(port == null ? "give --port N (server) or --connect HOST:PORT (client)"
                        : "--port and --connect cannot be combined");
            }
            if (port != null && clientOpt) {
                throw new ProgramArgs.Usage("--clients and --bytes are client options (with --connect)");
            }
            if (connect != null && serverOpt) {
                throw new ProgramArgs.Usage("--max-clients and --exit-after are server options (with --port)");
            }
            SockAddrIn target = connect == null ? null : address(connect);
            try {
                return target == null ? new Server(sys, (int) maxClients, exitAfter).run(port)
                        : new Client(sys, target, (int) clients, bytes).run();
            } catch (ErrnoException e) {
                Libc.println(sys, 2, "epollecho: " + e.getMessage());
                return 1;
            }
        } catch (ProgramArgs.Usage u) {
            Libc.println(sys, 2, "epollecho: " + u.getMessage() + "; " + USAGE);
            return 2;
        }
    }

    /** "127.0.0.1:7777" or "localhost:7777". */
    static SockAddrIn address(String s) throws ProgramArgs.Usage {
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new ProgramArgs.Usage("--connect " + s + " is not HOST:PORT");
        }
        String host = s.substring(0, colon);
        int port = (int) ProgramArgs.number("--connect port", s.substring(colon + 1), 1, 65535);
        if (host.equals("localhost")) {
            return SockAddrIn.loopback(port);
        }
        String[] q = host.split("\\.", -1);
        if (q.length != 4) {
            throw new ProgramArgs.Usage("--connect host " + host + " is not a dotted IPv4 address or localhost");
        }
        int a = 0;
        for (String part : q) {
            a = (a << 8) | (int) ProgramArgs.number("--connect host part", part, 0, 255);
        }
        return new SockAddrIn(a, port);
    }

    private static boolean again(ErrnoException e) {
        return e.errno() == Errno.EAGAIN;
    }

    // ================================================================================ server

    /** One connection of the server: echo data the client could not take yet waits in {@code pending}. */
    private static final class Conn {
        final int fd;
        long pending;
        int pendingOff;
        int pendingLen;
        boolean eof;

        Conn(int fd) {
            this.fd = fd;
        }
    }

    private static final class Server {
        private final Syscalls sys;
        private final int maxClients;
        private final long exitAfter;
        private final Map<Integer, Conn> conns = new HashMap<>();
        private final byte[] copy = new byte[BUF];
        private final boolean[] stop = new boolean[1];
        private int lfd = -1;
        private int ep;
        private long buf;
        private long accepted;
        private long served;
        private long echoed;
        private boolean paused;

        Server(Syscalls sys, int maxClients, long exitAfter) {
            this.sys = sys;
            this.maxClients = maxClients;
            this.exitAfter = exitAfter;
        }

        int run(int port) {
            long term = Signal.bit(Signal.SIGTERM);
            long old = sys.sigprocmask(Signal.SIG_BLOCK, term);
            sys.sigaction(Signal.SIGTERM, SigAction.handler((s, sig) -> stop[0] = true, 0));
            lfd = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC, 0);
            sys.setsockopt(lfd, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
            try {
                sys.bind(lfd, SockAddrIn.loopback(port));
            } catch (ErrnoException e) {
                throw new ErrnoException(e.errno(), "cannot listen on 127.0.0.1:" + port + ": " + e.errno().message());
            }
            sys.listen(lfd, Socket.SOMAXCONN);
            int actual = sys.getsockname(lfd).port();
            ep = sys.epollCreate1(Epoll.EPOLL_CLOEXEC);
            sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, lfd, new EpollEvent(Epoll.EPOLLIN | Epoll.EPOLLET, lfd));
            buf = Libc.alloc(sys, BUF);
            long events = Libc.alloc(sys, (long) MAX_EVENTS * Epoll.EVENT_SIZE);
            Libc.puts(sys, "epollecho: listening on 127.0.0.1:" + actual + " (edge-triggered epoll, up to " + maxClients
                    + " clients at once)");
            long waitMask = old & ~term;
            while (!stop[0] && !(exitAfter > 0 && served >= exitAfter)) {
                int n;
                try {
                    n = sys.epollPwait(ep, events, MAX_EVENTS, -1, waitMask);
                } catch (ErrnoException e) {
                    if (e.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw e;
                }
                for (int i = 0; i < n; i++) {
                    long at = events + (long) i * Epoll.EVENT_SIZE;
                    int ev = sys.loadInt(at);
                    int fd = (int) sys.loadLong(at + 4);
                    if (fd == lfd) {
                        acceptAll();
                    } else {
                        Conn c = conns.get(fd);
                        if (c != null) {
                            handle(c, ev);
                        }
                    }
                }
            }
            for (Conn c : new ArrayList<>(conns.values())) {
                drop(c);
            }
            if (lfd >= 0) {
                sys.close(lfd);
            }
            sys.close(ep);
            Libc.puts(sys, String.format(Locale.ROOT, "epollecho: %s after %d connection(s), %d bytes echoed",
                    stop[0] ? "stopped by SIGTERM" : "done", served, echoed));
            return 0;
        }

        private void acceptAll() {
            while (lfd >= 0 && conns.size() < maxClients) {
                int fd;
                try {
                    fd = sys.accept4(lfd, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
                } catch (ErrnoException e) {
                    if (again(e)) {
                        paused = false;
                        return;
                    }
                    if (e.errno() == Errno.ECONNABORTED || e.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw e;
                }
                Conn c = new Conn(fd);
                conns.put(fd, c);
                accepted++;
                sys.setsockopt(fd, Socket.IPPROTO_TCP, Socket.TCP_NODELAY, 1);
                sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, fd,
                        new EpollEvent(Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET, fd));
                if (exitAfter > 0 && accepted >= exitAfter) {
                    sys.close(lfd); // accept no more; the epoll registration goes with the last descriptor
                    lfd = -1;
                }
            }
            paused = lfd >= 0;
        }

        /** Edge-triggered: drain what the event announces (flush first, then read until EAGAIN). */
        private void handle(Conn c, int ev) {
            if ((ev & Epoll.EPOLLERR) != 0) {
                drop(c);
                return;
            }
            if (c.pendingLen > 0 && !flush(c)) {
                return;
            }
            readLoop(c);
        }

        private void readLoop(Conn c) {
            while (!c.eof && c.pendingLen == 0) {
                long n;
                try {
                    n = sys.recv(c.fd, buf, BUF, 0);
                } catch (ErrnoException e) {
                    if (again(e)) {
                        return;
                    }
                    drop(c);
                    return;
                }
                if (n == 0) {
                    c.eof = true;
                    break;
                }
                if (!echo(c, (int) n)) {
                    return;
                }
            }
            if (c.eof && c.pendingLen == 0) {
                drop(c);
            }
        }

        /** Sends {@code n} bytes of {@code buf}; keeps what does not fit. False when the connection was dropped. */
        private boolean echo(Conn c, int n) {
            int off = 0;
            while (off < n) {
                try {
                    long k = sys.send(c.fd, buf + off, n - off, Socket.MSG_NOSIGNAL);
                    off += (int) k;
                    echoed += k;
                } catch (ErrnoException e) {
                    if (!again(e)) {
                        drop(c);
                        return false;
                    }
                    if (c.pending == 0) {
                        c.pending = Libc.alloc(sys, BUF);
                    }
                    sys.loadBytes(buf + off, copy, 0, n - off);
                    sys.storeBytes(c.pending, copy, 0, n - off);
                    c.pendingOff = 0;
                    c.pendingLen = n - off;
                    return true;
                }
            }
            return true;
        }

        /** Sends the kept bytes; true when none are left. */
        private boolean flush(Conn c) {
            while (c.pendingLen > 0) {
                try {
                    long k = sys.send(c.fd, c.pending + c.pendingOff, c.pendingLen, Socket.MSG_NOSIGNAL);
                    c.pendingOff += (int) k;
                    c.pendingLen -= (int) k;
                    echoed += k;
                } catch (ErrnoException e) {
                    if (!again(e)) {
                        drop(c);
                    }
                    return false;
                }
            }
            return true;
        }

        private void drop(Conn c) {
            if (conns.remove(c.fd) == null) {
                return;
            }
            if (c.pending != 0) {
                Libc.free(sys, c.pending, BUF);
            }
            sys.close(c.fd);
            served++;
            if (paused && conns.size() < maxClients) {
                acceptAll(); // edge-triggered: connections queued while we were full raised no new edge
            }
        }
    }

    // ================================================================================ client

    /** One connection of the client. */
    private static final class Stream {
        final int index;
        final int fd;
        final long seed;
        boolean connected;
        long sent;
        long received;
        boolean done;
        String failure;

        Stream(int index, int fd, long seed) {
            this.index = index;
            this.fd = fd;
            this.seed = seed;
        }

        /** The byte at {@code pos} of this connection's stream. */
        byte at(long pos) {
            return (byte) (mix(seed + (pos >>> 3) * 0x9E3779B97F4A7C15L) >>> (8 * (pos & 7)));
        }
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static final class Client {
        private static final int CHUNK = 16 << 10;
        private final Syscalls sys;
        private final SockAddrIn target;
        private final int count;
        private final long bytes;
        private final byte[] tmp = new byte[BUF];

        Client(Syscalls sys, SockAddrIn target, int count, long bytes) {
            this.sys = sys;
            this.target = target;
            this.count = count;
            this.bytes = bytes;
        }

        int run() {
            int ep = sys.epollCreate1(Epoll.EPOLL_CLOEXEC);
            long buf = Libc.alloc(sys, BUF);
            long events = Libc.alloc(sys, (long) MAX_EVENTS * Epoll.EVENT_SIZE);
            List<Stream> streams = new ArrayList<>();
            int open = 0;
            for (int i = 0; i < count; i++) {
                int fd = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC, 0);
                Stream s = new Stream(i, fd, mix(0xEC40L + i));
                streams.add(s);
                try {
                    sys.connect(fd, target);
                    s.connected = true;
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINPROGRESS) {
                        fail(s, "cannot connect to " + target + ": " + e.errno() + " (" + e.errno().message() + ")");
                        continue;
                    }
                }
                sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, fd, new EpollEvent(Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP, i));
                open++;
            }
            while (open > 0) {
                int n = sys.epollWait(ep, events, MAX_EVENTS, IDLE_LIMIT_MS);
                if (n == 0) {
                    for (Stream s : streams) {
                        if (!s.done) {
                            fail(s, "no progress for " + IDLE_LIMIT_MS / 1000 + " s (sent " + s.sent + ", got back " + s.received + ")");
                        }
                    }
                    break;
                }
                for (int i = 0; i < n; i++) {
                    long at = events + (long) i * Epoll.EVENT_SIZE;
                    int ev = sys.loadInt(at);
                    Stream s = streams.get((int) sys.loadLong(at + 4));
                    if (!s.done) {
                        step(s, ev, ep, buf);
                        if (s.done) {
                            open--;
                        }
                    }
                }
            }
            sys.close(ep);
            long failed = streams.stream().filter(s -> s.failure != null).count();
            for (Stream s : streams) {
                if (s.failure != null) {
                    Libc.println(sys, 2, "epollecho: connection " + s.index + ": " + s.failure);
                }
            }
            String summary = String.format(Locale.ROOT, "epollecho: %d of %d connections to %s echoed all %d bytes (%d bytes in total)",
                    count - failed, count, target, bytes, (count - failed) * bytes);
            Libc.puts(sys, failed == 0 ? summary + ", every byte matched" : summary + "; " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }

        private void fail(Stream s, String why) {
            if (s.failure == null) {
                s.failure = why;
            }
            if (!s.done) {
                s.done = true;
                sys.close(s.fd);
            }
        }

        private void step(Stream s, int ev, int ep, long buf) {
            if (!s.connected) {
                int err = sys.getsockopt(s.fd, Socket.SOL_SOCKET, Socket.SO_ERROR);
                if (err != 0) {
                    Errno e = Errno.of(err);
                    fail(s, "cannot connect to " + target + ": " + e + " (" + e.message() + ")");
                    return;
                }
                if ((ev & Epoll.EPOLLOUT) == 0) {
                    return;
                }
                s.connected = true;
            }
            if ((ev & Epoll.EPOLLOUT) != 0 && s.sent < bytes) {
                send(s, ep, buf);
                if (s.done) {
                    return;
                }
            }
            if ((ev & (Epoll.EPOLLIN | Epoll.EPOLLHUP | Epoll.EPOLLERR | Epoll.EPOLLRDHUP)) != 0) {
                receive(s, buf);
            }
        }

        private void send(Stream s, int ep, long buf) {
            int len = (int) Math.min(CHUNK, bytes - s.sent);
            for (int j = 0; j < len; j++) {
                tmp[j] = s.at(s.sent + j);
            }
            sys.storeBytes(buf, tmp, 0, len);
            try {
                s.sent += sys.send(s.fd, buf, len, Socket.MSG_NOSIGNAL | Socket.MSG_DONTWAIT);
            } catch (ErrnoException e) {
                if (!again(e)) {
                    fail(s, "send after " + s.sent + " bytes: " + e.errno() + " (" + e.errno().message() + ")");
                }
                return;
            }
            if (s.sent == bytes) {
                sys.shutdown(s.fd, Socket.SHUT_WR);
                sys.epollCtl(ep, Epoll.EPOLL_CTL_MOD, s.fd, new EpollEvent(Epoll.EPOLLIN | Epoll.EPOLLRDHUP, s.index));
            }
        }

        private void receive(Stream s, long buf) {
            long n;
            try {
                n = sys.recv(s.fd, buf, BUF, Socket.MSG_DONTWAIT);
            } catch (ErrnoException e) {
                if (!again(e)) {
                    fail(s, "recv after " + s.received + " bytes: " + e.errno() + " (" + e.errno().message() + ")");
                }
                return;
            }
            if (n == 0) {
                if (s.received != bytes) {
                    fail(s, "the server closed the connection after echoing " + s.received + " of " + bytes + " bytes");
                } else {
                    s.done = true;
                    sys.close(s.fd);
                }
                return;
            }
            sys.loadBytes(buf, tmp, 0, (int) n);
            for (int j = 0; j < n; j++) {
                long pos = s.received + j;
                byte want = s.at(pos);
                if (pos >= bytes || tmp[j] != want) {
                    fail(s, pos >= bytes ? "more bytes came back than were sent (" + (s.received + n) + " > " + bytes + ")"
                            : String.format(Locale.ROOT, "byte %d came back as 0x%02x, sent 0x%02x", pos, tmp[j] & 0xFF, want & 0xFF));
                    return;
                }
            }
            s.received += n;
        }
    }
}
