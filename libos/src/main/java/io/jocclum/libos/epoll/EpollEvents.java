package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;

import java.util.ArrayList;
import java.util.List;

/** A reusable array of epoll events: {@code events[i]}, {@code data[i]}. */
public final class EpollEvents implements EpollEventSink {
    private final int[] events;
    private final long[] data;

    public EpollEvents(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        events = new int[capacity];
        data = new long[capacity];
    }

    @Override
    public int capacity() {
        return events.length;
    }

    @Override
    public void put(int index, int ev, long d) {
        events[index] = ev;
        data[index] = d;
    }

    public int events(int i) {
        return events[i];
    }

    public long data(int i) {
        return data[i];
    }

    /** The first {@code n} events as records. */
    public List<EpollEvent> toList(int n) {
        List<EpollEvent> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(new EpollEvent(events[i], data[i]));
        }
        return l;
    }
}
