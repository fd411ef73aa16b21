package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;

import java.nio.ByteBuffer;

/**
 * The socket syscalls of one LibOS instance: TCP/IPv4 stream sockets on the host loopback.
 * Other families give EAFNOSUPPORT, other types ESOCKTNOSUPPORT, other protocols
 * EPROTONOSUPPORT; a descriptor that is not a socket gives ENOTSOCK.
 */
public final class SocketCalls {
    private final HostNetwork net;

    public SocketCalls(HostNetwork net) {
        this.net = net;
    }

    /** A new socket and its peer address, from accept. */
    public record Accepted(int fd, SockAddrIn peer) {
    }

    /** {@code socket(2)}. */
    public int socket(Caller c, int domain, int type, int protocol) {
        int flags = type & (Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
        int base = type & ~(Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
        if ((base & ~0xF) != 0) {
            throw Errno.EINVAL.exception("socket type 0x" + Integer.toHexString(type));
        }
        if (domain != Socket.AF_INET) {
            throw Errno.EAFNOSUPPORT.exception("address family " + domain + " (only AF_INET host sockets)");
        }
        if (base != Socket.SOCK_STREAM) {
            throw Errno.ESOCKTNOSUPPORT.exception("socket type " + base + " (only SOCK_STREAM)");
        }
        if (protocol != 0 && protocol != Socket.IPPROTO_TCP) {
            throw Errno.EPROTONOSUPPORT.exception("protocol " + protocol);
        }
        SocketFile s = new SocketFile(net, flags & OpenFlags.O_NONBLOCK);
        return install(c, s, (flags & Socket.SOCK_CLOEXEC) != 0);
    }

    /** Installs a new socket's file; when that fails (EMFILE) the file is released. */
    static int install(Caller c, OpenFile f, boolean cloexec) {
        try {
            return c.files().install(f, cloexec);
        } catch (RuntimeException e) {
            f.retain();
            f.unref();
            throw e;
        }
    }

    private static SocketFile sock(Caller c, int fd) {
        OpenFile f = c.files().get(fd);
        if (!(f instanceof SocketFile s)) {
            throw Errno.ENOTSOCK.exception("fd " + fd + " is not a socket");
        }
        return s;
    }

    /** {@code bind(2)}: INADDR_ANY or a 127/8 address (the host side binds to loopback). */
    public void bind(Caller c, int fd, SockAddrIn addr) {
        sock(c, fd).bind(c, addr);
    }

    /** {@code listen(2)}: binds to an ephemeral loopback port first when unbound. */
    public void listen(Caller c, int fd, int backlog) {
        sock(c, fd).listen(backlog);
    }

    /** {@code accept4(2)}: flags SOCK_NONBLOCK and SOCK_CLOEXEC. */
    public Accepted accept4(Caller c, int fd, int flags) {
        if ((flags & ~(Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC)) != 0) {
            throw Errno.EINVAL.exception("accept4 flags 0x" + Integer.toHexString(flags));
        }
        SocketFile listener = sock(c, fd);
        SocketFile s = listener.accept(c, flags & OpenFlags.O_NONBLOCK);
        int nfd = install(c, s, (flags & Socket.SOCK_CLOEXEC) != 0);
        return new Accepted(nfd, s.peerAddress());
    }

    /** {@code accept(2)}. */
    public Accepted accept(Caller c, int fd) {
        return accept4(c, fd, 0);
    }

    /** {@code connect(2)}: EINPROGRESS on a non-blocking socket that could not connect at once. */
    public void connect(Caller c, int fd, SockAddrIn addr) {
        sock(c, fd).connect(c, addr);
    }

    /** {@code sendto(2)} without an address ({@code send}). */
    public int send(Caller c, int fd, ByteBuffer src, int flags) {
        return sock(c, fd).send(c, src, flags);
    }

    /** {@code recvfrom(2)} without an address ({@code recv}). */
    public int recv(Caller c, int fd, ByteBuffer dst, int flags) {
        return sock(c, fd).recv(c, dst, flags);
    }

    /** {@code shutdown(2)}. */
    public void shutdown(Caller c, int fd, int how) {
        sock(c, fd).shutdown(how);
    }

    /** {@code getsockname(2)}: the address as the guest bound it (INADDR_ANY stays so). */
    public SockAddrIn getsockname(Caller c, int fd) {
        return sock(c, fd).localAddress();
    }

    /** {@code getpeername(2)}: ENOTCONN when not connected. */
    public SockAddrIn getpeername(Caller c, int fd) {
        return sock(c, fd).peerAddress();
    }

    /**
     * {@code setsockopt(2)} for int-valued options: SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
     * SO_RCVBUF, SO_SNDBUF, TCP_NODELAY; others ENOPROTOOPT.
     */
    public void setsockopt(Caller c, int fd, int level, int name, int value) {
        sock(c, fd).setOption(level, name, value);
    }

    /** {@code getsockopt(2)}: the options above plus SO_TYPE, SO_ERROR (cleared), SO_ACCEPTCONN, SO_DOMAIN, SO_PROTOCOL. */
    public int getsockopt(Caller c, int fd, int level, int name) {
        return sock(c, fd).getOption(level, name);
    }
}
