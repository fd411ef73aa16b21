package io.jocclum.bench.events;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import io.jocclum.bench.harness.NativeAnchors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * Event-layer benchmarks (issue 5). Pinned runs put both sides on CPU 0: the native anchor runs
 * under {@code taskset -c 0}, and ours runs its JMH fork through a wrapper "JVM" script that
 * execs the real java under {@code taskset -c 0} (so the JVM sees one CPU and its virtual-thread
 * scheduler one carrier). Unpinned runs leave both free on every CPU.
 */
public final class EventsSuite implements BenchSuite {

    @Override
    public List<Comparison> comparisons() {
        return List.of(
                pipe(true), pipe(false),
                pingPong(true), pingPong(false),
                epollScale(), guestPipe());
    }

    private static Comparison pipe(boolean pinned) {
        return new Comparison() {
            @Override
            public String name() {
                return pinned ? "events-pipe-64k-pinned" : "events-pipe-64k";
            }

            @Override
            public String description() {
                return "pipe throughput, 64 KiB writes into a 64 KiB pipe: two virtual threads through the LibOS pipe vs a native C pipe between two processes"
                        + (pinned ? ", both pinned to CPU 0" : ", unpinned") + " (goal: ours >= native)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = jmh(ctx, pinned, PipeThroughputBench.class);
                Figure ms = r.values().iterator().next();
                double gib = (PipeThroughputBench.TOTAL / (double) (1L << 30)) / (ms.value() / 1000.0);
                Figure anchor = ctx.natives().run("pipe_throughput", pinned).get("pipe-64k");
                return Result.of(Figure.throughput(gib, "GiB/s"), anchor)
                        .withNote(pinned ? pinNote() : "unpinned: both sides free on every CPU");
            }
        };
    }

    private static Comparison pingPong(boolean pinned) {
        return new Comparison() {
            @Override
            public String name() {
                return pinned ? "events-epoll-pingpong-pinned" : "events-epoll-pingpong";
            }

            @Override
            public String description() {
                return "epoll ping-pong round trip over two pipes between two threads (virtual threads in the LibOS vs pthreads)"
                        + (pinned ? ", both pinned to CPU 0" : ", unpinned") + " (goal: no slower than native)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Figure ours = jmh(ctx, pinned, EpollPingPongBench.class).values().iterator().next();
                Figure anchor = ctx.natives().run("epoll_pingpong", pinned).get("epoll-pingpong");
                return Result.of(new Figure(ours.value(), "us/op", false), anchor)
                        .withNote(pinned ? pinNote() : "unpinned: both sides free on every CPU");
            }
        };
    }

    private static Comparison epollScale() {
        return new Comparison() {
            @Override
            public String name() {
                return "events-epoll-wait-10000";
            }

            @Override
            public String description() {
                return "epoll_wait (timeout 0) with 10,000 registered eventfds of which 10 are ready; anchor = ours with 10 registered (goal: within 2x, speedup >= 0.5)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(EpollScaleBench.class, "ours").run();
                Figure big = r.get("ours[registered=10000]");
                Figure small = r.get("ours[registered=10]");
                Result res = Result.of(new Figure(big.value(), "ns/op", false), new Figure(small.value(), "ns/op", false));
                try {
                    Map<String, Figure> n = ctx.natives().run("epoll_scale", false);
                    res = res.withNote("native Linux for reference: 10 registered " + n.get("epoll-wait-10").format()
                            + ", 10000 registered " + n.get("epoll-wait-10000").format());
                } catch (IOException e) {
                    res = res.withNote("native reference unavailable: " + e.getMessage());
                }
                return res;
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
                return "pipe throughput between two guest processes through the syscall facade (/bin/pipebench --block 64K,"
                        + " 256 MiB per run, guest memory on both sides) vs a native C pipe between two processes, unpinned";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Figure ms = ctx.jmh().include(GuestPipeBench.class, "ours").run().values().iterator().next();
                double gib = (GuestPipeBench.TOTAL / (double) (1L << 30)) / (ms.value() / 1000.0);
                Figure anchor = ctx.natives().run("pipe_throughput", false).get("pipe-64k");
                return Result.of(Figure.throughput(gib, "GiB/s"), anchor)
                        .withNote("ours: a booted LibOS, each run spawns the reader process; every write/read is a guest system call");
            }
        };
    }

    private static String pinNote() {
        return NativeAnchors.canPin()
                ? "pinned: native under taskset -c 0; ours in a JMH fork launched through taskset -c 0 (one CPU, one carrier thread)"
                : "taskset not found: the pinned variant ran unpinned";
    }

    /** Runs every benchmark method of {@code bench}, in a JVM pinned to CPU 0 when asked. */
    private static Map<String, Figure> jmh(BenchContext ctx, boolean pinned, Class<?> bench) throws Exception {
        if (!pinned || !NativeAnchors.canPin()) {
            return ctx.jmh().include(bench, "ours").run();
        }
        String java = System.getProperty("jocclum.java");
        if (java == null) {
            java = ProcessHandle.current().info().command().orElse("java");
        }
        Path wrapper = Files.createTempFile("jocclum-pinned-java-", ".sh",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(wrapper, "#!/bin/sh\nexec taskset -c 0 '" + java.replace("'", "'\\''") + "' \"$@\"\n");
        String saved = System.getProperty("jocclum.java");
        System.setProperty("jocclum.java", wrapper.toString());
        try {
            return ctx.jmh().include(bench, "ours").run();
        } finally {
            if (saved == null) {
                System.clearProperty("jocclum.java");
            } else {
                System.setProperty("jocclum.java", saved);
            }
            Files.deleteIfExists(wrapper);
        }
    }
}
