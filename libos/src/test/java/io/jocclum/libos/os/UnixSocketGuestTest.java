package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.FileMode;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.SockAddrUn;
import io.jocclum.api.Socket;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Ucred;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.fionread;
import static io.jocclum.libos.os.GuestOps.poll;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * AF_UNIX sockets through the guest API, judged against unix(7), socketpair(2), sendmsg(2),
 * recvmsg(2), cmsg(3) and net/unix/af_unix.c: stream, datagram and seqpacket sockets, path and
 * abstract names, SCM_RIGHTS between threads and between processes, poll and epoll readiness.
 */
class UnixSocketGuestTest extends OsTestBase {

    // ------------------------------------------------------------------ msghdr helpers (guest memory)

    /** What {@link #recvmsg} got. */
    record Msg(byte[] data, long n, int[] fds, int flags, SockAddrUn from, long controllen) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** sendmsg of {@code data} with {@code fds} as one SCM_RIGHTS message, to {@code dest} (null: none). */
    static long sendmsg(Syscalls sys, int fd, byte[] data, int[] fds, SockAddrUn dest, int flags) {
        long m = Libc.alloc(sys, 4096);
        long iov = m + 64;
        long buf = m + 128;
        long name = m + 1024;
        long ctl = m + 2048;
        sys.storeBytes(buf, data, 0, data.length);
        sys.storeLong(iov, buf);
        sys.storeLong(iov + 8, data.length);
        sys.storeLong(m + Socket.MSGHDR_NAME, dest == null ? 0 : name);
        if (dest != null) {
            byte[] p = dest.sunPath();
            sys.storeByte(name, (byte) Socket.AF_UNIX);
            sys.storeByte(name + 1, (byte) 0);
            sys.storeBytes(name + 2, p, 0, p.length);
            sys.storeInt(m + Socket.MSGHDR_NAMELEN, dest.length());
        }
        sys.storeLong(m + Socket.MSGHDR_IOV, iov);
        sys.storeLong(m + Socket.MSGHDR_IOVLEN, 1);
        if (fds != null) {
            sys.storeLong(ctl, Socket.cmsgLen(4L * fds.length));
            sys.storeInt(ctl + 8, Socket.SOL_SOCKET);
            sys.storeInt(ctl + 12, Socket.SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                sys.storeInt(ctl + Socket.CMSGHDR_SIZE + 4L * i, fds[i]);
            }
            sys.storeLong(m + Socket.MSGHDR_CONTROL, ctl);
            sys.storeLong(m + Socket.MSGHDR_CONTROLLEN, Socket.cmsgSpace(4L * fds.length));
        }
        try {
            return sys.sendmsg(fd, m, flags);
        } finally {
            Libc.free(sys, m, 4096);
        }
    }

