package io.jocclum.libos.net;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Ioctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SockAddrUn;
import io.jocclum.api.Socket;
import io.jocclum.api.Stat;
import io.jocclum.api.Ucred;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An AF_UNIX socket (Linux net/unix/af_unix.c, unix(7)) living entirely in the LibOS: stream,
 * datagram or seqpacket.
 *
 * <p>Design: every socket has a receive queue of {@link Message}s guarded by its own
 * {@link #lock}. A sender locks only the receiver to append (a stream send may be split into
 * several messages; a datagram or seqpacket record is one), then wakes the receiver's blocked
 * readers and tells its {@link Notifier} IN. Room is the receiver's: a receive queue holds
 * {@link #QUEUE_LIMIT} bytes (Linux's default SO_SNDBUF, 212992, which bounds what one sender
 * may have in flight), and a datagram socket that is not connected back to the sender holds at
 * most {@link #MAX_DGRAM_QLEN} + 1 datagrams ({@code net.unix.max_dgram_qlen}). Senders that
 * find no room wait in the receiver's {@link #writers} queue, enqueued under its lock so no
 * wake-up is lost; a reader that frees room wakes them and tells the notifiers of its peer and
 * of the datagram sockets connected to it OUT. No path holds two sockets' {@code lock}s at once
 * except connect, which takes the listener's and then its own, serialised by its
 * {@link #connectLock}.
 *
 * <p>Connections: a stream or seqpacket connect creates the server's socket at once and queues
 * it on the listener (a backlog of {@code listen}'s argument, + 1, as Linux counts); the client
 * is connected before accept, and may send. Closing one end sets both shutdown bits of the
 * other (EOF after the queued data, EPIPE and SIGPIPE for its sends) and, when it left unread
 * data, a pending ECONNRESET, as {@code unix_release_sock} does.
 *
 * <p>Descriptors in flight: an SCM_RIGHTS message holds a reference on each open file until it
 * is received (installed in the receiver, the reference then moves to the descriptor) or
 * dropped with the queue. A socket sent over itself or in a cycle stays referenced until the
 * LibOS ends; Linux's garbage collector of in-flight sockets is not modelled.
 */
public final class UnixSocketFile extends OpenFile {
    @Override
    protected List<KernelHeap.Kind> kernelObjects() {
        return List.of(KernelHeap.Kind.OPEN_FILE, KernelHeap.Kind.SOCKET, KernelHeap.Kind.UNIX_SOCKET_BUFFER);
    }

    /** Bytes a receive queue holds: net.core.wmem_default, Linux's default SO_SNDBUF. */
    public static final int QUEUE_LIMIT = 212_992;
    /** net.unix.max_dgram_qlen default. */
    public static final int MAX_DGRAM_QLEN = 10;
    static final int RCV_SHUTDOWN = 1;
    static final int SEND_SHUTDOWN = 2;
    static final int SHUTDOWN_MASK = 3;

    enum State { UNCONNECTED, LISTENING, CONNECTED }

    /** One queued write: its bytes (a stream reader may take a prefix), descriptors, sender. */
    static final class Message {
        final byte[] data;
        int consumed;
        List<OpenFile> rights;
        final SockAddrUn from;

        Message(byte[] data, List<OpenFile> rights, SockAddrUn from) {
            this.data = data;
            this.rights = rights;
            this.from = from;
        }

        int remaining() {
            return data.length - consumed;
        }
    }

    /** What a receive brought besides the bytes. */
    public static final class Received {
        /** Descriptors' open files, each holding the in-flight reference; null for none. */
        public List<OpenFile> rights;
        /** The sender's address. */
        public SockAddrUn from;
        /** MSG_TRUNC when a record did not fit. */
        public int msgFlags;
    }

    final UnixSockets ns;
    final int type;
    final long ino;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock connectLock = new ReentrantLock();
    @GuardedBy("lock")
    private volatile State state = State.UNCONNECTED;
    @GuardedBy("lock")
    private SockAddrUn addr;
    @GuardedBy("lock")
    private Runnable unbind;
    @GuardedBy("lock")
    private UnixSocketFile peer;
    @GuardedBy("lock")
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    /** Written under lock; read without it by senders' poll. */
    private volatile int queuedBytes;
    private volatile int queuedMessages;
    @GuardedBy("lock")
    private final ArrayDeque<UnixSocketFile> backlog = new ArrayDeque<>();
    @GuardedBy("lock")
    private int maxBacklog;
    private volatile int shutdown;
    /** A pending socket error (errno number), reported once. */
    private volatile int pendingError;
    private volatile boolean closed;
    /** Our credentials as a peer sees them (socket creation, listen). */
    private volatile Ucred cred;
    private volatile Ucred peerCred;
    private final WaiterQueue readers = new WaiterQueue();
    /** Senders waiting for room in this socket's queue, and connectors waiting for backlog room. */
    private final WaiterQueue writers = new WaiterQueue();
    private final Notifier notifier = new Notifier();
    /** Datagram sockets connected to this one (told OUT when room frees). */
    private final Set<UnixSocketFile> senders = ConcurrentHashMap.newKeySet();

    UnixSocketFile(UnixSockets ns, int type, int statusFlags, Ucred cred) {
        super(OpenFlags.O_RDWR | (statusFlags & OpenFlags.O_NONBLOCK));
        this.ns = ns;
        this.type = type;
        this.ino = ns.nextIno();
        this.cred = cred;
    }

    /** Connects two fresh sockets to each other (socketpair). */
    static void pair(UnixSocketFile a, UnixSocketFile b) {
        a.connectedTo(b);
        b.connectedTo(a);
    }

    private void connectedTo(UnixSocketFile other) {
        lock.lock();
        try {
            peer = other;
            state = State.CONNECTED;
            peerCred = other.cred;
        } finally {
            lock.unlock();
        }
    }

    public int type() {
        return type;
    }

    private boolean connectionOriented() {
        return type != Socket.SOCK_DGRAM;
    }

    // ------------------------------------------------------------------ names

    /** The bound address, unnamed when unbound. */
    public SockAddrUn localAddress() {
        lock.lock();
        try {
            return addr == null ? SockAddrUn.unnamed() : addr;
        } finally {
            lock.unlock();
        }
    }

    /** The peer's address; ENOTCONN when not connected. */
    public SockAddrUn peerAddress() {
        UnixSocketFile p;
        lock.lock();
        try {
            p = peer;
        } finally {
            lock.unlock();
        }
        if (p == null) {
            throw Errno.ENOTCONN.exception("socket is not connected");
        }
        return p.localAddress();
    }

    /** SO_PEERCRED: pid 0, uid and gid -1 when never connected. */
    public Ucred peerCred() {
        Ucred c = peerCred;
        return c == null ? new Ucred(0, -1, -1) : c;
    }

    /** Takes the name, unless already bound (EINVAL). {@code bind} runs under the lock, and may throw. */
    void bind(SockAddrUn name, java.util.function.Supplier<Runnable> bind) {
        lock.lock();
        try {
            if (addr != null) {
                throw Errno.EINVAL.exception("socket is already bound to " + addr);
            }
            unbind = bind.get();
            addr = name;
        } finally {
            lock.unlock();
        }
    }

    boolean isBound() {
        lock.lock();
        try {
            return addr != null;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ listen, accept, connect

    /** {@code listen(2)}: EOPNOTSUPP for datagrams, EINVAL unbound or connected. */
    void listen(int backlogArg, Ucred listener) {
        if (!connectionOriented()) {
            throw Errno.EOPNOTSUPP.exception("listen on a datagram socket");
        }
        lock.lock();
        try {
            if (addr == null) {
                throw Errno.EINVAL.exception("listen on an unbound socket");
            }
            if (state == State.CONNECTED) {
                throw Errno.EINVAL.exception("listen on a connected socket");
            }
            long b = Integer.toUnsignedLong(backlogArg);
            maxBacklog = (int) Math.min(b, Socket.SOMAXCONN);
            state = State.LISTENING;
            cred = listener;
        } finally {
            lock.unlock();
        }
        writers.wakeAll(); // a larger backlog may let connectors in
    }

    /** {@code accept(2)}: the next connection's server socket. EINVAL unless listening. */
    UnixSocketFile accept(Caller c) {
        if (!connectionOriented()) {
            throw Errno.EOPNOTSUPP.exception("accept on a datagram socket");
        }
        Waiter w = c.waiter();
        for (;;) {
            UnixSocketFile s;
            WaiterQueue.Node node = null;
            lock.lock();
            try {
                if (state != State.LISTENING) {
                    throw Errno.EINVAL.exception("socket is not listening");
                }
                s = backlog.pollFirst();
                if (s == null) {
                    if (isNonBlocking()) {
                        throw Errno.EAGAIN.exception("no pending connection");
                    }
                    w.reset();
                    node = readers.enqueue(w);
                }
            } finally {
                lock.unlock();
            }
            if (s != null) {
                writers.wakeAll();
                return s;
            }
            waitOn(c, readers, node);
        }
    }

    /** Puts back a connection accept took but could not install; released when the listener is gone. */
    void requeue(UnixSocketFile embryo) {
        boolean back;
        lock.lock();
        try {
            back = !closed && state == State.LISTENING;
            if (back) {
                backlog.addFirst(embryo);
            }
        } finally {
            lock.unlock();
        }
        if (!back) {
            embryo.pendingError = Errno.ECONNRESET.number();
            embryo.retain();
            embryo.unref();
        }
    }

    /** Stream and seqpacket connect to {@code target} (already looked up and type-checked). */
    void connectStream(Caller c, UnixSocketFile target, Ucred me, boolean nonBlocking) {
        connectLock.lock();
        try {
            Waiter w = c.waiter();
            for (;;) {
                WaiterQueue.Node node = null;
                UnixSocketFile embryo = null;
                target.lock.lock();
                try {
                    if (target.closed || target.state != State.LISTENING) {
                        throw Errno.ECONNREFUSED.exception("nobody listens on " + target.addr);
                    }
                    if (target.backlog.size() > target.maxBacklog) {
                        if (nonBlocking) {
                            throw Errno.EAGAIN.exception("backlog of " + target.addr + " is full");
                        }
                        w.reset();
                        node = target.writers.enqueue(w);
                    } else {
                        if (state == State.CONNECTED) {
                            throw Errno.EISCONN.exception("socket is already connected");
                        }
                        if (state == State.LISTENING) {
                            throw Errno.EINVAL.exception("connect on a listening socket");
                        }
                        embryo = new UnixSocketFile(ns, type, 0, target.cred);
                        embryo.addr = target.addr;
                        embryo.peer = this;
                        embryo.peerCred = me;
                        embryo.state = State.CONNECTED;
                        target.backlog.addLast(embryo);
                        lock.lock();
                        try {
                            peer = embryo;
                            peerCred = target.cred;
                            cred = me;
                            state = State.CONNECTED;
                        } finally {
                            lock.unlock();
                        }
                    }
                } finally {
                    target.lock.unlock();
                }
                if (embryo != null) {
                    target.readers.wakeAll();
                    target.notifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
                    notifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
                    return;
                }
                waitOn(c, target.writers, node);
            }
        } finally {
            connectLock.unlock();
        }
    }

    /** Datagram connect: {@code target} becomes the default destination and the only sender we accept. */
    void connectDatagram(UnixSocketFile target, Ucred me) {
        UnixSocketFile old;
        lock.lock();
        try {
            old = peer;
            peer = target;
            peerCred = target.cred;
            cred = me;
            state = State.CONNECTED;
        } finally {
            lock.unlock();
        }
        if (old != null && old != target) {
            old.senders.remove(this);
        }
        target.senders.add(this);
        notifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
    }

    // ------------------------------------------------------------------ send

    /** Descriptors to pass with the next send; the send takes them (sets the list to null) when it queues them. */
    static final class Rights {
        List<OpenFile> files;

        Rights(List<OpenFile> files) {
            this.files = files;
        }
    }

    /**
     * Sends the bytes of {@code src} (and {@code rights} with the first of them) to the peer, or
     * to {@code dest} for a datagram socket. Returns the bytes sent.
     */
    int send(Caller c, ByteBuffer src, int flags, Rights rights, UnixSocketFile dest) {
        boolean nb = isNonBlocking() || (flags & Socket.MSG_DONTWAIT) != 0;
        if (type == Socket.SOCK_DGRAM) {
            return sendDatagram(c, src, nb, rights, dest);
        }
        UnixSocketFile p;
        lock.lock();
        try {
            p = peer;
            if (state != State.CONNECTED) {
                throw Errno.ENOTCONN.exception("socket is not connected");
            }
        } finally {
            lock.unlock();
        }
        if ((shutdown & SEND_SHUTDOWN) != 0) {
            throw pipe(c, flags);
        }
        int len = src.remaining();
        boolean record = type == Socket.SOCK_SEQPACKET;
        if (record && len > QUEUE_LIMIT - 32) {
            throw Errno.EMSGSIZE.exception("record of " + len + " bytes");
        }
        if (len == 0 && !record) {
            return 0;
        }
        SockAddrUn from = localAddress();
        Waiter w = c.waiter();
        int sent = 0;
        for (;;) {
            boolean queued = false;
            boolean broken = false;
            WaiterQueue.Node node = null;
            p.lock.lock();
            try {
                if (p.closed || (p.shutdown & RCV_SHUTDOWN) != 0) {
                    broken = true;
                } else if (p.queuedBytes < QUEUE_LIMIT) {
                    int chunk = record ? len : Math.min(len - sent, QUEUE_LIMIT - p.queuedBytes);
                    byte[] d = new byte[chunk];
                    src.get(d);
                    p.enqueue(new Message(d, rights.files, from));
                    rights.files = null;
                    sent += chunk;
                    queued = true;
                } else if (!nb) {
                    w.reset();
                    node = p.writers.enqueue(w);
                }
            } finally {
                p.lock.unlock();
            }
            if (broken) {
                if (sent > 0) {
                    return sent;
                }
                throw pipe(c, flags);
            }
            if (queued) {
                p.arrived();
                if (sent == len) {
                    return sent;
                }
                continue;
            }
            if (node == null) { // non-blocking and no room
                if (sent > 0) {
                    return sent;
                }
                throw Errno.EAGAIN.exception("peer's receive queue is full");
            }
            if (c.signals().interruptPending()) {
                p.writers.remove(node);
                if (sent > 0) {
                    return sent;
                }
                throw interrupted();
            }
            w.await(c.clock(), WaitClock.FOREVER);
            p.writers.remove(node);
        }
    }

    private static RuntimeException pipe(Caller c, int flags) {
        if ((flags & Socket.MSG_NOSIGNAL) == 0) {
            c.signals().raiseSigpipe();
        }
        return Errno.EPIPE.exception("the connection is shut down for sending");
    }

    private int sendDatagram(Caller c, ByteBuffer src, boolean nb, Rights rights, UnixSocketFile dest) {
        if ((shutdown & SEND_SHUTDOWN) != 0) {
            throw Errno.EPIPE.exception("socket is shut down for sending");
        }
        int len = src.remaining();
        if (len > QUEUE_LIMIT - 32) {
            throw Errno.EMSGSIZE.exception("datagram of " + len + " bytes");
        }
        UnixSocketFile target = dest;
        if (target == null) {
            lock.lock();
            try {
                target = peer;
            } finally {
                lock.unlock();
            }
            if (target == null) {
                throw Errno.ENOTCONN.exception("no destination and not connected");
            }
        }
        SockAddrUn from = localAddress();
        Waiter w = c.waiter();
        for (;;) {
            WaiterQueue.Node node = null;
            target.lock.lock();
            try {
                if (target.closed) {
                    // fall through to disconnect below
                } else if (target.peer != null && target.peer != this) {
                    throw Errno.EPERM.exception(target.addr + " is connected to another socket");
                } else if ((target.shutdown & RCV_SHUTDOWN) != 0) {
                    throw Errno.EPIPE.exception(target.addr + " is shut down for receiving");
                } else if (target.queuedBytes >= QUEUE_LIMIT
                        || target.peer != this && target.queue.size() > MAX_DGRAM_QLEN) {
                    if (nb) {
                        throw Errno.EAGAIN.exception("receive queue of " + target.addr + " is full");
                    }
                    w.reset();
                    node = target.writers.enqueue(w);
                } else {
                    byte[] d = new byte[len];
                    src.get(d);
                    target.enqueue(new Message(d, rights.files, from));
                    rights.files = null;
                }
            } finally {
                target.lock.unlock();
            }
            if (target.closed) {
                disconnectFrom(target);
                throw Errno.ECONNREFUSED.exception("the destination socket was closed");
            }
            if (node == null) {
                target.arrived();
                return len;
            }
            waitOn(c, target.writers, node);
        }
    }

    private void disconnectFrom(UnixSocketFile target) {
        lock.lock();
        try {
            if (peer == target) {
                peer = null;
                state = State.UNCONNECTED;
            }
        } finally {
            lock.unlock();
        }
        target.senders.remove(this);
    }

    @GuardedBy("lock")
    private void enqueue(Message m) {
        queue.addLast(m);
        queuedBytes += m.data.length;
        queuedMessages = queue.size();
    }

    /** Data arrived: wake readers, tell the notifier. */
    private void arrived() {
        readers.wakeAll();
        notifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
    }

    /** Room freed in our queue: wake senders and tell the sockets that write to us. */
    private void roomFreed() {
        writers.wakeAll();
        UnixSocketFile p = peerOrNull();
        if (p != null) {
            p.notifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
        }
        for (UnixSocketFile s : senders) {
            if (s != p) {
                s.notifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
            }
        }
    }

    private UnixSocketFile peerOrNull() {
        lock.lock();
        try {
            return peer;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ receive

    /** Receives into {@code dst}: a stream's bytes across messages, or one record. */
    int recv(Caller c, ByteBuffer dst, int flags, Received out) {
        if (type == Socket.SOCK_STREAM) {
            if (state != State.CONNECTED) {
                throw Errno.EINVAL.exception("recv on an unconnected stream socket");
            }
            if ((flags & Socket.MSG_OOB) != 0) {
                throw Errno.EOPNOTSUPP.exception("MSG_OOB on an AF_UNIX socket");
            }
            return recvStream(c, dst, flags, out);
        }
        if (type == Socket.SOCK_SEQPACKET && state != State.CONNECTED) {
            throw Errno.ENOTCONN.exception("recv on an unconnected seqpacket socket");
        }
        if ((flags & Socket.MSG_OOB) != 0) {
            throw Errno.EOPNOTSUPP.exception("MSG_OOB on an AF_UNIX socket");
        }
        return recvRecord(c, dst, flags, out);
    }

    private boolean nonBlocking(int flags) {
        return isNonBlocking() || (flags & Socket.MSG_DONTWAIT) != 0;
    }

    private int recvStream(Caller c, ByteBuffer dst, int flags, Received out) {
        boolean nb = nonBlocking(flags);
        boolean peek = (flags & Socket.MSG_PEEK) != 0;
        int len = dst.remaining();
        int target = (flags & Socket.MSG_WAITALL) != 0 && !nb ? Math.max(len, 1) : 1;
        int copied = 0;
        Waiter w = c.waiter();
        for (;;) {
            boolean freed = false;
            boolean stop = false;
            WaiterQueue.Node node = null;
            lock.lock();
            try {
                if (!queue.isEmpty() && len > 0) {
                    if (peek) {
                        for (Message m : queue) {
                            int n = Math.min(m.remaining(), dst.remaining());
                            dst.put(m.data, m.consumed, n);
                            copied += n;
                            if (!dst.hasRemaining()) {
                                break;
                            }
                        }
                        stop = true;
                    } else {
                        while (!queue.isEmpty() && dst.hasRemaining()) {
                            Message m = queue.peekFirst();
                            int n = Math.min(m.remaining(), dst.remaining());
                            dst.put(m.data, m.consumed, n);
                            m.consumed += n;
                            copied += n;
                            if (out.from == null) {
                                out.from = m.from;
                            }
                            if (m.rights != null) {
                                out.rights = m.rights;
                                m.rights = null;
                            }
                            if (m.remaining() > 0) {
                                break;
                            }
                            queue.pollFirst();
                            queuedBytes -= m.data.length;
                            queuedMessages = queue.size();
                            freed = true;
                            if (out.rights != null) {
                                break; // Linux stops after a message whose descriptors it took
                            }
                        }
                        stop = copied >= target || out.rights != null || !dst.hasRemaining();
                    }
                } else if (len == 0) {
                    stop = true;
                } else if (copied >= target) {
                    stop = true;
                } else if (pendingError != 0 && copied == 0) {
                    int e = pendingError;
                    pendingError = 0;
                    throw Errno.of(e).exception("connection reset by the peer");
                } else if ((shutdown & RCV_SHUTDOWN) != 0) {
                    stop = true;
                } else if (nb) {
                    if (copied == 0) {
                        throw Errno.EAGAIN.exception("no data");
                    }
                    stop = true;
                } else {
                    w.reset();
                    node = readers.enqueue(w);
                }
            } finally {
                lock.unlock();
            }
            if (freed) {
                roomFreed();
            }
            if (stop) {
                return copied;
            }
            if (node != null) {
                if (c.signals().interruptPending()) {
                    readers.remove(node);
                    if (copied > 0) {
                        return copied;
                    }
                    throw interrupted();
                }
                w.await(c.clock(), WaitClock.FOREVER);
                readers.remove(node);
            }
        }
    }

    private int recvRecord(Caller c, ByteBuffer dst, int flags, Received out) {
        boolean nb = nonBlocking(flags);
        boolean peek = (flags & Socket.MSG_PEEK) != 0;
        Waiter w = c.waiter();
        for (;;) {
            WaiterQueue.Node node = null;
            int result = -1;
            boolean dequeued = false;
            lock.lock();
            try {
                Message m = peek ? queue.peekFirst() : queue.pollFirst();
                if (m != null) {
                    int n = Math.min(m.data.length, dst.remaining());
                    dst.put(m.data, 0, n);
                    if (n < m.data.length) {
                        out.msgFlags |= Socket.MSG_TRUNC;
                    }
                    out.from = m.from;
                    if (!peek) {
                        out.rights = m.rights;
                        m.rights = null;
                        queuedBytes -= m.data.length;
                        queuedMessages = queue.size();
                        dequeued = true;
                    }
                    result = (flags & Socket.MSG_TRUNC) != 0 ? m.data.length : n;
                } else if (pendingError != 0) {
                    int e = pendingError;
                    pendingError = 0;
                    throw Errno.of(e).exception("connection reset by the peer");
                } else if ((shutdown & RCV_SHUTDOWN) != 0) {
                    result = 0;
                } else if (nb) {
                    throw Errno.EAGAIN.exception("no datagram");
                } else {
                    w.reset();
                    node = readers.enqueue(w);
                }
            } finally {
                lock.unlock();
            }
            if (result >= 0) {
                if (dequeued) {
                    roomFreed();
                }
                return result;
            }
            waitOn(c, readers, node);
        }
    }

    /** After an enqueue under the queue's lock: re-checks for signals, sleeps, dequeues. */
    private static void waitOn(Caller c, WaiterQueue q, WaiterQueue.Node node) {
        if (c.signals().interruptPending()) {
            q.remove(node);
            throw interrupted();
        }
        c.waiter().await(c.clock(), WaitClock.FOREVER);
        q.remove(node);
    }

    // ------------------------------------------------------------------ file operations

    @Override
    protected int doRead(Caller caller, ByteBuffer dst) {
        Received r = new Received();
        int n = recv(caller, dst, 0, r);
        UnixSockets.drop(r.rights);
        return n;
    }

    @Override
    protected int doWrite(Caller caller, ByteBuffer src) {
        return send(caller, src, 0, new Rights(null), null);
    }

    /** {@code shutdown(2)}: EINVAL for a bad {@code how}; a connected peer gets the mirrored bits. */
    void shutdown(int how) {
        if (how < Socket.SHUT_RD || how > Socket.SHUT_RDWR) {
            throw Errno.EINVAL.exception("shutdown how " + how);
        }
        int mode = how + 1;
        UnixSocketFile p;
        lock.lock();
        try {
            shutdown |= mode;
            p = peer;
        } finally {
            lock.unlock();
        }
        if (p != null && connectionOriented()) {
            int peerMode = ((mode & RCV_SHUTDOWN) != 0 ? SEND_SHUTDOWN : 0) | ((mode & SEND_SHUTDOWN) != 0 ? RCV_SHUTDOWN : 0);
            p.lock.lock();
            try {
                p.shutdown |= peerMode;
            } finally {
                p.lock.unlock();
            }
            p.changed();
        }
        changed();
    }

    /** A state change every waiter and watcher must see. */
    private void changed() {
        readers.wakeAll();
        writers.wakeAll();
        notifier.broadcast(IoEvents.ALL & ~IoEvents.NVAL);
    }

    /** unix_poll / unix_dgram_poll. */
    @Override
    public int poll() {
        int ev = 0;
        UnixSocketFile p;
        State st;
        boolean backlogged;
        lock.lock();
        try {
            p = peer;
            st = state;
            backlogged = !backlog.isEmpty();
        } finally {
            lock.unlock();
        }
        int sh = shutdown;
        if (pendingError != 0) {
            ev |= IoEvents.ERR;
        }
        if (sh == SHUTDOWN_MASK) {
            ev |= IoEvents.HUP;
        }
        if ((sh & RCV_SHUTDOWN) != 0) {
            ev |= IoEvents.RDHUP | IoEvents.IN | IoEvents.RDNORM;
        }
        if (queuedMessages > 0 || backlogged) {
            ev |= IoEvents.IN | IoEvents.RDNORM;
        }
        if (connectionOriented() && st == State.UNCONNECTED) {
            ev |= IoEvents.HUP;
        }
        boolean writable = st != State.LISTENING;
        if (writable && p != null && !p.closed) {
            writable = p.queuedBytes < QUEUE_LIMIT
                    && (connectionOriented() || p.peerOrNull() == this || p.queuedMessages <= MAX_DGRAM_QLEN);
        }
        if (writable) {
            ev |= IoEvents.OUT | IoEvents.WRNORM | IoEvents.WRBAND;
        }
        return ev;
    }

    @Override
    public Notifier notifier() {
        return notifier;
    }

    @Override
    public Stat fstat() {
        return new Stat(HostNetwork.SOCKFS_DEV, ino, FileMode.S_IFSOCK | 0777, 1, 0, 0, 0, 0, Pages.SIZE, 0, 0, 0, 0);
    }

    /** FIONREAD (SIOCINQ): a stream's queued bytes, a record socket's next record size. */
    @Override
    public int ioctl(Caller caller, int cmd, ByteBuffer arg) {
        if (cmd == Ioctls.FIONREAD) {
            int n;
            lock.lock();
            try {
                if (state == State.LISTENING) {
                    throw Errno.EINVAL.exception("FIONREAD on a listening socket");
                }
                if (type == Socket.SOCK_STREAM) {
                    n = queue.stream().mapToInt(Message::remaining).sum();
                } else {
                    Message m = queue.peekFirst();
                    n = m == null ? 0 : m.data.length;
                }
            } finally {
                lock.unlock();
            }
            LittleEndian.putInt(arg, arg.position(), n);
            return 0;
        }
        return super.ioctl(caller, cmd, arg);
    }

    /** SO_ERROR: the pending error, cleared. */
    int takeError() {
        int e = pendingError;
        pendingError = 0;
        return e;
    }

    boolean listening() {
        return state == State.LISTENING;
    }

    @Override
    protected void release() {
        List<Message> dropped;
        List<UnixSocketFile> embryos;
        UnixSocketFile p;
        Runnable unb;
        SockAddrUn name;
        lock.lock();
        try {
            closed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
            queuedMessages = 0;
            embryos = new ArrayList<>(backlog);
            backlog.clear();
            p = peer;
            unb = unbind;
            unbind = null;
            name = addr;
            shutdown = SHUTDOWN_MASK;
        } finally {
            lock.unlock();
        }
        if (unb != null) {
            unb.run();
        }
        if (name != null && name.isAbstract()) {
            ns.unbindAbstract(name, this);
        }
        for (Message m : dropped) {
            UnixSockets.drop(m.rights);
        }
        for (UnixSocketFile e : embryos) {
            e.pendingError = Errno.ECONNRESET.number();
            e.retain();
            e.unref(); // never accepted: released now, its client sees the reset
        }
        if (p != null) {
            if (connectionOriented()) {
                p.peerClosed(!dropped.isEmpty() || !embryos.isEmpty() || pendingError == Errno.ECONNRESET.number());
            } else {
                p.senders.remove(this);
            }
        }
        changed();
        for (UnixSocketFile s : senders) {
            s.notifier.broadcast(IoEvents.OUT | IoEvents.WRNORM);
        }
    }

    /** The peer of a connection went away: EOF after the data, EPIPE for sends, ECONNRESET if it left data unread. */
    private void peerClosed(boolean reset) {
        lock.lock();
        try {
            shutdown = SHUTDOWN_MASK;
            if (reset) {
                pendingError = Errno.ECONNRESET.number();
            }
        } finally {
            lock.unlock();
        }
        changed();
    }

    @Override
    public void checkInvariants(boolean quiescent) {
        super.checkInvariants(quiescent);
        lock.lock();
        try {
            int bytes = queue.stream().mapToInt(m -> m.data.length).sum();
            if (bytes != queuedBytes || queue.size() != queuedMessages) {
                throw new IllegalStateException(this + ": queue holds " + bytes + " bytes in " + queue.size()
                        + " messages, counters say " + queuedBytes + " in " + queuedMessages);
            }
        } finally {
            lock.unlock();
        }
        if (quiescent && (!readers.isEmpty() || !writers.isEmpty())) {
            throw new IllegalStateException(this + ": waiters left after quiescence");
        }
    }

    @Override
    public String toString() {
        return "socket:[" + ino + "] AF_UNIX " + (type == Socket.SOCK_STREAM ? "stream" : type == Socket.SOCK_DGRAM ? "dgram" : "seqpacket");
    }
}
