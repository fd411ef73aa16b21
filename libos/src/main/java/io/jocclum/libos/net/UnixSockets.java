package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.SockAddrUn;
import io.jocclum.api.Socket;
import io.jocclum.api.Ucred;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.ReadWriteCalls;
import io.jocclum.libos.fs.Vfs;
import io.jocclum.libos.vm.UserCopy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The AF_UNIX socket calls of one LibOS instance (Linux net/unix/af_unix.c, unix(7)) and its
 * abstract namespace. Path names are socket files of the guest file system ({@link Vfs#bindSocket}),
 * abstract names live here, one namespace for every process of the LibOS.
 *
 * <p>The calls check their arguments in Linux's order; {@code sendmsg} and {@code recvmsg} read
 * and write {@code struct msghdr}, its iovecs, its {@code sockaddr_un} and its SCM_RIGHTS control
 * messages in guest memory with the x86_64 layouts of {@link Socket}'s {@code MSGHDR_*} offsets.
 */
public final class UnixSockets {
    /** UIO_MAXIOV. */
    static final int UIO_MAXIOV = 1024;
    /** sizeof(struct sockaddr_storage): longer msg_namelen is cut to it. */
    static final int SOCKADDR_STORAGE = 128;

    /** AF_UNIX sockets' inode numbers, apart from those of host sockets on the same pseudo device. */
    private final AtomicLong nextIno = new AtomicLong(1L << 32);
    private final ConcurrentHashMap<SockAddrUn, UnixSocketFile> abstractNames = new ConcurrentHashMap<>();
    private final AtomicInteger autobind = new AtomicInteger();

    long nextIno() {
        return nextIno.getAndIncrement();
    }

    void unbindAbstract(SockAddrUn name, UnixSocketFile s) {
        abstractNames.remove(name, s);
    }

    /** Drops the in-flight references of descriptors nobody received. */
    static void drop(List<OpenFile> rights) {
        if (rights != null) {
            for (OpenFile f : rights) {
                f.unref();
            }
        }
    }

    /** True when {@code fd} is an AF_UNIX socket (EBADF when not open). */
    public static boolean isUnix(Caller c, int fd) {
        return c.files().get(fd) instanceof UnixSocketFile;
    }

    private static UnixSocketFile sock(Caller c, int fd) {
        OpenFile f = c.files().get(fd);
        if (f instanceof UnixSocketFile s) {
            return s;
        }
        if (f instanceof SocketFile) {
            throw Errno.EAFNOSUPPORT.exception("fd " + fd + " is an AF_INET socket");
        }
        throw Errno.ENOTSOCK.exception("fd " + fd + " is not a socket");
    }

    // ------------------------------------------------------------------ creation

    /** The socket type of {@code type} without its flags, checked as unix_create does (SOCK_RAW is a datagram socket). */
    private static int baseType(int type, int protocol) {
        int base = type & ~(Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
        if ((base & ~0xF) != 0) {
            throw Errno.EINVAL.exception("socket type 0x" + Integer.toHexString(type));
        }
        if (protocol != 0 && protocol != Socket.AF_UNIX) {
            throw Errno.EPROTONOSUPPORT.exception("protocol " + protocol + " for AF_UNIX");
        }
        return switch (base) {
            case Socket.SOCK_STREAM, Socket.SOCK_DGRAM, Socket.SOCK_SEQPACKET -> base;
            case Socket.SOCK_RAW -> Socket.SOCK_DGRAM;
            default -> throw Errno.ESOCKTNOSUPPORT.exception("socket type " + base + " for AF_UNIX");
        };
    }

    /** {@code socket(AF_UNIX, type, protocol)}. */
    public int socket(Caller c, int type, int protocol, Ucred me) {
        int base = baseType(type, protocol);
        UnixSocketFile s = new UnixSocketFile(this, base, type & Socket.SOCK_NONBLOCK, me);
        return SocketCalls.install(c, s, (type & Socket.SOCK_CLOEXEC) != 0);
    }

    /** {@code socketpair(2)}: two connected sockets; EOPNOTSUPP for AF_INET, EAFNOSUPPORT for other families. */
    public int[] socketpair(Caller c, int domain, int type, int protocol, Ucred me) {
        if (domain == Socket.AF_INET || domain == Socket.AF_INET6) {
            throw Errno.EOPNOTSUPP.exception("socketpair of family " + domain);
        }
        if (domain != Socket.AF_UNIX) {
            throw Errno.EAFNOSUPPORT.exception("address family " + domain);
        }
        int base = baseType(type, protocol);
        UnixSocketFile a = new UnixSocketFile(this, base, type & Socket.SOCK_NONBLOCK, me);
        UnixSocketFile b = new UnixSocketFile(this, base, type & Socket.SOCK_NONBLOCK, me);
        UnixSocketFile.pair(a, b);
        boolean cloexec = (type & Socket.SOCK_CLOEXEC) != 0;
        int fa = SocketCalls.install(c, a, cloexec);
        int fb;
        try {
            fb = SocketCalls.install(c, b, cloexec);
        } catch (RuntimeException e) {
            c.files().close(fa);
            throw e;
        }
        return new int[] {fa, fb};
    }

    // ------------------------------------------------------------------ names

    /** unix_validate_addr: EINVAL for a name longer than sun_path. */
    private static void validate(SockAddrUn addr) {
        if (addr == null) {
            throw Errno.EFAULT.exception("null address");
        }
        if (addr.sunPath().length > SockAddrUn.SUN_PATH_MAX) {
            throw Errno.EINVAL.exception("sun_path of " + addr.sunPath().length + " bytes (at most " + SockAddrUn.SUN_PATH_MAX + ")");
        }
    }

    /** {@code bind(2)}: a path, an abstract name, or autobind for an unnamed address. */
    public void bind(Caller c, Vfs vfs, int fd, SockAddrUn addr) {
        UnixSocketFile s = sock(c, fd);
        validate(addr);
        if (addr.isUnnamed()) {
            autobind(s);
            return;
        }
        if (addr.isAbstract()) {
            s.bind(addr, () -> {
                if (abstractNames.putIfAbsent(addr, s) != null) {
                    throw Errno.EADDRINUSE.exception("abstract name " + addr + " is in use");
                }
                return null;
            });
            return;
        }
        if (s.isBound()) {
            throw Errno.EINVAL.exception("socket is already bound");
        }
        s.bind(addr, () -> vfs.bindSocket(c, addr.path(), s));
    }

    /** unix_autobind: the first free name of five hex digits in the abstract namespace; no-op when bound. */
    private void autobind(UnixSocketFile s) {
        if (s.isBound()) {
            return;
        }
        for (int tries = 0; tries <= 0xFFFFF; tries++) {
            int n = autobind.getAndIncrement() & 0xFFFFF;
            SockAddrUn name = SockAddrUn.ofSunPath(("\0" + HexFormat.of().toHexDigits(n).substring(3)).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            try {
                s.bind(name, () -> {
                    if (abstractNames.putIfAbsent(name, s) != null) {
                        throw Errno.EADDRINUSE.exception(name.toString());
                    }
                    return null;
                });
                return;
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EADDRINUSE) {
                    throw e;
                }
            }
        }
        throw Errno.ENOSPC.exception("no free autobind name");
    }

    /** unix_find_other: the socket a name leads to, of the caller's type (EPROTOTYPE). */
    private UnixSocketFile find(Caller c, Vfs vfs, SockAddrUn addr, int type) {
        validate(addr);
        if (addr.isUnnamed()) {
            throw Errno.EINVAL.exception("no address");
        }
        UnixSocketFile s;
        if (addr.isAbstract()) {
            s = abstractNames.get(addr);
            if (s == null) {
                throw Errno.ECONNREFUSED.exception("nobody is bound to " + addr);
            }
        } else {
            s = (UnixSocketFile) vfs.findSocket(c, addr.path());
        }
        if (s.type != type) {
            throw Errno.EPROTOTYPE.exception(addr + " is a socket of another type");
        }
        return s;
    }

    public SockAddrUn getsockname(Caller c, int fd) {
        return sock(c, fd).localAddress();
    }

    public SockAddrUn getpeername(Caller c, int fd) {
        return sock(c, fd).peerAddress();
    }

    public Ucred peercred(Caller c, int fd) {
        return sock(c, fd).peerCred();
    }

    // ------------------------------------------------------------------ connections

    public void listen(Caller c, int fd, int backlog, Ucred me) {
        sock(c, fd).listen(backlog, me);
    }

    /** {@code accept4(2)}: flags SOCK_NONBLOCK and SOCK_CLOEXEC; the new descriptor. */
    public int accept4(Caller c, int fd, int flags) {
        if ((flags & ~(Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC)) != 0) {
            throw Errno.EINVAL.exception("accept4 flags 0x" + Integer.toHexString(flags));
        }
        UnixSocketFile listener = sock(c, fd);
        UnixSocketFile s = listener.accept(c);
        s.setNonBlocking((flags & Socket.SOCK_NONBLOCK) != 0);
        try {
            return c.files().install(s, (flags & Socket.SOCK_CLOEXEC) != 0);
        } catch (RuntimeException e) {
            listener.requeue(s); // Linux takes the descriptor first: EMFILE leaves the connection queued
            throw e;
        }
    }

    /** {@code connect(2)}. */
    public void connect(Caller c, Vfs vfs, int fd, SockAddrUn addr, Ucred me) {
        UnixSocketFile s = sock(c, fd);
        UnixSocketFile target = find(c, vfs, addr, s.type);
        if (s.type == Socket.SOCK_DGRAM) {
            s.connectDatagram(target, me);
        } else {
            s.connectStream(c, target, me, s.isNonBlocking());
        }
    }

    public void shutdown(Caller c, int fd, int how) {
        sock(c, fd).shutdown(how);
    }

    /** getsockopt of SOL_SOCKET int options: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, SO_ACCEPTCONN, SO_SNDBUF, SO_RCVBUF, SO_PASSCRED. */
    public int getsockopt(Caller c, int fd, int level, int name) {
        UnixSocketFile s = sock(c, fd);
        if (level != Socket.SOL_SOCKET) {
            throw Errno.EOPNOTSUPP.exception("level " + level + " on an AF_UNIX socket");
        }
        return switch (name) {
            case Socket.SO_TYPE -> s.type;
            case Socket.SO_DOMAIN -> Socket.AF_UNIX;
            case Socket.SO_PROTOCOL, Socket.SO_PASSCRED -> 0;
            case Socket.SO_ERROR -> s.takeError();
            case Socket.SO_ACCEPTCONN -> s.listening() ? 1 : 0;
            case Socket.SO_SNDBUF, Socket.SO_RCVBUF -> UnixSocketFile.QUEUE_LIMIT;
            default -> throw Errno.ENOPROTOOPT.exception("option " + name);
        };
    }

    /** setsockopt: SO_SNDBUF, SO_RCVBUF and SO_PASSCRED are accepted (queues stay at their default size). */
    public void setsockopt(Caller c, int fd, int level, int name, int value) {
        sock(c, fd);
        if (level != Socket.SOL_SOCKET) {
            throw Errno.EOPNOTSUPP.exception("level " + level + " on an AF_UNIX socket");
        }
        switch (name) {
            case Socket.SO_SNDBUF, Socket.SO_RCVBUF, Socket.SO_PASSCRED, Socket.SO_REUSEADDR, Socket.SO_KEEPALIVE -> {
            }
            default -> throw Errno.ENOPROTOOPT.exception("option " + name);
        }
    }

    // ------------------------------------------------------------------ data

    /** {@code sendto(2)} from guest memory; {@code dest} null: the peer. */
    public long send(Caller c, UserCopy u, Vfs vfs, int fd, long buf, long len, int flags, SockAddrUn dest) {
        UnixSocketFile s = sock(c, fd);
        if (len < 0) {
            throw Errno.EINVAL.exception("negative length");
        }
        checkRecordSize(s, len);
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(len, ReadWriteCalls.MAX_RW_COUNT));
        if (b.capacity() > 0) {
            u.read(buf, b);
            b.flip();
        }
        return sendBytes(c, vfs, s, b, flags, dest, new UnixSocketFile.Rights(null));
    }

    /** EMSGSIZE for a datagram or record the queue cannot hold, before its bytes are copied (unix_dgram_sendmsg). */
    private static void checkRecordSize(UnixSocketFile s, long len) {
        if (s.type != Socket.SOCK_STREAM && len > UnixSocketFile.QUEUE_LIMIT - 32) {
            throw Errno.EMSGSIZE.exception("message of " + len + " bytes (at most " + (UnixSocketFile.QUEUE_LIMIT - 32) + ")");
        }
    }

    private long sendBytes(Caller c, Vfs vfs, UnixSocketFile s, ByteBuffer b, int flags, SockAddrUn dest, UnixSocketFile.Rights rights) {
        if ((flags & Socket.MSG_OOB) != 0) {
            throw Errno.EOPNOTSUPP.exception("MSG_OOB on an AF_UNIX socket");
        }
        UnixSocketFile target = null;
        if (dest != null) {
            if (s.type == Socket.SOCK_STREAM) {
                throw isConnected(s) ? Errno.EISCONN.exception("address on a connected stream socket")
                        : Errno.EOPNOTSUPP.exception("address on a stream socket");
            }
            if (s.type == Socket.SOCK_DGRAM) {
                target = find(c, vfs, dest, s.type);
            }
        }
        return s.send(c, b, flags, rights, target);
    }

    private static boolean isConnected(UnixSocketFile s) {
        try {
            s.peerAddress();
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    /** {@code recvfrom(2)} without the address into guest memory. */
    public long recv(Caller c, UserCopy u, int fd, long buf, long len, int flags) {
        UnixSocketFile s = sock(c, fd);
        if (len < 0) {
            throw Errno.EINVAL.exception("negative length");
        }
        long room = len == 0 ? 0 : u.writablePrefix(buf, Math.min(len, ReadWriteCalls.MAX_RW_COUNT));
        if (len > 0 && room == 0) {
            throw Errno.EFAULT.exception("buffer at 0x" + Long.toHexString(buf) + " is not writable");
        }
        ByteBuffer b = ByteBuffer.allocate((int) room);
        UnixSocketFile.Received r = new UnixSocketFile.Received();
        int n = s.recv(c, b, flags, r);
        drop(r.rights);
        b.flip();
        if (b.hasRemaining()) {
            u.write(buf, b);
        }
        return n;
    }

    /** {@code sendmsg(2)}: iovecs, msg_name, SCM_RIGHTS. */
    public long sendmsg(Caller c, UserCopy u, Vfs vfs, int fd, long msg, int flags) {
        UnixSocketFile s = sock(c, fd);
        MsgHdr h = MsgHdr.read(u, msg);
        SockAddrUn dest = h.name == 0 ? null : readName(u, h.name, h.namelen);
        checkRecordSize(s, h.total);
        ByteBuffer data = h.gather(u);
        List<OpenFile> files = h.controllen > 0 ? rights(c, u, h) : null;
        UnixSocketFile.Rights rights = new UnixSocketFile.Rights(files == null || files.isEmpty() ? null : files);
        try {
            return sendBytes(c, vfs, s, data, flags, dest, rights);
        } finally {
            drop(rights.files); // not queued: the references go back
        }
    }

    /** Reads a sockaddr_un of {@code len} bytes (EINVAL when too short, not AF_UNIX or too long). */
    private static SockAddrUn readName(UserCopy u, long addr, int len) {
        if (len < 0) {
            throw Errno.EINVAL.exception("negative msg_namelen");
        }
        len = Math.min(len, SOCKADDR_STORAGE);
        if (len < SockAddrUn.SUN_PATH_OFFSET || len > Socket.SOCKADDR_UN_SIZE) {
            throw Errno.EINVAL.exception("sockaddr_un of " + len + " bytes");
        }
        byte[] b = new byte[len];
        u.read(addr, b, 0, len);
        int family = (b[0] & 0xFF) | (b[1] & 0xFF) << 8;
        if (family != Socket.AF_UNIX) {
            throw Errno.EINVAL.exception("address family " + family + " (AF_UNIX expected)");
        }
        return SockAddrUn.ofSunPath(java.util.Arrays.copyOfRange(b, SockAddrUn.SUN_PATH_OFFSET, len));
    }

    /** __scm_send: the open files of every SOL_SOCKET SCM_RIGHTS control message, each retained. */
    private static List<OpenFile> rights(Caller c, UserCopy u, MsgHdr h) {
        if (h.controllen > Integer.MAX_VALUE) {
            throw Errno.ENOBUFS.exception("msg_controllen " + h.controllen);
        }
        byte[] ctl = new byte[(int) h.controllen];
        u.read(h.control, ctl, 0, ctl.length);
        ByteBuffer b = ByteBuffer.wrap(ctl).order(ByteOrder.LITTLE_ENDIAN);
        List<OpenFile> files = new ArrayList<>();
        try {
            int off = 0;
            while (ctl.length - off >= Socket.CMSGHDR_SIZE) {
                long clen = b.getLong(off);
                int level = b.getInt(off + 8);
                int type = b.getInt(off + 12);
                if (clen < Socket.CMSGHDR_SIZE || clen > ctl.length - off) {
                    throw Errno.EINVAL.exception("cmsg_len " + clen + " at control offset " + off);
                }
                if (level == Socket.SOL_SOCKET) {
                    if (type != Socket.SCM_RIGHTS) {
                        throw Errno.EINVAL.exception("SOL_SOCKET control message type " + type + " (only SCM_RIGHTS)");
                    }
                    int n = (int) ((clen - Socket.CMSGHDR_SIZE) / 4);
                    if (files.size() + n > Socket.SCM_MAX_FD) {
                        throw Errno.EINVAL.exception("more than " + Socket.SCM_MAX_FD + " descriptors");
                    }
                    for (int i = 0; i < n; i++) {
                        OpenFile f = c.files().get(b.getInt(off + Socket.CMSGHDR_SIZE + 4 * i));
                        f.retain();
                        files.add(f);
                    }
                }
                off += (int) Socket.cmsgAlign(clen);
            }
        } catch (RuntimeException e) {
            drop(files);
            throw e;
        }
        return files;
    }

    /** {@code recvmsg(2)}: fills the iovecs, msg_name, an SCM_RIGHTS message, msg_flags. */
    public long recvmsg(Caller c, UserCopy u, int fd, long msg, int flags) {
        UnixSocketFile s = sock(c, fd);
        MsgHdr h = MsgHdr.read(u, msg);
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(h.total, ReadWriteCalls.MAX_RW_COUNT));
        UnixSocketFile.Received r = new UnixSocketFile.Received();
        int n = s.recv(c, b, flags, r);
        try {
            b.flip();
            h.scatter(u, b);
            int msgFlags = r.msgFlags;
            if (h.name != 0) {
                SockAddrUn from = r.from == null ? SockAddrUn.unnamed() : r.from;
                writeName(u, h.name, h.namelen, from);
                u.writeInt(msg + Socket.MSGHDR_NAMELEN, from.length());
            }
            long used = 0;
            if (r.rights != null) {
                List<OpenFile> files = r.rights;
                r.rights = null;
                long fdmax = h.controllen >= Socket.CMSGHDR_SIZE ? (h.controllen - Socket.CMSGHDR_SIZE) / 4 : 0;
                boolean cloexec = (flags & Socket.MSG_CMSG_CLOEXEC) != 0;
                int i = 0;
                try {
                    for (; i < Math.min(fdmax, files.size()); i++) {
                        int nfd;
                        try {
                            nfd = c.files().install(files.get(i), cloexec);
                        } catch (ErrnoException e) {
                            break; // EMFILE: the rest is dropped, MSG_CTRUNC
                        }
                        files.get(i).unref(); // the in-flight reference became the descriptor's
                        u.writeInt(h.control + Socket.CMSGHDR_SIZE + 4L * i, nfd);
                    }
                } finally {
                    drop(files.subList(i, files.size()));
                }
                if (i > 0) {
                    u.writeLong(h.control, Socket.cmsgLen(4L * i));
                    u.writeInt(h.control + 8, Socket.SOL_SOCKET);
                    u.writeInt(h.control + 12, Socket.SCM_RIGHTS);
                    used = Math.min(h.controllen, Socket.cmsgSpace(4L * i));
                }
                if (i < files.size()) {
                    msgFlags |= Socket.MSG_CTRUNC;
                }
            }
            u.writeLong(msg + Socket.MSGHDR_CONTROLLEN, used);
            u.writeInt(msg + Socket.MSGHDR_FLAGS, msgFlags);
        } finally {
            drop(r.rights);
        }
        return n;
    }

    /** move_addr_to_user: at most {@code room} bytes of the sockaddr_un. */
    private static void writeName(UserCopy u, long addr, int room, SockAddrUn a) {
        byte[] path = a.sunPath();
        ByteBuffer b = ByteBuffer.allocate(a.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) Socket.AF_UNIX);
        b.put(path);
        int n = Math.min(Math.max(room, 0), a.length());
        if (n > 0) {
            u.writeHead(addr, b, n);
        }
    }

    /** A {@code struct msghdr} read from guest memory, with its iovecs. */
    private static final class MsgHdr {
        long name;
        int namelen;
        long control;
        long controllen;
        long[] iovBase;
        long[] iovLen;
        long total;

        static MsgHdr read(UserCopy u, long msg) {
            MsgHdr h = new MsgHdr();
            h.name = u.readLong(msg + Socket.MSGHDR_NAME);
            h.namelen = u.readInt(msg + Socket.MSGHDR_NAMELEN);
            long iov = u.readLong(msg + Socket.MSGHDR_IOV);
            long iovlen = u.readLong(msg + Socket.MSGHDR_IOVLEN);
            h.control = u.readLong(msg + Socket.MSGHDR_CONTROL);
            h.controllen = u.readLong(msg + Socket.MSGHDR_CONTROLLEN);
            if (Long.compareUnsigned(iovlen, UIO_MAXIOV) > 0) {
                throw Errno.EMSGSIZE.exception("msg_iovlen " + Long.toUnsignedString(iovlen) + " above " + UIO_MAXIOV);
            }
            int n = (int) iovlen;
            h.iovBase = new long[n];
            h.iovLen = new long[n];
            for (int i = 0; i < n; i++) {
                h.iovBase[i] = u.readLong(iov + (long) Socket.IOVEC_SIZE * i);
                long len = u.readLong(iov + (long) Socket.IOVEC_SIZE * i + 8);
                if (len < 0) {
                    throw Errno.EINVAL.exception("iov_len " + Long.toUnsignedString(len));
                }
                h.iovLen[i] = Math.min(len, ReadWriteCalls.MAX_RW_COUNT - h.total);
                h.total += h.iovLen[i];
            }
            return h;
        }

        ByteBuffer gather(UserCopy u) {
            ByteBuffer b = ByteBuffer.allocate((int) total);
            for (int i = 0; i < iovBase.length; i++) {
                if (iovLen[i] > 0) {
                    u.read(iovBase[i], b.slice(b.position(), (int) iovLen[i]));
                    b.position(b.position() + (int) iovLen[i]);
                }
            }
            return b.flip();
        }

        void scatter(UserCopy u, ByteBuffer b) {
            for (int i = 0; i < iovBase.length && b.hasRemaining(); i++) {
                int n = (int) Math.min(iovLen[i], b.remaining());
                if (n > 0) {
                    u.write(iovBase[i], b.slice(b.position(), n));
                    b.position(b.position() + n);
                }
            }
        }
    }

}
