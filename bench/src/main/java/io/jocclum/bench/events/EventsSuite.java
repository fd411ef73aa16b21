package io.jocclum.bench.events;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import io.jocclum.bench.harness.NativeAnchors;

import java.util.List;
import java.util.Map;

/**
 * Event-layer benchmarks. Names ending in {@code -internal} time the LibOS's pipe and epoll
 * objects called directly from Java threads; the goals are measured through a guest's system
 * calls ({@code -syscall}). Pinned runs put both sides on CPU 0: the fork's JVM (and so its
 * virtual-thread scheduler) and the native anchor it starts run under {@code taskset -c 0}.
 * Unpinned runs leave both free on every CPU.
 */
public final class EventsSuite implements BenchSuite {

    @Override
    public List<Comparison> comparisons() {
        return List.of(
                pipe(true), pipe(false),
                pingPong(true), pingPong(false),
                epollScale(), guestPipe(), guestPingPong());
    }

    private static Comparison pipe(boolean pinned) {
        return new Comparison() {
            @Override
            public String name() {
                return pinned ? "events-pipe-64k-pinned-internal" : "events-pipe-64k-internal";
            }

            @Override
            public String description() {
                return "pipe throughput, 64 KiB writes into a 64 KiB pipe: two virtual threads calling the LibOS pipe object directly"
                        + " vs a native C pipe between two processes" + (pinned ? ", both pinned to CPU 0" : ", unpinned");
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(PipeThroughputBench.class, "ours").pinCpu0(pinned)
                        .nativeAnchor("pipe_throughput").run();
                Figure ours = r.get("ours[block=65536]").map(ms -> (PipeThroughputBench.TOTAL / (double) (1L << 30)) / (ms / 1000.0),
                        "GiB/s", true);
                return Result.of(ours, r.get("pipe-64k")).withNote(pinned ? pinNote() : "unpinned: both sides free on every CPU");
            }
        };
    }

    private static Comparison pingPong(boolean pinned) {
        return new Comparison() {
            @Override
            public String name() {
                return pinned ? "events-epoll-pingpong-pinned-internal" : "events-epoll-pingpong-internal";
            }

            @Override
            public String description() {
                return "epoll ping-pong round trip over two pipes between two threads (virtual threads calling the LibOS objects"
                        + " directly vs pthreads)" + (pinned ? ", both pinned to CPU 0" : ", unpinned");
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(EpollPingPongBench.class, "ours").pinCpu0(pinned)
                        .nativeAnchor("epoll_pingpong", "threads").run();
                return Result.of(r.get("ours"), r.get("epoll-pingpong"))
                        .withNote(pinned ? pinNote() : "unpinned: both sides free on every CPU");
            }
        };
    }

    private static Comparison epollScale() {
        return new Comparison() {
            @Override
            public String name() {
                return "events-epoll-wait-10000-internal";
            }

            @Override
            public String description() {
                return "epoll_wait (timeout 0) on the LibOS epoll object with 10,000 registered eventfds of which 10 are ready;"
                        + " anchor = the same with 10 registered (goal: within 2x, speedup >= 0.5); native Linux for reference";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(EpollScaleBench.class, "ours").nativeAnchor("epoll_scale").run();
                Result res = Result.of(r.get("ours[registered=10000]"), r.get("ours[registered=10]"));
                return res.withNote("native Linux for reference, same rounds: 10 registered " + r.get("epoll-wait-10").format()
                        + ", 10000 registered " + r.get("epoll-wait-10000").format());
            }
        };
    }

    private static Comparison guestPipe() {
        return new Comparison() {
            @Override
            public String name() {
                return "events-pipe-syscall";
            }

            @Override
            public String description() {
                return "pipe throughput between two guest processes through the syscall interface, 64 KiB writes and reads"
                        + " from and into guest memory vs a native C pipe between two processes, unpinned (goal: >= 1x native)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(GuestEventsBench.class, "pipe").nativeAnchor("pipe_throughput").run();
                double gib = GuestEventsBench.BLOCK / (double) (1L << 30);
                Figure ours = r.get("pipe").map(us -> gib / (us * 1e-6), "GiB/s", true);
                Result res = Result.of(ours, r.get("pipe-64k"));
                return res.withNote("ours: two processes of a booted LibOS (EDMM, default simulated platform); every 64 KiB write"
                        + " and read a guest system call, the bytes copied from and into guest memory")
                        .withNote(goal(res.speedup() >= 1, "ours >= native"));
            }
        };
    }

    private static Comparison guestPingPong() {
        return new Comparison() {
            @Override
            public String name() {
                return "events-epoll-pingpong-syscall";
            }

            @Override
            public String description() {
                return "epoll ping-pong round trip between two guest processes over two pipes, epoll_wait + read + write on each"
                        + " side through the syscall interface vs the same between two native C processes, unpinned"
                        + " (goal: round trip <= native)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(GuestEventsBench.class, "pingPong").nativeAnchor("epoll_pingpong", "processes")
                        .run();
                Result res = Result.of(r.get("pingPong"), r.get("epoll-pingpong"));
                return res.withNote("ours: two processes of a booted LibOS (EDMM, default simulated platform), a one-byte token in"
                        + " guest memory").withNote(goal(res.speedup() >= 1, "round trip <= native"));
            }
        };
    }

    static String goal(boolean met, String what) {
        return "goal (" + what + "): " + (met ? "met" : "NOT met") + " by the median of the per-round ratios";
    }

    private static String pinNote() {
        return NativeAnchors.canPin()
                ? "pinned: every fork (JVM and native anchor) under taskset -c 0 (one CPU, one carrier thread)"
                : "taskset not found: the pinned variant ran unpinned";
    }
}
