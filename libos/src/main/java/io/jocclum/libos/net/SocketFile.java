package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.FileMode;
import io.jocclum.api.Ioctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.Pollee;
import io.jocclum.libos.events.Poller;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.HostErrors;
import io.jocclum.libos.fs.LittleEndian;
import io.jocclum.libos.fs.OpenFile;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP socket backed by a host NIO channel on the loopback interface.
 *
 * <p>Design. The host channel is always non-blocking; guest blocking is done with the guest
 * thread's waiter, woken through the socket's {@link Pollee}. The {@link HostNetwork} thread
 * moves arriving bytes into a receive queue (a ring of {@link #RX_CAPACITY} bytes, like the
 * kernel's socket receive buffer) and accepted connections into an accept queue, so readiness is
 * computed from the socket's own state — IN exactly when data, EOF or a connection is queued,
 * RDHUP once the peer has shut down, OUT while the last write did not come up short, HUP when
 * both directions are shut, ERR while an error is pending — and every arrival is a new event.
 * When the receive queue is empty a guest recv also reads the channel directly, so a reply that
 * the poller thread has not yet seen costs no extra hop. Flow control: a full receive queue stops
 * reading (the host TCP window closes) until the guest drains it.
 *
 * <p>States: NEW (no host channel; polls OUT|HUP like a never-connected Linux TCP socket), BOUND
 * (bind made a host server channel, see docs/events.md), LISTENING, CONNECTING, CONNECTED,
 * FAILED (connection refused or reset; the error is reported once through SO_ERROR or the next
 * call), CLOSED. {@link #lock} guards all state; {@link #writeLock} serialises senders.
 */
public final class SocketFile extends OpenFile {
    /** Receive queue size: the Linux default tcp_rmem[1] is 128 KiB; we keep 64 KiB. */
    static final int RX_CAPACITY = 65536;
    /** Linux defaults before a host channel exists: net.ipv4.tcp_rmem[1] = 131072, tcp_wmem[1] = 16384. */
    static final int DEFAULT_RCVBUF = 131072;
    static final int DEFAULT_SNDBUF = 16384;

    enum State { NEW, BOUND, LISTENING, CONNECTING, CONNECTED, FAILED, CLOSED }

    private final HostNetwork net;
    private final long ino;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Pollee pollee;

    // ---- guarded by lock
    private volatile State state;
    private ServerSocketChannel server;
    private SocketChannel channel;
    private SelectionKey key;
    private SockAddrIn local = new SockAddrIn(Socket.INADDR_ANY, 0);
    private SockAddrIn peer;
    /** Options set before a host channel exists: (level << 16 | name) → value. */
    private final Map<Integer, Integer> pendingOptions = new HashMap<>();
    private ByteBuffer rxRing;
    private int rxHead;
    private int rxCount;
    private boolean rxArmed;
    private boolean rxEof;
    private boolean shutRd;
    private boolean shutWr;
    private boolean writable;
    private int soError;
    private ArrayDeque<SocketChannel> acceptQueue;
    private int backlog;
    private boolean acceptArmed;

    SocketFile(HostNetwork net, int flags) {
        super(OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK));
        this.net = net;
        this.ino = net.nextIno();
        this.state = State.NEW;
        this.pollee = new Pollee(IoEvents.OUT | IoEvents.WRNORM | IoEvents.HUP);
    }

    /** A connected socket made by accept. */
    SocketFile(HostNetwork net, int flags, SocketChannel accepted) throws IOException {
        this(net, flags);
        accepted.configureBlocking(false);
        lock.lock();
        try {
            channel = accepted;
            state = State.CONNECTED;
            writable = true;
            peer = toAddr(accepted.getRemoteAddress());
            local = toAddr(accepted.getLocalAddress());
            rxArmed = true;
            key = net.register(accepted, SelectionKey.OP_READ, this);
        } finally {
            lock.unlock();
        }
        refresh(0);
    }

    // ====================================================================== readiness

    /** tcp_poll over our state; lock held. */
    private int computeLocked() {
        int ev = switch (state) {
            case NEW, BOUND -> IoEvents.OUT | IoEvents.WRNORM | IoEvents.HUP;
            case LISTENING -> acceptQueue.isEmpty() ? 0 : IoEvents.IN | IoEvents.RDNORM;
            case CONNECTING, CLOSED -> 0;
            case CONNECTED -> {
                int e = 0;
                boolean rdDown = rxEof || shutRd;
                if (rxCount > 0 || rdDown) {
                    e |= IoEvents.IN | IoEvents.RDNORM;
                }
                if (rdDown) {
                    e |= IoEvents.RDHUP;
                }
                if (writable || shutWr) {
                    e |= IoEvents.OUT | IoEvents.WRNORM;
                }
                if (rdDown && shutWr) {
                    e |= IoEvents.HUP;
                }
                yield e;
            }
            case FAILED -> IoEvents.IN | IoEvents.RDNORM | IoEvents.RDHUP | IoEvents.OUT | IoEvents.WRNORM | IoEvents.HUP;
        };
        if (soError != 0) {
            ev |= IoEvents.ERR;
        }
        return ev;
    }

    /**
     * Recomputes readiness and broadcasts the bits that rose, plus {@code edge} bits that are
     * set (a new arrival is a new event even when IN was already set).
     */
    private void refresh(int edge) {
        int now;
        int prev;
        lock.lock();
        try {
            now = computeLocked();
            prev = pollee.set(now);
        } finally {
            lock.unlock();
        }
        int bits = (now & ~prev) | (edge & now);
        if (bits != 0) {
            pollee.notifier().broadcast(bits);
        }
    }

    @Override
    public int poll() {
        return pollee.events();
    }

    @Override
    public Notifier notifier() {
        return pollee.notifier();
    }

    // ====================================================================== host callbacks

    /** Called by the host poller thread when the channel is ready for {@code ops}. */
    void onHostReady(SelectionKey k, int ops) {
        int edge = 0;
        lock.lock();
        try {
            if (k != key || state == State.CLOSED) {
                return;
            }
            if ((ops & SelectionKey.OP_CONNECT) != 0 && state == State.CONNECTING) {
                try {
                    if (channel.finishConnect()) {
                        state = State.CONNECTED;
                        writable = true;
                        local = toAddr(channel.getLocalAddress());
                        rxArmed = true;
                        k.interestOps(SelectionKey.OP_READ);
                        edge |= IoEvents.OUT | IoEvents.WRNORM;
                    }
                } catch (IOException e) {
                    fail(HostErrors.errno(e));
                    edge |= IoEvents.ERR | IoEvents.HUP;
                }
            }
            if ((ops & SelectionKey.OP_ACCEPT) != 0 && state == State.LISTENING) {
                edge |= fillAcceptQueue();
            }
            if ((ops & SelectionKey.OP_READ) != 0 && state == State.CONNECTED) {
                edge |= fillRx();
            }
            if ((ops & SelectionKey.OP_WRITE) != 0 && state == State.CONNECTED) {
                HostNetwork.disarm(k, SelectionKey.OP_WRITE);
                writable = true;
                edge |= IoEvents.OUT | IoEvents.WRNORM;
            }
        } finally {
            lock.unlock();
        }
        refresh(edge);
    }

    /** Accepts pending host connections into the accept queue; lock held. */
    private int fillAcceptQueue() {
        int added = 0;
        try {
            while (acceptQueue.size() < backlog) {
                SocketChannel ch = server.accept();
                if (ch == null) {
                    break;
                }
                acceptQueue.add(ch);
                added++;
            }
        } catch (IOException e) {
            soError = HostErrors.errno(e).number();
        }
        if (acceptQueue.size() >= backlog) {
            HostNetwork.disarm(key, SelectionKey.OP_ACCEPT);
            acceptArmed = false;
        }
        return added > 0 ? IoEvents.IN | IoEvents.RDNORM : 0;
    }

    /** Reads what the host has into the receive ring; lock held. Returns the edge bits. */
    private int fillRx() {
        if (rxRing == null) {
            rxRing = ByteBuffer.allocateDirect(RX_CAPACITY);
        }
        int got = 0;
        try {
            while (rxCount < RX_CAPACITY && !rxEof) {
                int tail = (rxHead + rxCount) % RX_CAPACITY;
                int room = Math.min(RX_CAPACITY - rxCount, RX_CAPACITY - tail);
                ByteBuffer view = rxRing.duplicate().limit(tail + room).position(tail);
                int n = channel.read(view);
                if (n < 0) {
                    rxEof = true;
                } else if (n == 0) {
                    break;
                } else {
                    rxCount += n;
                    got += n;
                }
            }
        } catch (IOException e) {
            fail(HostErrors.errno(e));
            return IoEvents.ERR | IoEvents.HUP | IoEvents.IN;
        }
        if (rxEof || rxCount == RX_CAPACITY) {
            HostNetwork.disarm(key, SelectionKey.OP_READ);
            rxArmed = false;
        }
        return got > 0 || rxEof ? IoEvents.IN | IoEvents.RDNORM | (rxEof ? IoEvents.RDHUP : 0) : 0;
    }

    private void fail(Errno e) {
        soError = e.number();
        state = State.FAILED;
        if (key != null) {
            key.cancel();
        }
    }

    // ====================================================================== socket calls

    void bind(Caller c, SockAddrIn addr) {
        checkAddress(addr, true);
        if (addr.port() != 0 && addr.port() < 1024 && !c.credentials().privileged()) {
            throw Errno.EACCES.exception("port " + addr.port() + " needs CAP_NET_BIND_SERVICE");
        }
        lock.lock();
        try {
            if (state != State.NEW) {
                throw Errno.EINVAL.exception("socket is already bound");
            }
            ServerSocketChannel s = ServerSocketChannel.open();
            try {
                s.configureBlocking(false);
                applyOptions(s);
                s.bind(hostAddress(addr), Socket.SOMAXCONN);
            } catch (IOException e) {
                closeQuietly(s);
                throw e;
            }
            server = s;
            local = new SockAddrIn(addr.address(), ((InetSocketAddress) s.getLocalAddress()).getPort());
            state = State.BOUND;
        } catch (IOException e) {
            throw HostErrors.exception(e);
        } finally {
            lock.unlock();
        }
    }

    void listen(int requestedBacklog) {
        lock.lock();
        try {
            switch (state) {
                case NEW -> {
                    ServerSocketChannel s = ServerSocketChannel.open();
                    s.configureBlocking(false);
                    applyOptions(s);
                    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Socket.SOMAXCONN);
                    server = s;
                    local = new SockAddrIn(Socket.INADDR_ANY, ((InetSocketAddress) s.getLocalAddress()).getPort());
                }
                case BOUND -> {
                }
                case LISTENING -> {
                    backlog = clampBacklog(requestedBacklog);
                    return;
                }
                default -> throw Errno.EINVAL.exception("listen in state " + state);
            }
            backlog = clampBacklog(requestedBacklog);
            acceptQueue = new ArrayDeque<>();
            state = State.LISTENING;
            acceptArmed = true;
            key = net.register(server, SelectionKey.OP_ACCEPT, this);
        } catch (IOException e) {
            throw HostErrors.exception(e);
        } finally {
            lock.unlock();
        }
        refresh(0);
    }

    private static int clampBacklog(int b) {
        // the accept queue holds backlog + 1 connections (sk_acceptq_is_full), capped by somaxconn
        return Math.min(Math.max(b, 0), Socket.SOMAXCONN) + 1;
    }

    /** accept4: returns the new socket (not yet installed) or throws EAGAIN/EINVAL. */
    SocketFile accept(Caller c, int flags) {
        Waiter w = c.waiter();
        for (;;) {
            SocketChannel ch;
            lock.lock();
            try {
                if (state != State.LISTENING) {
                    throw Errno.EINVAL.exception("accept on a socket that is not listening");
                }
                ch = acceptQueue.poll();
                if (ch == null) {
                    ch = server.accept(); // a connection the poller has not picked up yet
                }
                if (!acceptArmed && acceptQueue.size() < backlog) {
                    acceptArmed = true;
                    net.arm(key, SelectionKey.OP_ACCEPT);
                }
            } catch (IOException e) {
                throw HostErrors.exception(e);
            } finally {
                lock.unlock();
            }
            if (ch != null) {
                refresh(0);
                try {
                    return new SocketFile(net, flags, ch);
                } catch (IOException e) {
                    closeQuietly(ch);
                    throw HostErrors.exception(e);
                }
            }
            refresh(0);
            if (isNonBlocking()) {
                throw Errno.EAGAIN.exception("no pending connection");
            }
            awaitEvents(c, w, IoEvents.IN, () -> state != State.LISTENING || !acceptQueue.isEmpty());
        }
    }

    void connect(Caller c, SockAddrIn addr) {
        checkAddress(addr, false);
        Waiter w = c.waiter();
        lock.lock();
        try {
            switch (state) {
                case CONNECTED, LISTENING -> throw Errno.EISCONN.exception("already connected or listening");
                case CONNECTING -> {
                    if (isNonBlocking()) {
                        throw Errno.EALREADY.exception("connect in progress");
                    }
                }
                case FAILED -> {
                    if (soError != 0) {
                        Errno e = Errno.of(soError);
                        soError = 0;
                        throw e.exception("earlier connect failed");
                    }
                    throw Errno.ECONNABORTED.exception("connection failed");
                }
                case CLOSED -> throw Errno.EBADF.exception("closed");
                case NEW, BOUND -> startConnect(addr);
            }
        } finally {
            lock.unlock();
        }
        refresh(0);
        if (state == State.CONNECTED) {
            return;
        }
        if (isNonBlocking()) {
            throw Errno.EINPROGRESS.exception("connecting to " + addr);
        }
        while (state == State.CONNECTING) {
            awaitEvents(c, w, IoEvents.OUT, () -> state != State.CONNECTING);
        }
        Errno failed = null;
        lock.lock();
        try {
            if (state == State.FAILED && soError != 0) {
                failed = Errno.of(soError);
                soError = 0;
            }
        } finally {
            lock.unlock();
        }
        if (failed != null) {
            refresh(0);
            throw failed.exception("connect to " + addr);
        }
    }

    /** Opens the host channel and starts connecting; lock held. */
    private void startConnect(SockAddrIn addr) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            applyOptions(ch);
            if (state == State.BOUND) {
                // bind made a server channel; a client needs a socket channel on the same address
                InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
                closeQuietly(server);
                server = null;
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                ch.bind(bound);
            }
            boolean done = ch.connect(hostAddress(addr));
            channel = ch;
            peer = addr;
            if (done) {
                state = State.CONNECTED;
                writable = true;
                rxArmed = true;
                local = toAddr(ch.getLocalAddress());
                key = net.register(ch, SelectionKey.OP_READ, this);
            } else {
                state = State.CONNECTING;
                key = net.register(ch, SelectionKey.OP_CONNECT, this);
            }
        } catch (IOException e) {
            if (ch != null) {
                closeQuietly(ch);
            }
            channel = null;
            throw HostErrors.exception(e);
        }
    }

    int recv(Caller c, ByteBuffer dst, int flags) {
        boolean nonBlocking = isNonBlocking() || (flags & Socket.MSG_DONTWAIT) != 0;
        boolean peek = (flags & Socket.MSG_PEEK) != 0;
        boolean waitAll = (flags & Socket.MSG_WAITALL) != 0 && !peek && !nonBlocking;
        if ((flags & Socket.MSG_OOB) != 0) {
            throw Errno.EINVAL.exception("MSG_OOB is not supported");
        }
        Waiter w = c.waiter();
        int total = 0;
        for (;;) {
            boolean done = false;
            Errno error = null;
            int edge = 0;
            lock.lock();
            try {
                switch (state) {
                    case NEW, BOUND, LISTENING -> throw Errno.ENOTCONN.exception("recv on an unconnected socket");
                    case CLOSED -> throw Errno.EBADF.exception("closed");
                    default -> {
                    }
                }
                if (rxCount > 0 && dst.hasRemaining()) {
                    total += copyOut(dst, peek);
                    if (!rxArmed && !rxEof && state == State.CONNECTED) {
                        rxArmed = true;
                        net.arm(key, SelectionKey.OP_READ);
                    }
                    done = !waitAll || !dst.hasRemaining();
                } else if (!dst.hasRemaining()) {
                    done = true;
                } else if (soError != 0) {
                    if (total == 0) {
                        error = Errno.of(soError);
                        soError = 0;
                    }
                    done = true;
                } else if (rxEof || shutRd || state == State.FAILED) {
                    done = true;
                } else if (state == State.CONNECTED) {
                    edge = readDirect(dst, peek);
                    if (rxCount > 0 && peek) {
                        total += copyOut(dst, true);
                        done = true;
                    } else if (edge > 0) {
                        total += edge;
                        edge = 0;
                        done = !waitAll || !dst.hasRemaining();
                    } else if (rxEof || soError != 0) {
                        continue;
                    }
                }
            } finally {
                lock.unlock();
            }
            refresh(0);
            if (error != null) {
                throw error.exception("recv");
            }
            if (done) {
                return total;
            }
            if (nonBlocking) {
                if (total > 0) {
                    return total;
                }
                throw Errno.EAGAIN.exception("no data");
            }
            try {
                awaitEvents(c, w, IoEvents.IN | IoEvents.RDHUP,
                        () -> rxCount > 0 || rxEof || shutRd || soError != 0 || state != State.CONNECTED && state != State.CONNECTING);
            } catch (ErrnoException e) {
                if (total > 0) {
                    return total;
                }
                throw e;
            }
        }
    }

    /**
     * Reads the channel straight into {@code dst} (into the ring when peeking); lock held.
     * Returns the bytes put in {@code dst}, 0 when the host had nothing.
     */
    private int readDirect(ByteBuffer dst, boolean peek) {
        try {
            if (peek) {
                fillRx();
                return 0;
            }
            int n = channel.read(dst);
            if (n < 0) {
                rxEof = true;
                HostNetwork.disarm(key, SelectionKey.OP_READ);
                rxArmed = false;
                return 0;
            }
            return n;
        } catch (IOException e) {
            fail(HostErrors.errno(e));
            return 0;
        }
    }

    /** Copies from the receive ring into {@code dst}; lock held. */
    private int copyOut(ByteBuffer dst, boolean peek) {
        int n = Math.min(dst.remaining(), rxCount);
        int first = Math.min(n, RX_CAPACITY - rxHead);
        dst.put(rxRing.slice(rxHead, first));
        if (n > first) {
            dst.put(rxRing.slice(0, n - first));
        }
        if (!peek) {
            rxCount -= n;
            rxHead = rxCount == 0 ? 0 : (rxHead + n) % RX_CAPACITY;
        }
        return n;
    }

    int send(Caller c, ByteBuffer src, int flags) {
        boolean nonBlocking = isNonBlocking() || (flags & Socket.MSG_DONTWAIT) != 0;
        boolean noSignal = (flags & Socket.MSG_NOSIGNAL) != 0;
        if ((flags & Socket.MSG_OOB) != 0) {
            throw Errno.EOPNOTSUPP.exception("MSG_OOB is not supported");
        }
        Waiter w = c.waiter();
        writeLock.lock();
        try {
            int total = 0;
            for (;;) {
                SocketChannel ch;
                lock.lock();
                try {
                    switch (state) {
                        case CONNECTING -> ch = null;
                        case CONNECTED -> {
                            if (shutWr) {
                                return brokenPipe(c, noSignal, total, "send after shutdown");
                            }
                            ch = channel;
                        }
                        case FAILED -> {
                            if (soError != 0) {
                                Errno e = Errno.of(soError);
                                soError = 0;
                                if (total > 0) {
                                    return total;
                                }
                                throw e.exception("send");
                            }
                            return brokenPipe(c, noSignal, total, "connection is gone");
                        }
                        case CLOSED -> throw Errno.EBADF.exception("closed");
                        default -> {
                            return brokenPipe(c, noSignal, total, "send on an unconnected socket");
                        }
                    }
                } finally {
                    lock.unlock();
                }
                if (ch != null) {
                    int n;
                    try {
                        n = ch.write(src);
                    } catch (IOException e) {
                        Errno errno = HostErrors.errno(e);
                        lock.lock();
                        try {
                            fail(errno);
                            soError = 0;
                        } finally {
                            lock.unlock();
                        }
                        refresh(IoEvents.ERR);
                        if (errno == Errno.EPIPE) {
                            return brokenPipe(c, noSignal, total, "peer closed");
                        }
                        if (total > 0) {
                            return total;
                        }
                        throw errno.exception("send");
                    }
                    total += n;
                    if (!src.hasRemaining()) {
                        return total;
                    }
                    lock.lock();
                    try {
                        writable = false;
                        net.arm(key, SelectionKey.OP_WRITE);
                    } finally {
                        lock.unlock();
                    }
                    refresh(0);
                }
                if (nonBlocking) {
                    if (total > 0) {
                        return total;
                    }
                    throw Errno.EAGAIN.exception(ch == null ? "connect in progress" : "send buffer full");
                }
                try {
                    awaitEvents(c, w, IoEvents.OUT, () -> state != State.CONNECTING && (writable || state != State.CONNECTED));
                } catch (ErrnoException e) {
                    if (total > 0) {
                        return total;
                    }
                    throw e;
                }
            }
        } finally {
            writeLock.unlock();
        }
    }

    private int brokenPipe(Caller c, boolean noSignal, int total, String why) {
        if (!noSignal) {
            c.signals().raiseSigpipe();
        }
        if (total > 0) {
            return total;
        }
        throw Errno.EPIPE.exception(why);
    }

    void shutdown(int how) {
        if (how < Socket.SHUT_RD || how > Socket.SHUT_RDWR) {
            throw Errno.EINVAL.exception("shutdown how " + how);
        }
        lock.lock();
        try {
            switch (state) {
                case CONNECTED -> {
                    if (how != Socket.SHUT_WR && !shutRd) {
                        shutRd = true;
                        channel.shutdownInput();
                    }
                    if (how != Socket.SHUT_RD && !shutWr) {
                        shutWr = true;
                        channel.shutdownOutput();
                    }
                }
                case LISTENING, FAILED -> {
                }
                default -> throw Errno.ENOTCONN.exception("shutdown of an unconnected socket");
            }
        } catch (IOException e) {
            throw HostErrors.exception(e);
        } finally {
            lock.unlock();
        }
        refresh(IoEvents.RDHUP | IoEvents.HUP);
    }

    SockAddrIn localAddress() {
        lock.lock();
        try {
            return local;
        } finally {
            lock.unlock();
        }
    }

    SockAddrIn peerAddress() {
        lock.lock();
        try {
            if (peer == null || state != State.CONNECTED && state != State.FAILED) {
                throw Errno.ENOTCONN.exception("no peer");
            }
            return peer;
        } finally {
            lock.unlock();
        }
    }

    // ====================================================================== options

    void setOption(int level, int name, int value) {
        SocketOption<?> opt = hostOption(level, name);
        if (opt == null) {
            throw Errno.ENOPROTOOPT.exception("option " + level + "/" + name);
        }
        lock.lock();
        try {
            NetworkChannel ch = hostChannel();
            if (ch == null) {
                pendingOptions.put(level << 16 | name, value);
                return;
            }
            set(ch, opt, value);
        } catch (IOException | UnsupportedOperationException e) {
            throw Errno.ENOPROTOOPT.exception("host rejected option " + level + "/" + name + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    int getOption(int level, int name) {
        boolean consumedError = false;
        lock.lock();
        try {
            if (level == Socket.SOL_SOCKET) {
                switch (name) {
                    case Socket.SO_TYPE:
                        return Socket.SOCK_STREAM;
                    case Socket.SO_DOMAIN:
                        return Socket.AF_INET;
                    case Socket.SO_PROTOCOL:
                        return Socket.IPPROTO_TCP;
                    case Socket.SO_ACCEPTCONN:
                        return state == State.LISTENING ? 1 : 0;
                    case Socket.SO_ERROR: {
                        int e = soError;
                        soError = 0;
                        consumedError = e != 0;
                        return e;
                    }
                    default:
                        break;
                }
            }
            SocketOption<?> opt = hostOption(level, name);
            if (opt == null) {
                throw Errno.ENOPROTOOPT.exception("option " + level + "/" + name);
            }
            NetworkChannel ch = hostChannel();
            if (ch == null) {
                Integer v = pendingOptions.get(level << 16 | name);
                if (opt == StandardSocketOptions.SO_RCVBUF) {
                    return v == null ? DEFAULT_RCVBUF : 2 * v; // Linux doubles the value set
                }
                if (opt == StandardSocketOptions.SO_SNDBUF) {
                    return v == null ? DEFAULT_SNDBUF : 2 * v;
                }
                return v == null ? 0 : (v != 0 ? 1 : 0);
            }
            try {
                Object v = ch.getOption(opt);
                return v instanceof Boolean b ? (b ? 1 : 0) : (Integer) v;
            } catch (IOException | UnsupportedOperationException e) {
                throw Errno.ENOPROTOOPT.exception("host option " + opt.name() + ": " + e.getMessage());
            }
        } finally {
            lock.unlock();
            if (consumedError) {
                refresh(0);
            }
        }
    }

    private static SocketOption<?> hostOption(int level, int name) {
        if (level == Socket.SOL_SOCKET) {
            return switch (name) {
                case Socket.SO_REUSEADDR -> StandardSocketOptions.SO_REUSEADDR;
                case Socket.SO_REUSEPORT -> StandardSocketOptions.SO_REUSEPORT;
                case Socket.SO_KEEPALIVE -> StandardSocketOptions.SO_KEEPALIVE;
                case Socket.SO_RCVBUF -> StandardSocketOptions.SO_RCVBUF;
                case Socket.SO_SNDBUF -> StandardSocketOptions.SO_SNDBUF;
                default -> null;
            };
        }
        if (level == Socket.IPPROTO_TCP && name == Socket.TCP_NODELAY) {
            return StandardSocketOptions.TCP_NODELAY;
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static void set(NetworkChannel ch, SocketOption<?> opt, int value) throws IOException {
        if (!ch.supportedOptions().contains(opt)) {
            return; // e.g. TCP_NODELAY on a listening channel: Linux accepts and ignores it too
        }
        if (opt.type() == Boolean.class) {
            ch.setOption((SocketOption<Boolean>) opt, value != 0);
        } else {
            ch.setOption((SocketOption<Integer>) opt, value);
        }
    }

    private NetworkChannel hostChannel() {
        return channel != null ? channel : server;
    }

    private void applyOptions(NetworkChannel ch) throws IOException {
        for (Map.Entry<Integer, Integer> e : pendingOptions.entrySet()) {
            SocketOption<?> opt = hostOption(e.getKey() >>> 16, e.getKey() & 0xFFFF);
            if (opt != null) {
                set(ch, opt, e.getValue());
            }
        }
    }

    // ====================================================================== file

    @Override
    protected int doRead(Caller caller, ByteBuffer dst) {
        return recv(caller, dst, 0);
    }

    @Override
    protected int doWrite(Caller caller, ByteBuffer src) {
        return send(caller, src, 0);
    }

    @Override
    public int ioctl(Caller caller, int cmd, ByteBuffer arg) {
        if (cmd == Ioctls.FIONREAD) {
            lock.lock();
            try {
                if (state == State.LISTENING) {
                    throw Errno.EINVAL.exception("FIONREAD on a listening socket");
                }
                LittleEndian.putInt(arg, arg.position(), rxCount);
            } finally {
                lock.unlock();
            }
            return 0;
        }
        return super.ioctl(caller, cmd, arg);
    }

    @Override
    public Stat fstat() {
        return new Stat(HostNetwork.SOCKFS_DEV, ino, FileMode.S_IFSOCK | 0777, 1, 0, 0, 0, 0, 4096, 0, 0, 0, 0);
    }

    @Override
    protected void release() {
        SelectionKey toFlush = null;
        java.nio.channels.SelectableChannel flushChannel = null;
        lock.lock();
        try {
            state = State.CLOSED;
            if (key != null) {
                toFlush = key;
                flushChannel = key.channel();
            }
            if (channel != null && channel != flushChannel) {
                closeQuietly(channel);
            }
            if (server != null && server != flushChannel) {
                closeQuietly(server);
            }
            if (acceptQueue != null) {
                acceptQueue.forEach(SocketFile::closeQuietly);
                acceptQueue.clear();
            }
        } finally {
            lock.unlock();
        }
        if (toFlush != null) {
            net.closeRegistered(toFlush, flushChannel);
        }
        pollee.set(0);
        pollee.notifier().broadcast(IoEvents.HUP | IoEvents.ERR);
    }

    /** The published readiness equals the state's readiness (no lost or stale bits). */
    @Override
    public void checkInvariants(boolean quiescent) {
        super.checkInvariants(quiescent);
        lock.lock();
        try {
            int computed = computeLocked();
            if (state != State.CLOSED && pollee.events() != computed) {
                throw new IllegalStateException(this + ": published readiness " + IoEvents.toString(pollee.events())
                        + " != state readiness " + IoEvents.toString(computed));
            }
            if (rxCount < 0 || rxCount > RX_CAPACITY) {
                throw new IllegalStateException(this + ": receive queue count " + rxCount);
            }
        } finally {
            lock.unlock();
        }
    }

    // ====================================================================== helpers

    /** Subscribe, re-check, park: waits until {@code ready} or an event in {@code mask}. */
    private void awaitEvents(Caller c, Waiter w, int mask, java.util.function.BooleanSupplier ready) {
        try (Poller p = new Poller(w)) {
            w.reset();
            p.subscribe(pollee.notifier(), mask);
            lock.lock();
            boolean now;
            try {
                now = ready.getAsBoolean();
            } finally {
                lock.unlock();
            }
            if (now) {
                return;
            }
            if (c.signals().interruptPending()) {
                throw Errno.ERESTARTSYS.exception("socket call interrupted");
            }
            w.await(c.clock(), WaitClock.FOREVER);
        }
    }

    /** Loopback only: bind accepts INADDR_ANY and 127/8, connect 127/8 and INADDR_ANY. */
    private static void checkAddress(SockAddrIn a, boolean forBind) {
        if (a == null) {
            throw Errno.EFAULT.exception("no address");
        }
        boolean loopback = (a.address() >>> 24) == 127;
        if (!loopback && a.address() != Socket.INADDR_ANY) {
            throw forBind ? Errno.EADDRNOTAVAIL.exception(a + " is not a loopback address")
                    : Errno.ENETUNREACH.exception(a + ": host sockets reach the loopback interface only");
        }
    }

    private static InetSocketAddress hostAddress(SockAddrIn a) {
        int ip = a.address() == Socket.INADDR_ANY ? Socket.INADDR_LOOPBACK : a.address();
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {
                (byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip}), a.port());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4-byte address rejected", e);
        }
    }

    static SockAddrIn toAddr(java.net.SocketAddress sa) {
        InetSocketAddress isa = (InetSocketAddress) sa;
        byte[] b = isa.getAddress().getAddress();
        int ip = b.length == 4 ? (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF) : 0;
        return new SockAddrIn(ip, isa.getPort());
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing a host channel we are dropping anyway
        }
    }

    /** The state name (for tests and messages). */
    String stateName() {
        return state.name();
    }

    @Override
    public String toString() {
        return "socket:[" + ino + "] " + state;
    }
}
