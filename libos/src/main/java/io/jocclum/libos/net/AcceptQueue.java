package io.jocclum.libos.net;

import io.jocclum.api.Socket;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * A listening socket's accept queue: the host connections accepted for it that the guest has not
 * accepted yet. Like the kernel's, it holds backlog + 1 connections ({@code sk_acceptq_is_full}),
 * with the backlog capped by SOMAXCONN.
 *
 * <p>Not thread-safe: the owning {@link SocketFile}'s lock guards it.
 */
final class AcceptQueue {
    private final ArrayDeque<SocketChannel> queue = new ArrayDeque<>();
    private int limit;

    AcceptQueue(int backlog) {
        setBacklog(backlog);
    }

    /** The backlog of {@code listen(2)}, which a second listen changes. */
    void setBacklog(int backlog) {
        limit = Math.min(Math.max(backlog, 0), Socket.SOMAXCONN) + 1;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** True while another connection fits. */
    boolean hasRoom() {
        return queue.size() < limit;
    }

    /** The oldest connection, removed from the queue; null when there is none. */
    SocketChannel poll() {
        return queue.poll();
    }

    /**
     * Accepts the connections pending on {@code server} while there is room; returns how many were
     * queued. An I/O error stops it and goes to {@code onError}.
     */
    int fill(ServerSocketChannel server, Consumer<IOException> onError) {
        int added = 0;
        try {
            while (hasRoom()) {
                SocketChannel ch = server.accept();
                if (ch == null) {
                    break;
                }
                queue.add(ch);
                added++;
            }
        } catch (IOException e) {
            onError.accept(e);
        }
        return added;
    }

    /** Closes the queued connections (the listener is closing). */
    void closeAll() {
        queue.forEach(SocketFile::closeQuietly);
        queue.clear();
    }
}
