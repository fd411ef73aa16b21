package io.jocclum.bench.events;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.libos.epoll.EpollCalls;
import io.jocclum.libos.epoll.EpollEvents;
import io.jocclum.libos.eventfd.EventFdCalls;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FdTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * epoll_wait(timeout 0, maxevents 64) on an epoll with {@link #registered} eventfds of which
 * {@link #READY} have a non-zero counter (level-triggered, so every call reports the same ten).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class EpollScaleBench {
    static final int READY = 10;

    @Param({"10", "10000"})
    public int registered;

    private Caller c;
    private final EpollCalls epolls = new EpollCalls();
    private final EpollEvents ev = new EpollEvents(64);
    private int ep;

    @Setup(Level.Trial)
    public void setup() {
        c = Caller.of(new FdTable(2 * registered + 64));
        EventFdCalls eventfds = new EventFdCalls();
        ep = epolls.epollCreate1(c, 0);
        for (int i = 0; i < registered; i++) {
            int fd = eventfds.eventfd(c, i % (registered / READY) == 0 ? 1 : 0);
            epolls.epollCtl(c, ep, Epoll.EPOLL_CTL_ADD, fd, new EpollEvent(Epoll.EPOLLIN, i));
        }
        if (epolls.epollWait(c, ep, ev, 64, 0) != READY) {
            throw new IllegalStateException("expected " + READY + " ready descriptors");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        c.files().closeAll();
    }

    @Benchmark
    public int ours() {
        return epolls.epollWait(c, ep, ev, 64, 0);
    }
}
