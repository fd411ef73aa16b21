package io.jocclum.libos.epoll;

import io.jocclum.api.Epoll;
import io.jocclum.sgx.arch.LittleEndian;

import java.nio.ByteBuffer;

/**
 * Guest memory holding an array of x86_64 {@code struct epoll_event} (packed: u32 events at 0,
 * u64 data at 4; {@link Epoll#EVENT_SIZE} = 12 bytes), from the buffer's position.
 */
public final class EpollEventBuffer implements EpollEventSink {
    private final ByteBuffer buf;
    private final int base;

    public EpollEventBuffer(ByteBuffer buf) {
        this.buf = buf;
        this.base = buf.position();
    }

    @Override
    public int capacity() {
        return buf.remaining() / Epoll.EVENT_SIZE;
    }

    @Override
    public void put(int index, int events, long data) {
        int off = base + index * Epoll.EVENT_SIZE;
        LittleEndian.putInt(buf, off, events);
        LittleEndian.putLong(buf, off + 4, data);
    }
}
