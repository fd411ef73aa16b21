package io.jocclum.bench.events;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.libos.epoll.EpollCalls;
import io.jocclum.libos.epoll.EpollEvents;
import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.pipe.PipeCalls;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * epoll ping-pong: two virtual threads, two pipes, each thread blocked in epoll_wait on its read
 * end; a one-byte token goes back and forth. The score is the time of one round trip.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class EpollPingPongBench {
    static final int ROUNDS = 20_000;

    private Caller ping;
    private Caller pong;
    private final PipeCalls pipes = new PipeCalls();
    private final EpollCalls epolls = new EpollCalls();
    private int[] ab;
    private int[] ba;
    private int epA;
    private int epB;

    @Setup(Level.Trial)
    public void setup() {
        FdTable t = new FdTable();
        ping = Caller.of(t);
        pong = ping.newThread(ThreadSignals.NONE);
        ab = pipes.pipe(ping);
        ba = pipes.pipe(ping);
        epA = epolls.epollCreate1(ping, 0);
        epB = epolls.epollCreate1(ping, 0);
        epolls.epollCtl(ping, epA, Epoll.EPOLL_CTL_ADD, ba[0], new EpollEvent(Epoll.EPOLLIN, 1));
        epolls.epollCtl(ping, epB, Epoll.EPOLL_CTL_ADD, ab[0], new EpollEvent(Epoll.EPOLLIN, 2));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ping.files().closeAll();
    }

    private void side(Caller c, int ep, int in, int out, boolean starts) {
        EpollEvents ev = new EpollEvents(1);
        ByteBuffer token = ByteBuffer.allocateDirect(1);
        for (int i = 0; i < ROUNDS; i++) {
            if (starts) {
                token.clear();
                FileCalls.write(c, out, token);
            }
            epolls.epollWait(c, ep, ev, 1, -1);
            token.clear();
            FileCalls.read(c, in, token);
            if (!starts) {
                token.clear();
                FileCalls.write(c, out, token);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public void ours() throws InterruptedException {
        Thread a = Thread.ofVirtual().start(() -> side(ping, epA, ba[0], ab[1], true));
        Thread b = Thread.ofVirtual().start(() -> side(pong, epB, ab[0], ba[1], false));
        a.join();
        b.join();
    }
}
