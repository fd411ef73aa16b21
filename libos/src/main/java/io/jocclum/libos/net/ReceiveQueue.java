package io.jocclum.libos.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A socket's receive queue: the bytes read from the host channel that the guest has not received
 * yet, in a ring of {@link #CAPACITY} bytes (the kernel's socket receive buffer), and whether the
 * peer's end of stream has been read.
 *
 * <p>Not thread-safe: the owning {@link SocketFile}'s lock guards it.
 */
final class ReceiveQueue {
    /** Receive queue size: the Linux default tcp_rmem[1] is 128 KiB; we keep 64 KiB. */
    static final int CAPACITY = 65536;

    private ByteBuffer ring;
    private int head;
    private int count;
    private boolean eof;

    /** Bytes queued. */
    int count() {
        return count;
    }

    boolean isFull() {
        return count == CAPACITY;
    }

    /** True once the host channel has reported the end of the stream. */
    boolean eof() {
        return eof;
    }

    void setEof() {
        eof = true;
    }

    /**
     * Reads what {@code ch} has into the ring, until the ring is full, the host has nothing more or
     * the stream ends. Returns the bytes read; on an I/O error those read before it stay queued.
     */
    int fill(ReadableByteChannel ch) throws IOException {
        if (ring == null) {
            ring = ByteBuffer.allocateDirect(CAPACITY);
        }
        int got = 0;
        while (count < CAPACITY && !eof) {
            int tail = (head + count) % CAPACITY;
            int room = Math.min(CAPACITY - count, CAPACITY - tail);
            ByteBuffer view = ring.duplicate().limit(tail + room).position(tail);
            int n = ch.read(view);
            if (n < 0) {
                eof = true;
            } else if (n == 0) {
                break;
            } else {
                count += n;
                got += n;
            }
        }
        return got;
    }

    /** Copies queued bytes into {@code dst}, dequeuing them unless {@code peek}; returns how many. */
    int copyOut(ByteBuffer dst, boolean peek) {
        int n = Math.min(dst.remaining(), count);
        int first = Math.min(n, CAPACITY - head);
        dst.put(ring.slice(head, first));
        if (n > first) {
            dst.put(ring.slice(0, n - first));
        }
        if (!peek) {
            count -= n;
            head = count == 0 ? 0 : (head + n) % CAPACITY;
        }
        return n;
    }
}
