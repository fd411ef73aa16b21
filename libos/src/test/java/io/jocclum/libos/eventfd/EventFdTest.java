package io.jocclum.libos.eventfd;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.EventFd;
import io.jocclum.api.Fcntl;
import io.jocclum.libos.epoll.EpollEvents;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.FileLayerTest;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** eventfd(2) rules; cases after LTP eventfd01 and eventfd2_0x. */
class EventFdTest extends FileLayerTest {

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        return null;
    }

    private static ByteBuffer u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
    }

    private long read(Caller c, int fd) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(FileCalls.read(c, fd, b)).isEqualTo(8);
        return b.getLong(0);
    }

    @Test
    void counterReadResetsAndSemaphoreDecrements() {
        int fd = eventfds.eventfd2(c, 3, EventFd.EFD_NONBLOCK);
        FileCalls.write(c, fd, u64(4));
        assertThat(read(c, fd)).isEqualTo(7);
        assertThat(errno(() -> read(c, fd))).isEqualTo(Errno.EAGAIN);
        int sem = eventfds.eventfd2(c, 2, EventFd.EFD_SEMAPHORE | EventFd.EFD_NONBLOCK);
        assertThat(read(c, sem)).isEqualTo(1);
        assertThat(read(c, sem)).isEqualTo(1);
        assertThat(errno(() -> read(c, sem))).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void einvalCases() {
        assertThat(errno(() -> eventfds.eventfd2(c, 0, 0x100))).isEqualTo(Errno.EINVAL);
        int fd = eventfds.eventfd2(c, 1, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
        assertThat(errno(() -> FileCalls.read(c, fd, ByteBuffer.allocate(7)))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> FileCalls.write(c, fd, ByteBuffer.allocate(4)))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> FileCalls.write(c, fd, u64(-1L)))).as("0xffffffffffffffff").isEqualTo(Errno.EINVAL);
        assertThat(FileCalls.write(c, fd, u64(0))).as("writing 0 is allowed").isEqualTo(8);
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 5);
        assertThat(FileCalls.write(c, fd, big)).as("exactly 8 bytes are used").isEqualTo(8);
        assertThat(big.position()).isEqualTo(8);
        assertThat(FileCalls.fstat(c, fd).mode()).as("anon inode 0600").isEqualTo(0600);
    }

    /** LTP eventfd01: the counter maximum is 2^64-2; an overflowing write gives EAGAIN. */
    @Test
    void overflowRulesAndReadiness() {
        int fd = eventfds.eventfd2(c, 0, EventFd.EFD_NONBLOCK);
        EventFdFile f = (EventFdFile) c.files().get(fd);
        assertThat(f.poll()).isEqualTo(IoEvents.OUT | IoEvents.WRNORM);
        FileCalls.write(c, fd, u64(-3L)); // 2^64 - 3
        assertThat(f.poll()).isEqualTo(IoEvents.IN | IoEvents.RDNORM | IoEvents.OUT | IoEvents.WRNORM);
        FileCalls.write(c, fd, u64(1)); // now 2^64 - 2: the maximum
        assertThat(f.count()).isEqualTo(-2L);
        assertThat(f.poll()).as("at the maximum: not writable").isEqualTo(IoEvents.IN | IoEvents.RDNORM);
        assertThat(errno(() -> FileCalls.write(c, fd, u64(1)))).isEqualTo(Errno.EAGAIN);
        assertThat(FileCalls.write(c, fd, u64(0))).as("adding 0 never overflows").isEqualTo(8);
        assertThat(read(c, fd)).isEqualTo(-2L);
    }

    @Test
    void blockedWriterWaitsForRoomAndBlockedReaderForAValue() {
        int fd = eventfds.eventfd(c, 0);
        FileCalls.write(c, fd, u64(-2L));
        Caller t = thread(c, new TestSignals());
        Thread writer = vthread("writer", () -> FileCalls.write(t, fd, u64(5)));
        Quiesce.until(() -> Quiesce.parked(writer), "writer blocked on overflow");
        assertThat(read(c, fd)).isEqualTo(-2L);
        Quiesce.join(writer);
        assertThat(read(c, fd)).isEqualTo(5);
        AtomicLong got = new AtomicLong();
        Thread reader = vthread("reader", () -> got.set(read(t, fd)));
        Quiesce.until(() -> Quiesce.parked(reader), "reader blocked on zero");
        FileCalls.write(c, fd, u64(9));
        Quiesce.join(reader);
        assertThat(got).hasValue(9);
    }

    /** Every write is a new edge, even of 0 and even when the counter was already non-zero (libuv #4400). */
    @Test
    void everyWriteIsANewEdgeTriggeredEvent() {
        int fd = eventfds.eventfd2(c, 0, EventFd.EFD_NONBLOCK);
        int ep = epolls.epollCreate1(c, 0);
        epolls.epollCtl(c, ep, Epoll.EPOLL_CTL_ADD, fd, new EpollEvent(Epoll.EPOLLIN | Epoll.EPOLLET, 42));
        EpollEvents ev = new EpollEvents(4);
        assertThat(epolls.epollWait(c, ep, ev, 4, 0)).isZero();
        FileCalls.write(c, fd, u64(1));
        assertThat(epolls.epollWait(c, ep, ev, 4, 0)).isEqualTo(1);
        assertThat(ev.data(0)).isEqualTo(42);
        assertThat(epolls.epollWait(c, ep, ev, 4, 0)).as("edge consumed").isZero();
        FileCalls.write(c, fd, u64(1));
        assertThat(epolls.epollWait(c, ep, ev, 4, 0)).as("counter was already 1: still a new edge").isEqualTo(1);
        FileCalls.write(c, fd, u64(0));
        assertThat(epolls.epollWait(c, ep, ev, 4, 0)).as("a write of 0 is an edge too").isEqualTo(1);
    }
}
