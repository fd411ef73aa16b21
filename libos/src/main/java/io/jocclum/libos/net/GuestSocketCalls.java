package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.SockAddrIn;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.HostIo;
import io.jocclum.libos.fs.ReadWriteCalls;
import io.jocclum.libos.vm.UserCopy;

import java.nio.ByteBuffer;

/**
 * The socket system calls as a guest makes them (Linux {@code net/socket.c}), over the
 * instance's {@link SocketCalls}: EFAULT for a NULL address before the socket layer sees it,
 * send and recv buffers copied through the thread's bounce buffer ({@link UserCopy}), and an
 * OCALL per call that reaches the host socket ({@link HostIo}).
 *
 * <p>Counts: send loops over chunks until done or short, and returns what went out when a later
 * chunk fails (an ERESTARTSYS too: only a call that sent nothing is restarted). A socket cannot
 * take bytes back, so recv takes only as many as the buffer's writable prefix holds, EFAULT
 * when that is nothing.
 */
public final class GuestSocketCalls {
    private GuestSocketCalls() {
    }

    /** {@code socket(2)}. */
    public static int socket(SocketCalls s, Caller c, HostIo host, int domain, int type, int protocol) {
        return charged(host, s.socket(c, domain, type, protocol));
    }

    /** {@code bind(2)}. */
    public static void bind(SocketCalls s, Caller c, HostIo host, int fd, SockAddrIn addr) {
        s.bind(c, fd, address(addr));
        host.ocall(0);
    }

    /** {@code listen(2)}. */
    public static void listen(SocketCalls s, Caller c, HostIo host, int fd, int backlog) {
        s.listen(c, fd, backlog);
        host.ocall(0);
    }

    /** {@code accept4(2)} ({@code accept(2)} with flags 0): the new descriptor. */
    public static int accept4(SocketCalls s, Caller c, HostIo host, int fd, int flags) {
        return charged(host, s.accept4(c, fd, flags).fd());
    }

    /**
     * {@code connect(2)}. A connect interrupted by a signal is not restarted: the connection goes
     * on (EINTR, then EALREADY).
     */
    public static void connect(SocketCalls s, Caller c, HostIo host, int fd, SockAddrIn addr) {
        s.connect(c, fd, address(addr));
        host.ocall(0);
    }

    /** {@code sendto(2)} on a connected socket ({@code send(2)}): the bytes sent. */
    public static long send(SocketCalls s, Caller c, UserCopy u, HostIo host, int fd, long buf, long len, int flags) {
        c.files().get(fd);
        if (len < 0) {
            throw Errno.EINVAL.exception("negative length");
        }
        long want = Math.min(len, ReadWriteCalls.MAX_RW_COUNT);
        long total = 0;
        for (;;) {
            ByteBuffer b = u.buffer(want - total);
            int chunk = b.remaining();
            if (chunk > 0) {
                u.read(buf + total, b);
                b.flip();
            }
            int n;
            try {
                n = s.send(c, fd, b, flags);
            } catch (ErrnoException e) {
                return ReadWriteCalls.partial(total, e);
            }
            host.ocall(n);
            total += n;
            if (n < chunk || total >= want) {
                return total;
            }
        }
    }

    /** {@code recvfrom(2)} without the source address ({@code recv(2)}): the bytes received. */
    public static long recv(SocketCalls s, Caller c, UserCopy u, HostIo host, int fd, long buf, long len, int flags) {
        c.files().get(fd);
        if (len < 0) {
            throw Errno.EINVAL.exception("negative length");
        }
        // a socket cannot take bytes back: receive only what the buffer can hold (EFAULT when nothing)
        long room = len == 0 ? 0 : u.writablePrefix(buf, Math.min(len, ReadWriteCalls.MAX_RW_COUNT));
        if (len > 0 && room == 0) {
            throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not writable");
        }
        ByteBuffer b = u.buffer(room);
        int n = s.recv(c, fd, b, flags);
        host.ocall(n);
        if (n > 0) {
            b.flip();
            u.write(buf, b);
        }
        return n;
    }

    /** {@code shutdown(2)}. */
    public static void shutdown(SocketCalls s, Caller c, HostIo host, int fd, int how) {
        s.shutdown(c, fd, how);
        host.ocall(0);
    }

    /** The address, EFAULT when it is NULL (the guest passed no sockaddr). */
    private static SockAddrIn address(SockAddrIn addr) {
        if (addr == null) {
            throw Errno.EFAULT.exception("null address");
        }
        return addr;
    }

    /** Charges the OCALL of a call that returned a descriptor; returns it. */
    private static int charged(HostIo host, int fd) {
        host.ocall(0);
        return fd;
    }
}
