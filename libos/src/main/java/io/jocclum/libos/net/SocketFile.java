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
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP socket backed by a host NIO channel on the loopback interface.
 *
 * <p>Design. The host channel is always non-blocking; guest blocking is done with the guest
 * thread's waiter, woken through the socket's {@link Pollee}. The {@link HostNetwork} thread moves
 * arriving bytes into a {@link ReceiveQueue} (like the kernel's socket receive buffer) and accepted
 * connections into an {@link AcceptQueue}, so readiness is computed from the socket's own state —
 * IN exactly when data, EOF or a connection is queued, RDHUP once the peer has shut down, OUT while
 * the last write did not come up short, HUP when both directions are shut, ERR while an error is
 * pending — and every arrival is a new event. When the receive queue is empty a guest recv also
 * reads the channel directly, so a reply that the poller thread has not yet seen costs no extra
 * hop. Flow control: a full receive queue stops reading (the host TCP window closes) until the
 * guest drains it.
 *
 * <p>States: NEW (no host channel; polls OUT|HUP like a never-connected Linux TCP socket), BOUND
 * (bind made a host server channel, see docs/events.md), LISTENING, CONNECTING, CONNECTED,
 * FAILED (connection refused or reset; the error is reported once through SO_ERROR or the next
 * call), CLOSED. Options set before there is a host channel wait in {@link SocketOptions}.
 * {@link #lock} guards all state, the queues and the options; {@link #writeLock} serialises senders.
 */
public final class SocketFile extends OpenFile {
    @Override
    protected List<KernelHeap.Kind> kernelObjects() {
        return List.of(KernelHeap.Kind.OPEN_FILE, KernelHeap.Kind.SOCKET);
    }

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
    private final SocketOptions options = new SocketOptions();
    private final ReceiveQueue rx = new ReceiveQueue();
    private boolean rxArmed;
    private boolean shutRd;
    private boolean shutWr;
    private boolean writable;
    private int soError;
    private AcceptQueue acceptQueue;
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
            peer = Loopback.toAddr(accepted.getRemoteAddress());
            local = Loopback.toAddr(accepted.getLocalAddress());
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
                boolean rdDown = rx.eof() || shutRd;
                if (rx.count() > 0 || rdDown) {
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
                        local = Loopback.toAddr(channel.getLocalAddress());
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
        int added = acceptQueue.fill(server, e -> soError = HostErrors.errno(e).number());
        if (!acceptQueue.hasRoom()) {
            HostNetwork.disarm(key, SelectionKey.OP_ACCEPT);
            acceptArmed = false;
        }
        return added > 0 ? IoEvents.IN | IoEvents.RDNORM : 0;
    }

    /** Reads what the host has into the receive ring; lock held. Returns the edge bits. */
    private int fillRx() {
        int got;
        try {
            got = rx.fill(channel);
        } catch (IOException e) {
            fail(HostErrors.errno(e));
            return IoEvents.ERR | IoEvents.HUP | IoEvents.IN;
        }
        if (rx.eof() || rx.isFull()) {
            HostNetwork.disarm(key, SelectionKey.OP_READ);
            rxArmed = false;
        }
        return got > 0 || rx.eof() ? IoEvents.IN | IoEvents.RDNORM | (rx.eof() ? IoEvents.RDHUP : 0) : 0;
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
        Loopback.checkAddress(addr, true);
        if (addr.port() != 0 && addr.port() < 1024 && !c.credentials().privileged()) {
            throw Errno.EACCES.exception("port " + addr.port() + " needs CAP_NET_BIND_SERVICE");
        }
        lock.lock();
        try {
            if (state != State.NEW) {
                throw Errno.EINVAL.exception("socket is already bound");
            }
            ServerSocketChannel s = openServer(Loopback.hostAddress(addr));
            server = s;
            local = new SockAddrIn(addr.address(), ((InetSocketAddress) s.getLocalAddress()).getPort());
            state = State.BOUND;
        } catch (IOException e) {
            throw HostErrors.exception(e);
        } finally {
            lock.unlock();
        }
    }

    /** A non-blocking host server channel with the options set so far, bound to {@code addr}. */
    private ServerSocketChannel openServer(InetSocketAddress addr) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            s.configureBlocking(false);
            options.applyTo(s);
            s.bind(addr, Socket.SOMAXCONN);
        } catch (IOException e) {
            closeQuietly(s);
            throw e;
        }
        return s;
    }

    void listen(int requestedBacklog) {
        lock.lock();
        try {
            switch (state) {
                case NEW -> {
                    ServerSocketChannel s = openServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    server = s;
                    local = new SockAddrIn(Socket.INADDR_ANY, ((InetSocketAddress) s.getLocalAddress()).getPort());
                }
                case BOUND -> {
                }
                case LISTENING -> {
                    acceptQueue.setBacklog(requestedBacklog);
                    return;
                }
                default -> throw Errno.EINVAL.exception("listen in state " + state);
            }
            acceptQueue = new AcceptQueue(requestedBacklog);
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
                if (!acceptArmed && acceptQueue.hasRoom()) {
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
        Loopback.checkAddress(addr, false);
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
            options.applyTo(ch);
            if (state == State.BOUND) {
                // bind made a server channel; a client needs a socket channel on the same address
                InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
                closeQuietly(server);
                server = null;
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                ch.bind(bound);
            }
            boolean done = ch.connect(Loopback.hostAddress(addr));
            channel = ch;
            peer = addr;
            if (done) {
                state = State.CONNECTED;
                writable = true;
                rxArmed = true;
                local = Loopback.toAddr(ch.getLocalAddress());
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
                if (rx.count() > 0 && dst.hasRemaining()) {
                    total += rx.copyOut(dst, peek);
                    if (!rxArmed && !rx.eof() && state == State.CONNECTED) {
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
                } else if (rx.eof() || shutRd || state == State.FAILED) {
                    done = true;
                } else if (state == State.CONNECTED) {
                    edge = readDirect(dst, peek);
                    if (rx.count() > 0 && peek) {
                        total += rx.copyOut(dst, true);
                        done = true;
                    } else if (edge > 0) {
                        total += edge;
                        edge = 0;
                        done = !waitAll || !dst.hasRemaining();
                    } else if (rx.eof() || soError != 0) {
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
                        () -> rx.count() > 0 || rx.eof() || shutRd || soError != 0
                                || state != State.CONNECTED && state != State.CONNECTING);
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
                rx.setEof();
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
        lock.lock();
        try {
            options.set(hostChannel(), level, name, value);
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
            return options.get(hostChannel(), level, name);
        } finally {
            lock.unlock();
            if (consumedError) {
                refresh(0);
            }
        }
    }

    /** The host channel options go to: null before bind, listen or connect made one. */
    private NetworkChannel hostChannel() {
        return channel != null ? channel : server;
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
                LittleEndian.putInt(arg, arg.position(), rx.count());
            } finally {
                lock.unlock();
            }
            return 0;
        }
        return super.ioctl(caller, cmd, arg);
    }

    @Override
    public Stat fstat() {
        return new Stat(HostNetwork.SOCKFS_DEV, ino, FileMode.S_IFSOCK | 0777, 1, 0, 0, 0, 0, Pages.SIZE, 0, 0, 0, 0);
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
                acceptQueue.closeAll();
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
            if (rx.count() < 0 || rx.count() > ReceiveQueue.CAPACITY) {
                throw new IllegalStateException(this + ": receive queue count " + rx.count());
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

    static void closeQuietly(java.io.Closeable c) {
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
