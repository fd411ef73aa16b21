package io.jocclum.bench.events;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.bench.os.GuestDriver;
import io.jocclum.libos.programs.ProgramRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pipes and epoll as a guest program gets them: two guest processes of a booted LibOS (an EDMM
 * instance of Occlum's template on the default simulated platform), every read, write and
 * epoll_wait a system call through the syscall interface, the data in guest memory. The first
 * process is the benchmark guest of {@link GuestDriver} (it runs the measured calls); at set-up it
 * spawns the second, whose standard input and output are set with posix_spawn dup2 actions, and
 * which runs until its input ends.
 */
public class GuestEventsBench {
    /** Bytes per write and per read. */
    public static final int BLOCK = 64 << 10;
    /** 64 KiB writes per invocation (8 MiB). */
    static final int BLOCKS = 128;
    /** Round trips per invocation. */
    static final int TRIPS = 200;

    /** The reader of the pipe benchmark: reads its standard input 64 KiB at a time into guest memory until end of file. */
    public static final class PipeReader implements GuestProgram {
        @Override
        public int main(Syscalls sys, String[] argv, String[] envp) {
            long buf = Libc.alloc(sys, BLOCK);
            while (sys.read(0, buf, BLOCK) > 0) {
                // the bytes are in guest memory; nothing else to do with them
            }
            return 0;
        }
    }

    /** The pong side: epoll_wait on standard input, read the token, write it to standard output; ends at end of input. */
    public static final class Pong implements GuestProgram {
        @Override
        public int main(Syscalls sys, String[] argv, String[] envp) {
            long page = Libc.alloc(sys, Mman.PAGE_SIZE);
            int ep = sys.epollCreate1(0);
            sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, 0, new EpollEvent(Epoll.EPOLLIN, 2));
            for (;;) {
                sys.epollWait(ep, page + 64, 1, -1);
                if (sys.read(0, page, 1) == 0) {
                    return 0;
                }
                sys.write(1, page, 1);
            }
        }
    }

    /** A booted LibOS whose guest writes into a pipe read by a second guest process. */
    @State(Scope.Thread)
    public static class PipeState {
        GuestDriver driver;
        int child;
        int wfd;
        long buf;

        @Setup(Level.Trial)
        public void setup() {
            driver = new GuestDriver(b -> { }, ProgramRegistry.standard().with("benchpipereader", PipeReader::new));
            driver.call(sys -> {
                int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
                child = sys.posixSpawn("/bin/benchpipereader", List.of(SpawnAction.dup2(p[0], 0)), new String[]{"benchpipereader"}, null);
                sys.close(p[0]);
                wfd = p[1];
                buf = Libc.alloc(sys, BLOCK);
                sys.fillBytes(buf, BLOCK, (byte) 7);
                return 0;
            });
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            driver.call(sys -> {
                sys.close(wfd);
                return sys.wait4(child, 0).status();
            });
            driver.close();
        }
    }

    /** 64 KiB writes by one guest process into a pipe that another reads; the time per 64 KiB. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(BLOCKS)
    public long pipe(PipeState s) {
        return s.driver.call(sys -> {
            long n = 0;
            for (int i = 0; i < BLOCKS; i++) {
                n += Libc.writeFully(sys, s.wfd, s.buf, BLOCK);
            }
            return n;
        });
    }

    /** A booted LibOS whose guest plays ping with a second guest process over two pipes. */
    @State(Scope.Thread)
    public static class PingPongState {
        GuestDriver driver;
        int child;
        int out;
        int in;
        int ep;
        long page;

        @Setup(Level.Trial)
        public void setup() {
            driver = new GuestDriver(b -> { }, ProgramRegistry.standard().with("benchpong", Pong::new));
            driver.call(sys -> {
                int[] ab = sys.pipe2(OpenFlags.O_CLOEXEC);
                int[] ba = sys.pipe2(OpenFlags.O_CLOEXEC);
                child = sys.posixSpawn("/bin/benchpong", List.of(SpawnAction.dup2(ab[0], 0), SpawnAction.dup2(ba[1], 1)),
                        new String[]{"benchpong"}, null);
                sys.close(ab[0]);
                sys.close(ba[1]);
                out = ab[1];
                in = ba[0];
                ep = sys.epollCreate1(0);
                sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, in, new EpollEvent(Epoll.EPOLLIN, 1));
                page = Libc.alloc(sys, Mman.PAGE_SIZE);
                return 0;
            });
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            driver.call(sys -> {
                sys.close(out);
                return sys.wait4(child, 0).status();
            });
            driver.close();
        }
    }

    /** One round trip: write the token, epoll_wait for the answer, read it (the other process: epoll_wait, read, write). */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(TRIPS)
    public long pingPong(PingPongState s) {
        return s.driver.call(sys -> {
            for (int i = 0; i < TRIPS; i++) {
                sys.write(s.out, s.page, 1);
                if (sys.epollWait(s.ep, s.page + 64, 1, -1) != 1) {
                    throw new IllegalStateException("epoll_wait returned without the token");
                }
                sys.read(s.in, s.page, 1);
            }
            return TRIPS;
        });
    }
}
