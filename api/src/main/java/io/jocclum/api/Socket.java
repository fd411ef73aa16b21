package io.jocclum.api;

/**
 * Socket constants, x86_64 values: address families (include/linux/socket.h), types
 * (include/linux/net.h), {@code SOL_SOCKET} options (include/uapi/asm-generic/socket.h),
 * {@code IPPROTO_*} (include/uapi/linux/in.h), {@code TCP_*} (include/uapi/linux/tcp.h),
 * {@code MSG_*} (include/linux/socket.h), {@code SHUT_*} (include/linux/net.h).
 */
public final class Socket {
    private Socket() {
    }

    public static final int AF_UNSPEC = 0;
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = OpenFlags.O_NONBLOCK;
    public static final int SOCK_CLOEXEC = OpenFlags.O_CLOEXEC;

    public static final int SOL_SOCKET = 1;
    public static final int SO_DEBUG = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_TYPE = 3;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_LINGER = 13;
    public static final int SO_REUSEPORT = 15;
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_DOMAIN = 39;
    public static final int SO_PROTOCOL = 38;

    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int TCP_NODELAY = 1;

    public static final int MSG_OOB = 0x1;
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_WAITALL = 0x100;
    public static final int MSG_NOSIGNAL = 0x4000;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** Default listen backlog cap (net.core.somaxconn since Linux 5.4). */
    public static final int SOMAXCONN = 4096;
    public static final int INADDR_ANY = 0;
    /** 127.0.0.1 in host byte order. */
    public static final int INADDR_LOOPBACK = 0x7f000001;
}
