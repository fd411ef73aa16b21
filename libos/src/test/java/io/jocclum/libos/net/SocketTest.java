package io.jocclum.libos.net;

import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Ioctls;
import io.jocclum.api.Poll;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;
import io.jocclum.libos.epoll.EpollEvents;
import io.jocclum.libos.epoll.PollCalls;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.Credentials;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.FileLayerTest;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.Seeds;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLOUT;
import static io.jocclum.api.Epoll.EPOLLRDHUP;
import static io.jocclum.api.Epoll.EPOLL_CTL_ADD;
import static io.jocclum.api.Epoll.EPOLL_CTL_DEL;
import static org.assertj.core.api.Assertions.assertThat;

/** Host TCP sockets over the real loopback interface (ephemeral ports). */
class SocketTest extends FileLayerTest {

    private SocketCalls s;

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        return null;
    }

    private SocketCalls net() {
        if (s == null) {
            s = sockets();
        }
        return s;
    }

    private int tcp(int flags) {
        return net().socket(c, Socket.AF_INET, Socket.SOCK_STREAM | flags, 0);
    }

    /** A listening socket on 127.0.0.1 with an ephemeral port. */
    private int listener() {
        int l = tcp(0);
        net().setsockopt(c, l, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
        net().bind(c, l, SockAddrIn.loopback(0));
        net().listen(c, l, 16);
        return l;
    }

    private SockAddrIn addr(int fd) {
        return SockAddrIn.loopback(net().getsockname(c, fd).port());
    }

    /** A connected pair: {client, server side}. */
    private int[] pair(int l) {
        int cl = tcp(0);
        net().connect(c, cl, addr(l));
        int sv = net().accept(c, l).fd();
        return new int[] {cl, sv};
    }

    private String recvAll(int fd, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (net().recv(c, fd, b, 0) == 0) {
                break;
            }
        }
        return string(b, b.position());
    }

    @Test
    void bindListenConnectAcceptSendRecv() {
        int l = listener();
        SockAddrIn local = net().getsockname(c, l);
        assertThat(local.address()).isEqualTo(Socket.INADDR_LOOPBACK);
        assertThat(local.port()).isPositive();
        assertThat(net().getsockopt(c, l, Socket.SOL_SOCKET, Socket.SO_ACCEPTCONN)).isEqualTo(1);
        int cl = tcp(0);
        net().connect(c, cl, addr(l));
        SocketCalls.Accepted a = net().accept(c, l);
        assertThat(a.peer()).isEqualTo(net().getsockname(c, cl));
        assertThat(net().getpeername(c, cl)).isEqualTo(local);
        assertThat(net().send(c, cl, bytes("ping"), 0)).isEqualTo(4);
        assertThat(recvAll(a.fd(), 4)).isEqualTo("ping");
        assertThat(FileCalls.write(c, a.fd(), bytes("pong"))).as("write(2) on a socket").isEqualTo(4);
        ByteBuffer b = ByteBuffer.allocate(4);
        while (b.hasRemaining()) {
            FileCalls.read(c, cl, b);
        }
        assertThat(string(b, 4)).isEqualTo("pong");
        assertThat(FileCalls.fstat(c, cl).type()).isEqualTo(io.jocclum.api.FileMode.S_IFSOCK);
        assertThat(errno(() -> FileCalls.lseek(c, cl, 0, 0))).isEqualTo(Errno.ESPIPE);
    }

    @Test
    void nonBlockingConnectGivesEinprogressThenOutThroughEpoll() {
        int l = listener();
        int cl = tcp(Socket.SOCK_NONBLOCK);
        Errno e = errno(() -> net().connect(c, cl, addr(l)));
        assertThat(e).as("loopback may connect at once, else EINPROGRESS").isIn(null, Errno.EINPROGRESS);
        int ep = epolls.epollCreate1(c, 0);
        epolls.epollCtl(c, ep, EPOLL_CTL_ADD, cl, new EpollEvent(EPOLLOUT, 1));
        EpollEvents ev = new EpollEvents(1);
        assertThat(epolls.epollWait(c, ep, ev, 1, -1)).isEqualTo(1);
        assertThat(ev.events(0) & EPOLLOUT).isNotZero();
        assertThat(net().getsockopt(c, cl, Socket.SOL_SOCKET, Socket.SO_ERROR)).isZero();
        assertThat(errno(() -> net().connect(c, cl, addr(l)))).isEqualTo(Errno.EISCONN);
        int a = net().accept4(c, l, Socket.SOCK_NONBLOCK).fd();
        assertThat(FileCalls.fcntl(c, a, io.jocclum.api.Fcntl.F_GETFL, 0) & io.jocclum.api.OpenFlags.O_NONBLOCK)
                .as("SOCK_NONBLOCK applies to the accepted socket").isNotZero();
    }

    @Test
    void refusedConnections() {
        int l = listener();
        SockAddrIn dead = addr(l);
        FileCalls.close(c, l); // nobody listens there any more
        int cl = tcp(0);
        assertThat(errno(() -> net().connect(c, cl, dead))).isEqualTo(Errno.ECONNREFUSED);
        int nb = tcp(Socket.SOCK_NONBLOCK);
        Errno e = errno(() -> net().connect(c, nb, dead));
        if (e == Errno.EINPROGRESS) {
            int[] rev = new int[1];
            PollCalls.poll(c, 1, new int[] {nb}, new int[] {Poll.POLLOUT}, rev, -1);
            assertThat(rev[0] & (Poll.POLLERR | Poll.POLLHUP)).isEqualTo(Poll.POLLERR | Poll.POLLHUP);
            assertThat(net().getsockopt(c, nb, Socket.SOL_SOCKET, Socket.SO_ERROR)).isEqualTo(Errno.ECONNREFUSED.number());
            assertThat(net().getsockopt(c, nb, Socket.SOL_SOCKET, Socket.SO_ERROR)).as("SO_ERROR clears").isZero();
            assertThat(c.files().get(nb).poll() & IoEvents.ERR).isZero();
        } else {
            assertThat(e).isEqualTo(Errno.ECONNREFUSED);
        }
    }

    @Test
    void neverConnectedSocketPollsOutAndHupSoSelectSeesItReadableAndWritable() {
        int fd = tcp(0);
        int[] rev = new int[1];
        PollCalls.poll(c, 1, new int[] {fd}, new int[] {Poll.POLLIN | Poll.POLLOUT}, rev, 0);
        assertThat(rev[0]).isEqualTo(Poll.POLLOUT | Poll.POLLHUP);
        long[] r = {1L << fd};
        long[] w = {1L << fd};
        assertThat(PollCalls.select(c, fd + 1, r, w, null, 0).ready()).isEqualTo(2);
    }

    @Test
    void peerShutdownGivesEofAndRdhupAndEveryArrivalIsAnEdge() {
        int l = listener();
        int[] p = pair(l);
        int ep = epolls.epollCreate1(c, 0);
        epolls.epollCtl(c, ep, EPOLL_CTL_ADD, p[1], new EpollEvent(EPOLLIN | EPOLLRDHUP | EPOLLET, 7));
        EpollEvents ev = new EpollEvents(1);
        net().send(c, p[0], bytes("a"), 0);
        assertThat(epolls.epollWait(c, ep, ev, 1, -1)).isEqualTo(1);
        assertThat(ev.events(0)).isEqualTo(EPOLLIN);
        net().send(c, p[0], bytes("b"), 0);
        assertThat(epolls.epollWait(c, ep, ev, 1, -1)).as("a new arrival is a new edge").isEqualTo(1);
        ByteBuffer arg = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        FileCalls.ioctl(c, p[1], Ioctls.FIONREAD, arg);
        assertThat(arg.getInt(0)).as("FIONREAD: queued bytes (data may still be in flight)").isBetween(0, 2);
        net().shutdown(c, p[0], Socket.SHUT_WR);
        do {
            assertThat(epolls.epollWait(c, ep, ev, 1, -1)).isEqualTo(1);
        } while ((ev.events(0) & EPOLLRDHUP) == 0);
        assertThat(recvAll(p[1], 10)).isEqualTo("ab");
        assertThat(net().recv(c, p[1], ByteBuffer.allocate(1), 0)).as("EOF stays").isZero();
        assertThat(net().send(c, p[1], bytes("still open"), 0)).as("half-closed: the other way works").isEqualTo(10);
        assertThat(recvAll(p[0], 10)).isEqualTo("still open");
        assertThat(errno(() -> net().send(c, p[0], bytes("x"), Socket.MSG_NOSIGNAL))).isEqualTo(Errno.EPIPE);
    }

    @Test
    void blockingRecvIsWokenByArrivingDataAndInterruptedBySignals() {
        int l = listener();
        int[] p = pair(l);
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        AtomicReference<Object> out = new AtomicReference<>();
        Thread r = vthread("recv", () -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(16);
                int n = net().recv(t, p[1], b, 0);
                out.set(string(b, n));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> Quiesce.parked(r) && c.files().get(p[1]).notifier().size() == 1, "recv parked");
        net().send(c, p[0], bytes("hello"), 0);
        Quiesce.join(r);
        assertThat(out.get()).isEqualTo("hello");
        Thread r2 = vthread("recv2", () -> {
            try {
                out.set(net().recv(t, p[1], ByteBuffer.allocate(1), 0));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> Quiesce.parked(r2) && c.files().get(p[1]).notifier().size() == 1, "recv parked");
        sig.deliver(14, t.waiter());
        Quiesce.join(r2);
        assertThat(out.get()).isEqualTo(Errno.ERESTARTSYS);
    }

    @Test
    void sendToAClosedPeerEndsWithEpipeAndSigpipeOrReset() {
        int l = listener();
        int[] p = pair(l);
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        FileCalls.close(c, p[1]);
        Errno e = null;
        for (int i = 0; i < 10_000 && e == null; i++) {
            e = errno(() -> net().send(t, p[0], ByteBuffer.allocate(1000), 0));
        }
        assertThat(e).isIn(Errno.EPIPE, Errno.ECONNRESET);
        if (e == Errno.EPIPE) {
            assertThat(sig.sigpipes.get()).isPositive();
        }
    }

    @Test
    void largeTransfersWithFlowControl() {
        int l = listener();
        int[] p = pair(l);
        byte[] data = new byte[3 << 20];
        new SplittableRandom(Seeds.seed("SocketTest.largeTransfers")).nextBytes(data);
        Caller t = thread(c, new TestSignals());
        Thread w = vthread("sender", () -> assertThat(net().send(t, p[0], ByteBuffer.wrap(data), 0)).isEqualTo(data.length));
        ByteBuffer got = ByteBuffer.allocate(data.length);
        while (got.hasRemaining()) {
            net().recv(c, p[1], got, 0);
        }
        Quiesce.join(w);
        assertThat(got.array()).isEqualTo(data);
        ByteBuffer all = ByteBuffer.allocate(10);
        net().send(c, p[0], bytes("0123456789"), 0);
        assertThat(net().recv(c, p[1], ByteBuffer.allocate(4), Socket.MSG_PEEK)).isGreaterThan(0);
        assertThat(net().recv(c, p[1], all, Socket.MSG_WAITALL)).as("MSG_WAITALL fills the buffer").isEqualTo(10);
        assertThat(string(all, 10)).as("peek did not consume").isEqualTo("0123456789");
    }

    @Test
    void socketOptions() {
        int fd = tcp(0);
        assertThat(net().getsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_TYPE)).isEqualTo(Socket.SOCK_STREAM);
        net().setsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
        assertThat(net().getsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_REUSEADDR)).isEqualTo(1);
        net().setsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_RCVBUF, 65536);
        assertThat(net().getsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_RCVBUF)).as("Linux doubles it").isEqualTo(131072);
        int l = listener();
        net().connect(c, fd, addr(l));
        assertThat(net().getsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_RCVBUF)).as("applied to the host socket")
                .isGreaterThanOrEqualTo(65536);
        net().setsockopt(c, fd, Socket.IPPROTO_TCP, Socket.TCP_NODELAY, 1);
        assertThat(net().getsockopt(c, fd, Socket.IPPROTO_TCP, Socket.TCP_NODELAY)).isEqualTo(1);
        net().setsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_KEEPALIVE, 1);
        assertThat(net().getsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_KEEPALIVE)).isEqualTo(1);
        net().setsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_SNDBUF, 32768);
        assertThat(net().getsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_SNDBUF)).isGreaterThanOrEqualTo(32768);
        assertThat(errno(() -> net().setsockopt(c, fd, Socket.SOL_SOCKET, 999, 1))).isEqualTo(Errno.ENOPROTOOPT);
        assertThat(errno(() -> net().getsockopt(c, fd, 99, 1))).isEqualTo(Errno.ENOPROTOOPT);
        assertThat(errno(() -> net().setsockopt(c, fd, Socket.SOL_SOCKET, Socket.SO_TYPE, 1))).isEqualTo(Errno.ENOPROTOOPT);
    }

    @Test
    void errnos() {
        assertThat(errno(() -> net().socket(c, Socket.AF_UNIX, Socket.SOCK_STREAM, 0))).isEqualTo(Errno.EAFNOSUPPORT);
        assertThat(errno(() -> net().socket(c, Socket.AF_INET, Socket.SOCK_DGRAM, 0))).isEqualTo(Errno.ESOCKTNOSUPPORT);
        assertThat(errno(() -> net().socket(c, Socket.AF_INET, Socket.SOCK_STREAM, Socket.IPPROTO_UDP))).isEqualTo(Errno.EPROTONOSUPPORT);
        assertThat(errno(() -> net().socket(c, Socket.AF_INET, Socket.SOCK_STREAM | 0x10000, 0))).isEqualTo(Errno.EINVAL);
        int[] p = pipes.pipe(c);
        assertThat(errno(() -> net().listen(c, p[0], 1))).isEqualTo(Errno.ENOTSOCK);
        assertThat(errno(() -> net().listen(c, 99, 1))).isEqualTo(Errno.EBADF);
        int l = listener();
        int fd = tcp(0);
        assertThat(errno(() -> net().getpeername(c, fd))).isEqualTo(Errno.ENOTCONN);
        assertThat(errno(() -> net().recv(c, fd, ByteBuffer.allocate(1), 0))).isEqualTo(Errno.ENOTCONN);
        assertThat(errno(() -> net().shutdown(c, fd, Socket.SHUT_RDWR))).isEqualTo(Errno.ENOTCONN);
        assertThat(errno(() -> net().send(c, fd, bytes("x"), Socket.MSG_NOSIGNAL))).isEqualTo(Errno.EPIPE);
        assertThat(errno(() -> net().accept(c, fd))).as("not listening").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> net().accept4(c, l, 0x40))).isEqualTo(Errno.EINVAL);
        FileCalls.fcntl(c, l, io.jocclum.api.Fcntl.F_SETFL, io.jocclum.api.OpenFlags.O_NONBLOCK);
        assertThat(errno(() -> net().accept4(c, l, 0))).as("non-blocking listener, nothing pending").isEqualTo(Errno.EAGAIN);
    }

    @Test
    void bindErrnos() {
        int l = listener();
        int other = tcp(0);
        assertThat(errno(() -> net().bind(c, other, addr(l)))).isEqualTo(Errno.EADDRINUSE);
        int fd = tcp(0);
        net().bind(c, fd, new SockAddrIn(Socket.INADDR_ANY, 0));
        assertThat(net().getsockname(c, fd).address()).as("INADDR_ANY stays as bound").isZero();
        assertThat(errno(() -> net().bind(c, fd, SockAddrIn.loopback(0)))).isEqualTo(Errno.EINVAL);
        int x = tcp(0);
        assertThat(errno(() -> net().bind(c, x, new SockAddrIn(0x0a000001, 0)))).isEqualTo(Errno.EADDRNOTAVAIL);
        assertThat(errno(() -> net().connect(c, x, new SockAddrIn(0x08080808, 53)))).isEqualTo(Errno.ENETUNREACH);
        Caller user = c.withCredentials(new Credentials(1000, 1000));
        assertThat(errno(() -> net().bind(user, x, SockAddrIn.loopback(80)))).isEqualTo(Errno.EACCES);
        assertThat(errno(() -> net().shutdown(c, x, 7))).isEqualTo(Errno.EINVAL);
    }

    /** An epoll echo server (the shape of the epollecho program) serving many clients at once. */
    @Test
    void epollEchoServerServesManyClients() {
        int l = listener();
        net().setsockopt(c, l, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
        int lfd = l;
        long seed = Seeds.seed("SocketTest.echo");
        int clients = 24;
        Caller server = thread(c, new TestSignals());
        Thread srv = vthread("echo-server", () -> {
            int ep = epolls.epollCreate1(server, 0);
            epolls.epollCtl(server, ep, EPOLL_CTL_ADD, lfd, new EpollEvent(EPOLLIN, -1));
            EpollEvents ev = new EpollEvents(32);
            ByteBuffer buf = ByteBuffer.allocate(4096);
            int done = 0;
            while (done < clients) {
                int n = epolls.epollWait(server, ep, ev, 32, -1);
                for (int i = 0; i < n; i++) {
                    int fd = (int) ev.data(i);
                    if (fd == -1) {
                        int a = net().accept4(server, lfd, 0).fd();
                        epolls.epollCtl(server, ep, EPOLL_CTL_ADD, a, new EpollEvent(EPOLLIN | EPOLLRDHUP, a));
                        continue;
                    }
                    for (;;) {
                        buf.clear();
                        int r;
                        try {
                            r = net().recv(server, fd, buf, Socket.MSG_DONTWAIT);
                        } catch (ErrnoException e) {
                            break; // EAGAIN
                        }
                        if (r == 0) {
                            epolls.epollCtl(server, ep, EPOLL_CTL_DEL, fd, null);
                            FileCalls.close(server, fd);
                            done++;
                            break;
                        }
                        buf.flip();
                        net().send(server, fd, buf, 0); // blocking send of the whole echo
                    }
                }
            }
            FileCalls.close(server, ep);
        });
        List<Thread> cs = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int k = 0; k < clients; k++) {
            long cseed = rnd.nextLong();
            Caller cc = thread(c, new TestSignals());
            cs.add(vthread("client-" + k, () -> {
                try {
                    SplittableRandom r = new SplittableRandom(cseed);
                    int fd = net().socket(cc, Socket.AF_INET, Socket.SOCK_STREAM, 0);
                    net().connect(cc, fd, SockAddrIn.loopback(net().getsockname(cc, lfd).port()));
                    for (int m = 0; m < 5; m++) {
                        byte[] msg = new byte[1 + r.nextInt(20_000)];
                        r.nextBytes(msg);
                        Thread sender = Thread.ofVirtual().start(() -> net().send(cc, fd, ByteBuffer.wrap(msg), 0));
                        ByteBuffer back = ByteBuffer.allocate(msg.length);
                        while (back.hasRemaining()) {
                            if (net().recv(cc, fd, back, 0) == 0) {
                                throw new AssertionError("early EOF");
                            }
                        }
                        Quiesce.join(sender);
                        if (!java.util.Arrays.equals(back.array(), msg)) {
                            throw new AssertionError("echo differs");
                        }
                    }
                    FileCalls.close(cc, fd);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        cs.forEach(Quiesce::join);
        Quiesce.join(srv);
        assertThat(failures).as("seed " + seed).isEmpty();
    }

    @Test
    void oneHostPollerServesEverySocket() {
        int l = listener();
        pair(l);
        pair(l);
        long pollers = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("jocclum-host-poller")).count();
        assertThat(pollers).isEqualTo(1);
        assertThat(hostNetwork().registeredChannels()).as("listener + 2 clients + 2 accepted").isEqualTo(5);
    }
}
