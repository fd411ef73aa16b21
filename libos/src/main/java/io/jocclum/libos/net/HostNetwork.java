package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.libos.fs.HostErrors;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one host poller of a LibOS instance (the counterpart of Occlum's per-epoll
 * {@code HostFileEpoller}, and of the JDK's own virtual-thread {@code Poller}): a single NIO
 * {@link Selector} run by one daemon host thread. Sockets register their non-blocking channels
 * here; when the host reports them ready, the thread calls back into the socket, which moves data
 * into its receive queue (or accepts, or finishes a connect) and pushes the readiness change
 * through its notifier — to blocked guest threads, epolls and polls alike. Guest threads never
 * poll the host: they park on waiters and are unparked by those notifications. Interest changes
 * made by guest threads take effect through {@link Selector#wakeup()}.
 */
public final class HostNetwork implements AutoCloseable {
    /** st_dev of sockets: a pseudo-device number of ours (Linux gives sockfs an anonymous device, 0:8 on common kernels). */
    static final long SOCKFS_DEV = 0x08;

    private final Selector selector;
    private final Thread thread;
    private volatile boolean closed;
    private final AtomicLong nextIno = new AtomicLong(1);

    private HostNetwork(Selector selector) {
        this.selector = selector;
        this.thread = Thread.ofPlatform().daemon().name("jocclum-host-poller").unstarted(this::loop);
    }

    /** Opens the selector and starts the poller thread. */
    public static HostNetwork start() {
        try {
            HostNetwork n = new HostNetwork(Selector.open());
            n.thread.start();
            return n;
        } catch (IOException e) {
            throw HostErrors.exception(e);
        }
    }

    long nextIno() {
        return nextIno.getAndIncrement();
    }

    /** Registers a non-blocking channel for {@code ops} with {@code socket} as the callback. */
    SelectionKey register(SelectableChannel ch, int ops, SocketFile socket) {
        if (closed) {
            throw Errno.ENETDOWN.exception("host network is closed");
        }
        try {
            SelectionKey k = ch.register(selector, ops, socket);
            selector.wakeup();
            return k;
        } catch (ClosedChannelException e) {
            throw Errno.EBADF.exception("socket closed");
        }
    }

    /** Adds interest in {@code ops} (from any thread). */
    void arm(SelectionKey key, int ops) {
        try {
            if ((key.interestOps() & ops) != ops) {
                key.interestOpsOr(ops);
                if (Thread.currentThread() != thread) {
                    selector.wakeup();
                }
            }
        } catch (CancelledKeyException e) {
            // the socket was closed meanwhile: nothing to arm
        }
    }

    /** Removes interest in {@code ops}. */
    static void disarm(SelectionKey key, int ops) {
        try {
            key.interestOpsAnd(~ops);
        } catch (CancelledKeyException e) {
            // closed
        }
    }

    /**
     * Closes a channel registered here and waits until the poller has deregistered it: the JDK
     * defers the host close of a registered channel until its key is flushed by a select, and a
     * guest expects close(2) to free the port (and send FIN) at once.
     */
    void closeRegistered(SelectionKey key, java.io.Closeable channel) {
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            // dropping it anyway
        }
        if (closed || Thread.currentThread() == thread) {
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        afterSelect.add(done);
        selector.wakeup();
        done.join();
    }

    /** Completed by the poller thread after its next select pass (cancelled keys are flushed then). */
    private final java.util.concurrent.ConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<Void>> afterSelect =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    private void loop() {
        while (!closed) {
            java.util.List<java.util.concurrent.CompletableFuture<Void>> waiting = new java.util.ArrayList<>();
            for (var f = afterSelect.poll(); f != null; f = afterSelect.poll()) {
                waiting.add(f);
            }
            try {
                // a pending close needs a pass now (selectNow flushes cancelled keys too)
                if (waiting.isEmpty()) {
                    selector.select();
                } else {
                    selector.selectNow();
                }
            } catch (IOException e) {
                continue;
            } finally {
                waiting.forEach(f -> f.complete(null));
            }
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                int ready;
                try {
                    ready = k.readyOps();
                } catch (CancelledKeyException e) {
                    continue;
                }
                if (k.attachment() instanceof SocketFile s) {
                    s.onHostReady(k, ready);
                }
            }
        }
    }

    /** True on the poller thread (sockets use it to avoid self-wakeups). */
    boolean onPollerThread() {
        return Thread.currentThread() == thread;
    }

    /** The number of channels registered with the host selector (for tests). */
    public int registeredChannels() {
        return selector.keys().size();
    }

    /** Stops the poller thread and closes the selector. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join();
            afterSelect.forEach(f -> f.complete(null));
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
