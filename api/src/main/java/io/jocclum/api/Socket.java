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

    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_EOR = 0x80;
    /** recvmsg: install received descriptors with FD_CLOEXEC. */
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    public static final int SO_PASSCRED = 16;
    public static final int SO_PEERCRED = 17;
    /** {@code cmsg_type} of SOL_SOCKET control messages passing descriptors. */
    public static final int SCM_RIGHTS = 1;
    /** Most descriptors one SCM_RIGHTS message may carry (SCM_MAX_FD, include/net/scm.h). */
    public static final int SCM_MAX_FD = 253;

    /** {@code sizeof(struct msghdr)} on x86_64: name u64, namelen u32 (+4), iov u64, iovlen u64, control u64, controllen u64, flags i32 (+4). */
    public static final int MSGHDR_SIZE = 56;
    public static final int MSGHDR_NAME = 0;
    public static final int MSGHDR_NAMELEN = 8;
    public static final int MSGHDR_IOV = 16;
    public static final int MSGHDR_IOVLEN = 24;
    public static final int MSGHDR_CONTROL = 32;
    public static final int MSGHDR_CONTROLLEN = 40;
    public static final int MSGHDR_FLAGS = 48;
    /** {@code sizeof(struct iovec)}: base u64, len u64. */
    public static final int IOVEC_SIZE = 16;
    /** {@code sizeof(struct cmsghdr)}: len u64, level i32, type i32; data follows. */
    public static final int CMSGHDR_SIZE = 16;
    /** {@code sizeof(struct sockaddr_un)}. */
    public static final int SOCKADDR_UN_SIZE = 110;

    /** {@code CMSG_ALIGN(n)}: rounded up to 8. */
    public static long cmsgAlign(long n) {
        return (n + 7) & ~7L;
    }

    /** {@code CMSG_LEN(n)}: the cmsg_len of a control message with n data bytes. */
    public static long cmsgLen(long n) {
        return CMSGHDR_SIZE + n;
    }

    /** {@code CMSG_SPACE(n)}: the room a control message with n data bytes takes. */
    public static long cmsgSpace(long n) {
        return CMSGHDR_SIZE + cmsgAlign(n);
    }

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** Default listen backlog cap (net.core.somaxconn since Linux 5.4). */
    public static final int SOMAXCONN = 4096;
    public static final int INADDR_ANY = 0;
    /** 127.0.0.1 in host byte order. */
    public static final int INADDR_LOOPBACK = 0x7f000001;
}