    /** recvmsg into a {@code max}-byte buffer with a {@code controlLen}-byte control buffer and room for a name. */
    static Msg recvmsg(Syscalls sys, int fd, int max, long controlLen, int flags) {
        long m = Libc.alloc(sys, 8192);
        long iov = m + 64;
        long name = m + 128;
        long ctl = m + 512;
        long buf = m + 4096;
        sys.storeLong(iov, buf);
        sys.storeLong(iov + 8, max);
        sys.storeLong(m + Socket.MSGHDR_NAME, name);
        sys.storeInt(m + Socket.MSGHDR_NAMELEN, Socket.SOCKADDR_UN_SIZE);
        sys.storeLong(m + Socket.MSGHDR_IOV, iov);
        sys.storeLong(m + Socket.MSGHDR_IOVLEN, 1);
        sys.storeLong(m + Socket.MSGHDR_CONTROL, controlLen == 0 ? 0 : ctl);
        sys.storeLong(m + Socket.MSGHDR_CONTROLLEN, controlLen);
        sys.storeInt(m + Socket.MSGHDR_FLAGS, 0x5555);
        try {
            long n = sys.recvmsg(fd, m, flags);
            byte[] d = new byte[(int) Math.min(n, max)];
            sys.loadBytes(buf, d, 0, d.length);
            long cl = sys.loadLong(m + Socket.MSGHDR_CONTROLLEN);
            int[] fds = new int[0];
            if (cl >= Socket.CMSGHDR_SIZE) {
                assertThat(sys.loadInt(ctl + 8)).isEqualTo(Socket.SOL_SOCKET);
                assertThat(sys.loadInt(ctl + 12)).isEqualTo(Socket.SCM_RIGHTS);
                fds = new int[(int) ((sys.loadLong(ctl) - Socket.CMSGHDR_SIZE) / 4)];
                for (int i = 0; i < fds.length; i++) {
                    fds[i] = sys.loadInt(ctl + Socket.CMSGHDR_SIZE + 4L * i);
                }
            }
            int nl = sys.loadInt(m + Socket.MSGHDR_NAMELEN);
            byte[] nb = new byte[Math.max(0, nl - 2)];
            sys.loadBytes(name + 2, nb, 0, nb.length);
            SockAddrUn from = nl <= 2 ? SockAddrUn.unnamed() : SockAddrUn.ofSunPath(nb);
            return new Msg(d, n, fds, sys.loadInt(m + Socket.MSGHDR_FLAGS), from, cl);
        } finally {
            Libc.free(sys, m, 8192);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ socketpair

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void socketpairStreamCarriesBytesBothWaysAndEndsLikeLinux(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int[] sv = sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM | Socket.SOCK_CLOEXEC, 0);
            assertThat(sys.fcntl(sv[0], Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
            assertThat(sys.fstat(sv[0]).mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFSOCK);
            assertThat(sys.getsockopt(sv[0], Socket.SOL_SOCKET, Socket.SO_TYPE)).isEqualTo(Socket.SOCK_STREAM);
            assertThat(sys.getsockopt(sv[0], Socket.SOL_SOCKET, Socket.SO_DOMAIN)).isEqualTo(Socket.AF_UNIX);
            assertThat(poll(sys, sv[0], Poll.POLLIN | Poll.POLLOUT, 0)).as("connected, empty").isEqualTo(Poll.POLLOUT);
            assertThat(write(sys, sv[0], bytes("hello "))).isEqualTo(6);
            assertThat(write(sys, sv[0], bytes("world"))).isEqualTo(5);
            assertThat(fionread(sys, sv[1])).isEqualTo(11);
            assertThat(poll(sys, sv[1], Poll.POLLIN, 0)).isEqualTo(Poll.POLLIN);
            assertThat(new String(read(sys, sv[1], 100))).as("a stream joins writes").isEqualTo("hello world");
            assertThat(write(sys, sv[1], bytes("back"))).isEqualTo(4);
            assertThat(new String(read(sys, sv[0], 2))).isEqualTo("ba");
            assertThat(new String(read(sys, sv[0], 10))).isEqualTo("ck");
            assertThat(sys.getsocknameUnix(sv[0]).isUnnamed()).isTrue();
            assertThat(sys.getpeernameUnix(sv[0]).isUnnamed()).isTrue();
            assertThat(sys.getpeercred(sv[0])).isEqualTo(new Ucred(sys.getpid(), 0, 0));
            assertThat(errno(() -> sys.getsockname(sv[0]))).as("not an AF_INET socket").isEqualTo(Errno.EAFNOSUPPORT);
            long one = Libc.alloc(sys, 16);
            assertThat(errno(() -> sys.send(sv[0], one, 1, Socket.MSG_OOB))).isEqualTo(Errno.EOPNOTSUPP);
            assertThat(errno(() -> sys.recv(sv[1], one, 1, Socket.MSG_OOB))).isEqualTo(Errno.EOPNOTSUPP);
            assertThat(errno(() -> sys.recv(sv[1], one, 1, Socket.MSG_DONTWAIT))).isEqualTo(Errno.EAGAIN);

            // shutdown(SHUT_WR): the peer reads EOF after the data, sees RDHUP; we get EPIPE
            sys.sigaction(Signal.SIGPIPE, SigAction.IGNORE);
            write(sys, sv[0], bytes("last"));
            sys.shutdown(sv[0], Socket.SHUT_WR);
            assertThat(poll(sys, sv[1], Poll.POLLIN | Poll.POLLRDHUP, 0)).isEqualTo(Poll.POLLIN | Poll.POLLRDHUP);
            assertThat(new String(read(sys, sv[1], 100))).isEqualTo("last");
            assertThat(read(sys, sv[1], 100)).as("EOF").isEmpty();
            assertThat(errno(() -> write(sys, sv[0], bytes("x")))).isEqualTo(Errno.EPIPE);
            assertThat(sys.sigpending() & Signal.bit(Signal.SIGPIPE)).as("ignored SIGPIPE is not pending").isZero();
            assertThat(write(sys, sv[1], bytes("still"))).as("the other direction stays open").isEqualTo(5);
            assertThat(errno(() -> sys.shutdown(sv[0], 3))).isEqualTo(Errno.EINVAL);

            // close with unread data: the peer gets ECONNRESET once, then EOF; its writes fail with EPIPE
            sys.close(sv[0]);
            assertThat(poll(sys, sv[1], Poll.POLLIN, 0) & (Poll.POLLHUP | Poll.POLLERR)).isEqualTo(Poll.POLLHUP | Poll.POLLERR);
            assertThat(errno(() -> read(sys, sv[1], 100))).isEqualTo(Errno.ECONNRESET);
            assertThat(read(sys, sv[1], 100)).isEmpty();
            assertThat(errno(() -> write(sys, sv[1], bytes("x")))).isEqualTo(Errno.EPIPE);
            sys.close(sv[1]);

            assertThat(errno(() -> sys.socketpair(Socket.AF_INET, Socket.SOCK_STREAM, 0))).isEqualTo(Errno.EOPNOTSUPP);
            assertThat(errno(() -> sys.socketpair(42, Socket.SOCK_STREAM, 0))).isEqualTo(Errno.EAFNOSUPPORT);
            assertThat(errno(() -> sys.socketpair(Socket.AF_UNIX, 4, 0))).isEqualTo(Errno.ESOCKTNOSUPPORT);
            assertThat(errno(() -> sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM, 6))).isEqualTo(Errno.EPROTONOSUPPORT);
            assertThat(errno(() -> sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM | 0x100, 0))).isEqualTo(Errno.EINVAL);
            sys.sigaction(Signal.SIGPIPE, SigAction.DEFAULT);
            return 0;
        }).assertOk();
    }

    @Test
    void aFullSocketBlocksOrSaysEagainAndEpollSeesRoomComeBack() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int[] sv = sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK, 0);
            long buf = Libc.alloc(sys, 65536);
            long total = 0;
            for (;;) {
                try {
                    total += sys.write(sv[0], buf, 65536);
                } catch (io.jocclum.api.ErrnoException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                    break;
                }
            }
            assertThat(total).as("the peer's queue limit").isEqualTo(212_992);
            assertThat(poll(sys, sv[0], Poll.POLLOUT, 0)).as("full: not writable").isZero();
            int ep = sys.epollCreate1(0);
            GuestOps.add(sys, ep, sv[0], Epoll.EPOLLOUT, 7);
            long evs = Libc.alloc(sys, 4096);
            assertThat(sys.epollWait(ep, evs, 4, 0)).isZero();
            // a blocking reader thread drains; the epoll waiter wakes when room comes back
            int reader = sys.threadCreate(t -> {
                long b = Libc.alloc(t, 65536);
                long got = 0;
                while (got < 100_000) {
                    got += t.read(sv[1], b, 65536);
                }
                return got;
            });
            assertThat(sys.epollWait(ep, evs, 4, -1)).isEqualTo(1);
            assertThat(sys.loadLong(evs + 4)).isEqualTo(7);
            assertThat(sys.threadJoin(reader)).isGreaterThanOrEqualTo(100_000);
            sys.close(ep);
            sys.close(sv[0]);
            sys.close(sv[1]);
            return 0;
        }).assertOk();
    }

    // ------------------------------------------------------------------ names, listen, connect

    @Test
    void pathNamesAreSocketFilesWithLinuxErrnos() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            assertThat(errno(() -> sys.listen(l, 5))).as("listen unbound").isEqualTo(Errno.EINVAL);
            SockAddrUn path = SockAddrUn.path("/tmp/srv.sock");
            sys.bind(l, path);
            assertThat(sys.stat("/tmp/srv.sock").mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFSOCK);
            assertThat(errno(() -> sys.open("/tmp/srv.sock", OpenFlags.O_RDWR, 0))).isEqualTo(Errno.ENXIO);
            assertThat(errno(() -> sys.bind(l, SockAddrUn.path("/tmp/other.sock")))).as("bound twice").isEqualTo(Errno.EINVAL);
            int l2 = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            assertThat(errno(() -> sys.bind(l2, path))).isEqualTo(Errno.EADDRINUSE);
            int f = sys.open("/tmp/plain", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0600);
            sys.close(f);
            assertThat(errno(() -> sys.bind(l2, SockAddrUn.path("/tmp/plain")))).isEqualTo(Errno.EADDRINUSE);
            assertThat(errno(() -> sys.bind(l2, SockAddrUn.path("/tmp/no/dir/s")))).isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> sys.bind(l2, SockAddrUn.path("/proc/s")))).as("a file system without socket files")
                    .isEqualTo(Errno.EPERM);
            assertThat(errno(() -> sys.bind(l2, SockAddrUn.path("/tmp/" + "x".repeat(120))))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.bind(l2, (SockAddrUn) null))).isEqualTo(Errno.EFAULT);
            assertThat(errno(() -> sys.bind(l2, new SockAddrIn(0, 0)))).isEqualTo(Errno.EINVAL);

            int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            assertThat(errno(() -> sys.connect(c, path))).as("bound but not listening").isEqualTo(Errno.ECONNREFUSED);
            assertThat(errno(() -> sys.connect(c, SockAddrUn.path("/tmp/none")))).isEqualTo(Errno.ENOENT);
            assertThat(errno(() -> sys.connect(c, SockAddrUn.path("/tmp/plain")))).isEqualTo(Errno.ECONNREFUSED);
            assertThat(errno(() -> sys.recv(c, Libc.alloc(sys, 16), 16, 0))).as("recv unconnected").isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> write(sys, c, bytes("x")))).isEqualTo(Errno.ENOTCONN);
            assertThat(errno(() -> sys.getpeernameUnix(c))).isEqualTo(Errno.ENOTCONN);
            assertThat(poll(sys, c, Poll.POLLIN | Poll.POLLOUT, 0)).as("unconnected stream").isEqualTo(Poll.POLLOUT | Poll.POLLHUP);
            sys.listen(l, 1);
            assertThat(sys.getsockopt(l, Socket.SOL_SOCKET, Socket.SO_ACCEPTCONN)).isEqualTo(1);
            int d = sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM, 0);
            assertThat(errno(() -> sys.connect(d, path))).isEqualTo(Errno.EPROTOTYPE);
            assertThat(errno(() -> sys.listen(d, 1))).isEqualTo(Errno.EOPNOTSUPP);
            assertThat(errno(() -> sys.accept(c))).as("accept on a socket that does not listen").isEqualTo(Errno.EINVAL);

            sys.connect(c, path);
            assertThat(errno(() -> sys.connect(c, path))).isEqualTo(Errno.EISCONN);
            assertThat(errno(() -> sys.sendto(c, 0, 0, 0, path))).isEqualTo(Errno.EISCONN);
            assertThat(write(sys, c, bytes("before accept"))).as("the client may send before accept").isEqualTo(13);
            assertThat(poll(sys, l, Poll.POLLIN, 0)).isEqualTo(Poll.POLLIN);
            int a = sys.accept4(l, Socket.SOCK_NONBLOCK);
            assertThat(sys.fcntl(a, Fcntl.F_GETFL, 0) & OpenFlags.O_NONBLOCK).isNotZero();
            assertThat(new String(read(sys, a, 100))).isEqualTo("before accept");
            assertThat(sys.getsocknameUnix(a)).as("the accepted socket has the listener's name").isEqualTo(path);
            assertThat(sys.getpeernameUnix(c)).isEqualTo(path);
            assertThat(sys.getpeernameUnix(a).isUnnamed()).isTrue();
            assertThat(sys.getsocknameUnix(l).path()).isEqualTo("/tmp/srv.sock");
            assertThat(sys.getpeercred(a).pid()).isEqualTo(sys.getpid());
            assertThat(sys.getpeercred(l)).as("never connected").isEqualTo(new Ucred(0, -1, -1));

            // a full backlog (1 + 1) makes a non-blocking connect fail with EAGAIN
            int[] more = new int[3];
            for (int i = 0; i < 3; i++) {
                more[i] = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK, 0);
            }
            sys.connect(more[0], path);
            sys.connect(more[1], path);
            assertThat(errno(() -> sys.connect(more[2], path))).isEqualTo(Errno.EAGAIN);
            int nl = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK, 0);
            sys.bind(nl, SockAddrUn.path("/tmp/empty.sock"));
            sys.listen(nl, 3);
            assertThat(errno(() -> sys.accept(nl))).isEqualTo(Errno.EAGAIN);

            // closing the listener resets the queued connections; the file stays, connect is refused
            sys.close(l);
            assertThat(errno(() -> read(sys, more[0], 10))).isEqualTo(Errno.ECONNRESET);
            assertThat(sys.stat("/tmp/srv.sock").mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFSOCK);
            assertThat(errno(() -> sys.connect(more[2], path))).isEqualTo(Errno.ECONNREFUSED);
            sys.unlink("/tmp/srv.sock");
            assertThat(errno(() -> sys.connect(more[2], path))).isEqualTo(Errno.ENOENT);
            int l3 = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.bind(l3, path);
            for (int fd : new int[] {l2, c, d, a, more[0], more[1], more[2], nl, l3}) {
                sys.close(fd);
            }
            sys.unlink("/tmp/srv.sock");
            sys.unlink("/tmp/empty.sock");
            sys.unlink("/tmp/plain");
            return 0;
        }).assertOk();
    }

    @Test
    void abstractNamesVanishWithTheirSocketAndAutobindPicksOne() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            SockAddrUn name = SockAddrUn.abstractName("jocclum-test");
            int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_SEQPACKET, 0);
            sys.bind(l, name);
            assertThat(sys.getsocknameUnix(l)).isEqualTo(name);
            assertThat(sys.getsocknameUnix(l).length()).isEqualTo(2 + 1 + 12);
            int l2 = sys.socket(Socket.AF_UNIX, Socket.SOCK_SEQPACKET, 0);
            assertThat(errno(() -> sys.bind(l2, name))).isEqualTo(Errno.EADDRINUSE);
            sys.listen(l, 4);
            int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_SEQPACKET, 0);
            sys.connect(c, name);
            int a = sys.accept(l);
            // seqpacket keeps record boundaries and truncates
            write(sys, c, bytes("first record"));
            write(sys, c, bytes("second"));
            Msg r = recvmsg(sys, a, 5, 0, 0);
            assertThat(r.text()).isEqualTo("first");
            assertThat(r.flags() & Socket.MSG_TRUNC).as("the rest of the record is discarded").isNotZero();
            assertThat(new String(read(sys, a, 100))).isEqualTo("second");
            sys.close(c);
            assertThat(read(sys, a, 100)).as("EOF").isEmpty();
            sys.close(l);
            sys.bind(l2, name); // free again once the socket is closed
            int auto = sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM, 0);
            sys.bind(auto, SockAddrUn.unnamed());
            SockAddrUn got = sys.getsocknameUnix(auto);
            assertThat(got.isAbstract()).isTrue();
            assertThat(got.length()).as("a NUL and five hex digits").isEqualTo(8);
            assertThat(new String(got.sunPath(), 1, 5, StandardCharsets.US_ASCII)).matches("[0-9a-f]{5}");
            assertThat(errno(() -> sys.connect(sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM, 0), SockAddrUn.abstractName("nobody"))))
                    .isEqualTo(Errno.ECONNREFUSED);
            for (int fd : new int[] {l2, a, auto}) {
                sys.close(fd);
            }
            return 0;
        }).assertOk();
    }

    @Test
    void datagramsKeepBoundariesNameTheirSenderAndFollowTheQueueRules() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            SockAddrUn an = SockAddrUn.path("/tmp/dg.a");
            SockAddrUn bn = SockAddrUn.abstractName("dg.b");
            int a = sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM | Socket.SOCK_NONBLOCK, 0);
            int b = sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM | Socket.SOCK_NONBLOCK, 0);
            sys.bind(a, an);
            sys.bind(b, bn);
            long buf = Libc.alloc(sys, 4096);
            sys.storeBytes(buf, bytes("ping"), 0, 4);
            assertThat(errno(() -> sys.send(a, buf, 4, 0))).as("no destination").isEqualTo(Errno.ENOTCONN);
            assertThat(sys.sendto(a, buf, 4, 0, bn)).isEqualTo(4);
            assertThat(sendmsg(sys, a, bytes("pong!"), null, bn, 0)).isEqualTo(5);
            assertThat(fionread(sys, b)).as("the next datagram's size").isEqualTo(4);
            Msg r = recvmsg(sys, b, 100, 0, 0);
            assertThat(r.text()).isEqualTo("ping");
            assertThat(r.from()).isEqualTo(an);
            assertThat(r.flags()).isZero();
            Msg t = recvmsg(sys, b, 2, 0, Socket.MSG_TRUNC);
            assertThat(t.n()).as("MSG_TRUNC returns the real length").isEqualTo(5);
            assertThat(t.text()).isEqualTo("po");
            assertThat(t.flags()).isEqualTo(Socket.MSG_TRUNC);
            assertThat(errno(() -> recvmsg(sys, b, 100, 0, 0))).isEqualTo(Errno.EAGAIN);

            // an unconnected receiver holds max_dgram_qlen + 1 datagrams from a stranger
            int n = 0;
            try {
                for (;;) {
                    sys.sendto(a, buf, 1, 0, bn);
                    n++;
                }
            } catch (io.jocclum.api.ErrnoException e) {
                assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
            }
            assertThat(n).isEqualTo(11);
            assertThat(poll(sys, a, Poll.POLLOUT, 0)).as("not connected: always writable").isEqualTo(Poll.POLLOUT);
            sys.connect(a, bn);
            assertThat(poll(sys, a, Poll.POLLOUT, 0)).as("connected to a full receiver").isZero();
            assertThat(sys.getpeernameUnix(a)).isEqualTo(bn);

            // a receiver connected elsewhere refuses strangers
            int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM, 0);
            sys.connect(b, SockAddrUn.path("/tmp/dg.a"));
            assertThat(errno(() -> sys.sendto(c, buf, 1, 0, bn))).isEqualTo(Errno.EPERM);
            assertThat(errno(() -> sys.sendto(c, buf, 300_000, 0, an))).isEqualTo(Errno.EMSGSIZE);
            int s = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            assertThat(errno(() -> sys.sendto(s, buf, 1, 0, bn))).as("address on an unconnected stream").isEqualTo(Errno.EOPNOTSUPP);
            sys.close(b);
            assertThat(errno(() -> sys.send(a, buf, 1, 0))).as("the peer is gone").isEqualTo(Errno.ECONNREFUSED);
            assertThat(errno(() -> sys.send(a, buf, 1, 0))).as("and we are disconnected").isEqualTo(Errno.ENOTCONN);
            for (int fd : new int[] {a, c, s}) {
                sys.close(fd);
            }
            sys.unlink("/tmp/dg.a");
            return 0;
        }).assertOk();
    }

    // ------------------------------------------------------------------ SCM_RIGHTS

    @Test
    void scmRightsInstallsDescriptorsAndCtruncDropsWhatDoesNotFit() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int[] sv = sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            int[] p = sys.pipe();
            assertThat(sendmsg(sys, sv[0], bytes("fd"), new int[] {p[1]}, null, 0)).isEqualTo(2);
            sys.close(p[1]);
            Msg r = recvmsg(sys, sv[1], 100, Socket.cmsgSpace(4), Socket.MSG_CMSG_CLOEXEC);
            assertThat(r.text()).isEqualTo("fd");
            assertThat(r.fds()).hasSize(1);
            assertThat(r.controllen()).isEqualTo(Socket.cmsgSpace(4));
            assertThat(r.flags()).isZero();
            int got = r.fds()[0];
            assertThat(sys.fcntl(got, Fcntl.F_GETFD, 0)).as("MSG_CMSG_CLOEXEC").isEqualTo(Fcntl.FD_CLOEXEC);
            assertThat(sys.fstat(got).ino()).as("the same pipe").isEqualTo(sys.fstat(p[0]).ino());
            write(sys, got, bytes("through the passed end"));
            assertThat(new String(read(sys, p[0], 100))).isEqualTo("through the passed end");

            // three descriptors, room for one: MSG_CTRUNC, the others are closed
            int e1 = sys.eventfd(0, 0);
            assertThat(sendmsg(sys, sv[0], bytes("x"), new int[] {got, e1, got}, null, 0)).isEqualTo(1);
            sys.close(got);
            Msg t = recvmsg(sys, sv[1], 100, Socket.cmsgLen(4), 0);
            assertThat(t.fds()).as("CMSG_LEN(4) has room for one descriptor").hasSize(1);
            assertThat(t.controllen()).isEqualTo(Socket.cmsgLen(4));
            assertThat(t.flags() & Socket.MSG_CTRUNC).isNotZero();
            sys.close(t.fds()[0]);
            assertThat(read(sys, p[0], 100)).as("every copy of the write end is closed: EOF").isEmpty();

            // no control buffer at all
            assertThat(sendmsg(sys, sv[0], bytes("y"), new int[] {e1}, null, 0)).isEqualTo(1);
            Msg u = recvmsg(sys, sv[1], 100, 0, 0);
            assertThat(u.fds()).isEmpty();
            assertThat(u.controllen()).isZero();
            assertThat(u.flags()).isEqualTo(Socket.MSG_CTRUNC);

            // a read stops after the message that carried descriptors
            sendmsg(sys, sv[0], bytes("ab"), new int[] {e1}, null, 0);
            write(sys, sv[0], bytes("cd"));
            Msg v = recvmsg(sys, sv[1], 100, Socket.cmsgSpace(4), 0);
            assertThat(v.text()).isEqualTo("ab");
            assertThat(v.fds()).hasSize(1);
            assertThat(new String(read(sys, sv[1], 100))).isEqualTo("cd");
            sys.close(v.fds()[0]);

            assertThat(errno(() -> sendmsg(sys, sv[0], bytes("z"), new int[] {99}, null, 0))).isEqualTo(Errno.EBADF);
            assertThat(errno(() -> sendmsg(sys, sv[0], bytes("z"), new int[Socket.SCM_MAX_FD + 1], null, 0))).isEqualTo(Errno.EINVAL);
            assertThat(fionread(sys, sv[1])).as("failed sendmsg sent nothing").isZero();
            for (int fd : new int[] {sv[0], sv[1], p[0], e1}) {
                sys.close(fd);
            }
            return 0;
        }).assertOk();
    }

    @Test
    void twoProcessesExchangeADescriptorOverAPathSocket() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.program("child", (sys, argv, envp) -> {
            // the child opens a file, writes to it and passes the descriptor to its parent
            int f = sys.open("/tmp/handed-over", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            write(sys, f, bytes("written by the child; "));
            int s = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.connect(s, SockAddrUn.path("/tmp/exchange.sock"));
            assertThat(sys.getpeercred(s).pid()).as("the listener's process").isEqualTo(sys.getppid());
            sendmsg(sys, s, bytes("take it"), new int[] {f}, null, 0);
            sys.close(f);
            // wait for the parent's answer, then check what it wrote through the passed descriptor
            assertThat(new String(read(sys, s, 100))).isEqualTo("done");
            int again = sys.open("/tmp/handed-over", OpenFlags.O_RDONLY, 0);
            String all = new String(read(sys, again, 200));
            return all.equals("written by the child; and by the parent") ? 0 : 1;
        });
        os.run((sys, argv, envp) -> {
            int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.bind(l, SockAddrUn.path("/tmp/exchange.sock"));
            sys.listen(l, 1);
            int child = sys.posixSpawn("/bin/child", List.of(SpawnAction.close(l)), new String[] {"child"}, null);
            int a = sys.accept(l);
            assertThat(sys.getpeercred(a).pid()).isEqualTo(child);
            Msg m = recvmsg(sys, a, 100, Socket.cmsgSpace(4), 0);
            assertThat(m.text()).isEqualTo("take it");
            assertThat(m.fds()).hasSize(1);
            int f = m.fds()[0];
            // the same open file: it shares the child's file position
            assertThat(sys.lseek(f, 0, io.jocclum.api.Seek.SEEK_CUR)).isEqualTo(22);
            write(sys, f, bytes("and by the parent"));
            sys.close(f);
            write(sys, a, bytes("done"));
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            sys.close(a);
            sys.close(l);
            sys.unlink("/tmp/exchange.sock");
            sys.unlink("/tmp/handed-over");
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aSocketpairConnectsAParentAndItsSpawnedChild(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            // fd 3 is our end; echo every datagram back in upper case until the parent shuts down
            long b = Libc.alloc(sys, 256);
            for (;;) {
                long n = sys.recv(3, b, 256, 0);
                if (n == 0) {
                    return 0;
                }
                byte[] d = new byte[(int) n];
                sys.loadBytes(b, d, 0, d.length);
                write(sys, 3, new String(d, StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8));
            }
        });
        os.run((sys, argv, envp) -> {
            int[] sv = sys.socketpair(Socket.AF_UNIX, Socket.SOCK_SEQPACKET | Socket.SOCK_CLOEXEC, 0);
            int child = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(sv[1], 3)), new String[] {"child"}, null);
            sys.close(sv[1]);
            assertThat(sys.getpeercred(sv[0]).pid()).as("a pair's credentials are its creator's").isEqualTo(sys.getpid());
            int ep = sys.epollCreate1(0);
            GuestOps.add(sys, ep, sv[0], Epoll.EPOLLIN, 1);
            long evs = Libc.alloc(sys, 64);
            for (String w : List.of("one", "two", "three")) {
                write(sys, sv[0], bytes(w));
                assertThat(sys.epollWait(ep, evs, 1, -1)).isEqualTo(1);
                assertThat(new String(read(sys, sv[0], 100))).isEqualTo(w.toUpperCase(java.util.Locale.ROOT));
            }
            sys.shutdown(sv[0], Socket.SHUT_WR);
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            assertThat(sys.epollWait(ep, evs, 1, -1)).as("the child's end is closed").isEqualTo(1);
            assertThat(sys.loadInt(evs) & (Epoll.EPOLLIN | Epoll.EPOLLHUP)).isEqualTo(Epoll.EPOLLIN | Epoll.EPOLLHUP);
            assertThat(read(sys, sv[0], 100)).isEmpty();
            sys.close(ep);
            sys.close(sv[0]);
            return 0;
        }).assertOk();
    }

    @Test
    void aBlockedAcceptAndABlockedRecvWakeUp() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.bind(l, SockAddrUn.abstractName("wake"));
            sys.listen(l, 0);
            int server = sys.threadCreate(t -> {
                int a = t.accept(l);
                long b = Libc.alloc(t, 64);
                long n = t.recv(a, b, 64, Socket.MSG_WAITALL);
                t.close(a);
                return n;
            });
            int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.connect(c, SockAddrUn.abstractName("wake"));
            write(sys, c, new byte[10]);
            write(sys, c, new byte[54]);
            assertThat(sys.threadJoin(server)).as("MSG_WAITALL waited for all 64 bytes").isEqualTo(64);
            sys.close(c);
            sys.close(l);
            return 0;
        }).assertOk();
    }

    /** signal(7): recvmsg on a socket is restarted with SA_RESTART and fails with EINTR without it. */
    @Test
    void aBlockedRecvmsgIsRestartedWithSaRestartAndFailsWithEintrWithout() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        for (boolean restart : new boolean[] {true, false}) {
            os.run((sys, argv, envp) -> {
                java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
                sys.sigaction(Signal.SIGUSR1, SigAction.handler((s, sig) -> handled.incrementAndGet(), restart ? Signal.SA_RESTART : 0));
                int[] sv = sys.socketpair(Socket.AF_UNIX, Socket.SOCK_DGRAM, 0);
                long[] result = {-2};
                int reader = sys.threadCreate(t -> {
                    try {
                        result[0] = recvmsg(t, sv[1], 100, 0, 0).n();
                    } catch (io.jocclum.api.ErrnoException e) {
                        result[0] = -e.errno().number();
                    }
                    return 0;
                });
                sys.sigprocmask(Signal.SIG_BLOCK, Signal.bit(Signal.SIGUSR1)); // only the reader takes it
                GuestOps.awaitParked(os, sys.getpid(), 1);
                sys.kill(sys.getpid(), Signal.SIGUSR1);
                if (restart) {
                    io.jocclum.libos.support.Quiesce.until(() -> handled.get() == 1, "handler ran");
                    GuestOps.awaitParked(os, sys.getpid(), 1); // restarted and blocked again
                    write(sys, sv[0], bytes("abc"));
                }
                sys.threadJoin(reader);
                assertThat(handled.get()).isEqualTo(1);
                assertThat(result[0]).isEqualTo(restart ? 3 : -Errno.EINTR.number());
                sys.close(sv[0]);
                sys.close(sv[1]);
                sys.sigprocmask(Signal.SIG_UNBLOCK, Signal.bit(Signal.SIGUSR1));
                return 0;
            }).assertOk();
        }
    }

    @Test
    void acceptAtTheDescriptorLimitFailsWithEmfileAndLeavesTheConnectionQueued() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.bind(l, SockAddrUn.abstractName("emfile"));
            sys.listen(l, 1);
            int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
            sys.connect(c, SockAddrUn.abstractName("emfile"));
            write(sys, c, bytes("queued"));
            int limit = Math.max(l, c) + 1;
            sys.setrlimit(io.jocclum.api.Rlimit.RLIMIT_NOFILE, new io.jocclum.api.Rlimit(limit, 4096));
            assertThat(errno(() -> sys.accept(l))).isEqualTo(Errno.EMFILE);
            assertThat(poll(sys, l, Poll.POLLIN, 0)).as("still pending").isEqualTo(Poll.POLLIN);
            sys.setrlimit(io.jocclum.api.Rlimit.RLIMIT_NOFILE, new io.jocclum.api.Rlimit(1024, 4096));
            int a = sys.accept(l);
            assertThat(new String(read(sys, a, 100))).isEqualTo("queued");
            for (int fd : new int[] {l, c, a}) {
                sys.close(fd);
            }
            return 0;
        }).assertOk();
    }
}
