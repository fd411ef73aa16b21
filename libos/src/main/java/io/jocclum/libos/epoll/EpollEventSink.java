package io.jocclum.libos.epoll;

/**
 * Where epoll_wait writes ready events: a reusable array pair ({@link EpollEvents}) for Java
 * callers, or guest memory as packed {@code struct epoll_event}s ({@link EpollEventBuffer}).
 */
public interface EpollEventSink {
    /** How many events fit; epoll_wait fails with EFAULT when maxevents exceeds it. */
    int capacity();

    /** Stores event number {@code index}. */
    void put(int index, int events, long data);
}
