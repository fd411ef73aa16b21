package io.jocclum.libos.os;

import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.Signal;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLOUT;
import static io.jocclum.api.Epoll.EPOLLRDHUP;
import static io.jocclum.libos.os.GuestOps.add;
import static io.jocclum.libos.os.GuestOps.epWait;
import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.fionread;
import static io.jocclum.libos.os.GuestOps.poll;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/** Host TCP sockets over the loopback through the syscall interface: between two guest processes and between a guest and a host Java peer. */
class SocketGuestTest extends OsTestBase {

    private static int readInt(io.jocclum.api.Syscalls sys, int fd) {
        return Integer.parseInt(EventBuiltinsTest.readLine(sys, fd).strip());
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void twoGuestProcessesTalkOverTheLoopbackWithRdhupAndEof(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            // the client: connect, send, half-close, read the reply to its end
            int port = Integer.parseInt(argv[1]);
            int s = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, Socket.IPPROTO_TCP);
            sys.connect(s, SockAddrIn.loopback(port));
            assertThat(sys.getpeername(s)).isEqualTo(SockAddrIn.loopback(port));
            assertThat(sys.getsockname(s).address()).isEqualTo(Socket.INADDR_LOOPBACK);
            assertThat(write(sys, s, "ping from the child".getBytes())).isEqualTo(19);
            sys.shutdown(s, Socket.SHUT_WR);
            String reply = Libc.readAll(sys, s);
            sys.close(s);
            Libc.puts(sys, "child got: " + reply);
            return 0;
        });
        Booted.Result r = os.run((sys, argv, envp) -> {
            int l = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_CLOEXEC, 0);
            sys.setsockopt(l, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
            sys.bind(l, SockAddrIn.loopback(0));
            sys.listen(l, 8);
            assertThat(sys.getsockopt(l, Socket.SOL_SOCKET, Socket.SO_ACCEPTCONN)).isEqualTo(1);
            int port = sys.getsockname(l).port();
            int ep = sys.epollCreate1(0);
            add(sys, ep, l, EPOLLIN, 1);
            int c = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", Integer.toString(port)}, null);
            assertThat(epWait(sys, ep, 4, -1)).containsExactly(new EpollEvent(EPOLLIN, 1));
            int a = sys.accept4(l, Socket.SOCK_NONBLOCK);
            assertThat(sys.getsockname(a)).isEqualTo(SockAddrIn.loopback(port));
            assertThat(sys.getpeername(a).address()).isEqualTo(Socket.INADDR_LOOPBACK);
            add(sys, ep, a, EPOLLIN | EPOLLRDHUP | EPOLLET, 2);
            // read until the peer's half-close shows as RDHUP and EOF
            StringBuilder got = new StringBuilder();
            boolean rdhup = false;
            while (!rdhup) {
                for (EpollEvent e : epWait(sys, ep, 4, -1)) {
                    assertThat(e.data()).isEqualTo(2);
                    rdhup |= (e.events() & EPOLLRDHUP) != 0;
                }
                for (;;) {
                    try {
                        byte[] b = read(sys, a, 4096);
                        if (b.length == 0) {
                            break;
                        }
                        got.append(new String(b, StandardCharsets.UTF_8));
                    } catch (io.jocclum.api.ErrnoException e) {
                        assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                        break;
                    }
                }
            }
            assertThat(got.toString()).isEqualTo("ping from the child");
            assertThat(poll(sys, a, Poll.POLLIN | Poll.POLLOUT | Poll.POLLRDHUP, 0))
                    .as("half-closed by the peer: still writable").isEqualTo(Poll.POLLIN | Poll.POLLOUT | Poll.POLLRDHUP);
            assertThat(write(sys, a, "pong".getBytes())).isEqualTo(4);
            sys.close(a);
            assertThat(sys.wait4(c, 0).status()).isEqualTo(Wait.exited(0));
            sys.close(l);
            return 0;
        }).assertOk();
        assertThat(r.out()).isEqualTo("child got: pong\n");
    }

    @Test
    void aGuestServerAndAHostClientAndAGuestClientAndAHostServer() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        CompletableFuture<Integer> guestPort = new CompletableFuture<>();
        try (ServerSocket host = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<String> hostServer = CompletableFuture.supplyAsync(() -> {
                try (java.net.Socket s = host.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    byte[] b = in.readNBytes(5);
                    out.write(("host saw " + new String(b, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                    return new String(b, StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, ex);
            CompletableFuture<String> hostClient = guestPort.thenApplyAsync(port -> {
                try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port);
                     InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    out.write("hello guest".getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, ex);
            Booted.Result r = os.run((sys, argv, envp) -> {
                // guest server, host client
                int l = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
                sys.bind(l, new SockAddrIn(Socket.INADDR_ANY, 0));
                sys.listen(l, 4);
                guestPort.complete(sys.getsockname(l).port());
                int a = sys.accept(l);
                String got = Libc.readAll(sys, a);
                assertThat(got).isEqualTo("hello guest");
                write(sys, a, ("guest saw " + got).getBytes());
                sys.close(a);
                sys.close(l);
                // guest client (non-blocking connect), host server
                int s = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK, 0);
                try {
                    sys.connect(s, SockAddrIn.loopback(host.getLocalPort()));
                } catch (io.jocclum.api.ErrnoException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EINPROGRESS);
                }
                assertThat(poll(sys, s, Poll.POLLOUT, -1)).isEqualTo(Poll.POLLOUT);
                assertThat(sys.getsockopt(s, Socket.SOL_SOCKET, Socket.SO_ERROR)).isZero();
                long buf = Libc.alloc(sys, 64);
                assertThat(errno(() -> sys.recv(s, buf, 64, 0))).as("the host answers only after 5 bytes").isEqualTo(Errno.EAGAIN);
                assertThat(fionread(sys, s)).isZero();
                write(sys, s, "abcde".getBytes());
                assertThat(poll(sys, s, Poll.POLLIN, -1) & Poll.POLLIN).isNotZero();
                assertThat(fionread(sys, s)).isPositive();
                sys.fcntl(s, io.jocclum.api.Fcntl.F_SETFL, 0);
                Libc.puts(sys, Libc.readAll(sys, s));
                sys.close(s);
                return 0;
            }).assertOk();
            assertThat(r.out()).isEqualTo("host saw abcde\n");
            assertThat(hostClient.get(30, TimeUnit.SECONDS)).isEqualTo("guest saw hello guest");
            assertThat(hostServer.get(30, TimeUnit.SECONDS)).isEqualTo("abcde");
        }
    }

    @Test
    void refusedConnectionsAndSigpipeOnAShutDownSocket() throws Exception {
        Booted os = os(Matrix.PLAIN_ON_SGX1);
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        os.program("child", (sys, argv, envp) -> {
            int s = Integer.parseInt(argv[1]);
            assertThat(errno(() -> sys.send(s, Libc.alloc(sys, 8), 8, Socket.MSG_NOSIGNAL))).isEqualTo(Errno.EPIPE);
            assertThat(Signal.member(sys.sigpending(), Signal.SIGPIPE)).isFalse();
            sys.send(s, Libc.alloc(sys, 8), 8, 0); // SIGPIPE's default action ends the process
            return 9;
        });
        os.run((sys, argv, envp) -> {
            int s = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
            assertThat(errno(() -> sys.connect(s, SockAddrIn.loopback(free)))).isEqualTo(Errno.ECONNREFUSED);
            sys.close(s);
            int l = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
            sys.bind(l, SockAddrIn.loopback(0));
            sys.listen(l, 1);
            int c = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
            sys.connect(c, sys.getsockname(l));
            int a = sys.accept(l);
            sys.shutdown(c, Socket.SHUT_WR);
            assertThat(poll(sys, a, Poll.POLLIN | Poll.POLLRDHUP, -1)).isEqualTo(Poll.POLLIN | Poll.POLLRDHUP);
            int child = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", Integer.toString(c)}, null);
            int st = sys.wait4(child, 0).status();
            assertThat(Wait.WIFSIGNALED(st)).as("status %x", st).isTrue();
            assertThat(Wait.WTERMSIG(st)).isEqualTo(Signal.SIGPIPE);
            assertThat(errno(() -> sys.shutdown(l, 7))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> sys.getpeername(l))).isEqualTo(Errno.ENOTCONN);
            assertThat(errno(() -> sys.socket(Socket.AF_INET6, Socket.SOCK_STREAM, 0))).isEqualTo(Errno.EAFNOSUPPORT);
            int[] p = sys.pipe();
            assertThat(errno(() -> sys.listen(p[0], 1))).isEqualTo(Errno.ENOTSOCK);
            for (int fd : new int[]{a, c, l}) {
                sys.close(fd);
            }
            return 0;
        }).assertOk();
    }
}
