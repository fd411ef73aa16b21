package io.jocclum.api;

/**
 * An IPv4 socket address ({@code struct sockaddr_in}): the address in host byte order (e.g.
 * {@link Socket#INADDR_LOOPBACK}) and the port (0–65535).
 */
public record SockAddrIn(int address, int port) {
    public SockAddrIn {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        }
    }

    public static SockAddrIn loopback(int port) {
        return new SockAddrIn(Socket.INADDR_LOOPBACK, port);
    }

    /** Dotted-quad form, e.g. {@code 127.0.0.1:8080}. */
    @Override
    public String toString() {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "."
                + (address & 0xFF) + ":" + port;
    }
}
