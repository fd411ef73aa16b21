package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * The addresses of host sockets, which reach the host's loopback interface only: which guest
 * addresses bind and connect accept, and the conversions between the guest's {@code sockaddr_in}
 * and the host's socket addresses.
 */
final class Loopback {
    private Loopback() {
    }

    /** Loopback only: bind accepts INADDR_ANY and 127/8, connect 127/8 and INADDR_ANY. */
    static void checkAddress(SockAddrIn a, boolean forBind) {
        if (a == null) {
            throw Errno.EFAULT.exception("no address");
        }
        boolean loopback = (a.address() >>> 24) == 127;
        if (!loopback && a.address() != Socket.INADDR_ANY) {
            throw forBind ? Errno.EADDRNOTAVAIL.exception(a + " is not a loopback address")
                    : Errno.ENETUNREACH.exception(a + ": host sockets reach the loopback interface only");
        }
    }

    /** The host address of {@code a}: INADDR_ANY is the loopback address. */
    static InetSocketAddress hostAddress(SockAddrIn a) {
        int ip = a.address() == Socket.INADDR_ANY ? Socket.INADDR_LOOPBACK : a.address();
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {
                (byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip}), a.port());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4-byte address rejected", e);
        }
    }

    /** The guest address of a host socket address. */
    static SockAddrIn toAddr(SocketAddress sa) {
        InetSocketAddress isa = (InetSocketAddress) sa;
        byte[] b = isa.getAddress().getAddress();
        int ip = b.length == 4 ? (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF) : 0;
        return new SockAddrIn(ip, isa.getPort());
    }
}
