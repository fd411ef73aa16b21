package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.support.FileLayerTest;

import java.nio.ByteBuffer;

import static io.jocclum.api.Epoll.EPOLL_CTL_ADD;
import static io.jocclum.api.Epoll.EPOLL_CTL_DEL;
import static io.jocclum.api.Epoll.EPOLL_CTL_MOD;

/** Shorthands for the epoll tests. */
abstract class EpollTesting extends FileLayerTest {

    static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        return null;
    }

    int epoll() {
        return epolls.epollCreate1(c, 0);
    }

    void add(int ep, int fd, int events, long data) {
        add(c, ep, fd, events, data);
    }

    void add(Caller who, int ep, int fd, int events, long data) {
        epolls.epollCtl(who, ep, EPOLL_CTL_ADD, fd, new EpollEvent(events, data));
    }

    void mod(int ep, int fd, int events, long data) {
        epolls.epollCtl(c, ep, EPOLL_CTL_MOD, fd, new EpollEvent(events, data));
    }

    void del(int ep, int fd) {
        epolls.epollCtl(c, ep, EPOLL_CTL_DEL, fd, null);
    }

    /** epoll_wait with timeout 0; returns the events. */
    EpollEvents poll(int ep, int max) {
        EpollEvents ev = new EpollEvents(max);
        int n = epolls.epollWait(c, ep, ev, max, 0);
        EpollEvents out = new EpollEvents(Math.max(1, n));
        for (int i = 0; i < n; i++) {
            out.put(i, ev.events(i), ev.data(i));
        }
        return n == 0 ? null : out;
    }

    int count(int ep) {
        return epolls.epollWait(c, ep, new EpollEvents(64), 64, 0);
    }

    void write(int fd, int n) {
        io.jocclum.libos.fs.FileCalls.write(c, fd, ByteBuffer.allocate(n));
    }

    void drain(int fd) {
        io.jocclum.libos.fs.FileCalls.read(c, fd, ByteBuffer.allocate(1 << 20));
    }

    EpollFile epollFile(int ep) {
        return (EpollFile) c.files().get(ep);
    }
}
