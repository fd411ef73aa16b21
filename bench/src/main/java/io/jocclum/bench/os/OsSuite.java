package io.jocclum.bench.os;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchFormat;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.RunStats;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.testing.TestInstance;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Whole-LibOS benchmarks (issue 4): system calls of a booted guest, the boot of a large EDMM
 * enclave, and the simulated start-up of the EDMM guide's example on both paths.
 */
public final class OsSuite implements BenchSuite {
    private static final String NOTE = "ours: a guest of a booted EDMM instance (Occlum's template) on the default simulated"
            + " platform, calls made on its own thread through the syscall façade, " + OsBench.BATCH + " pairs per handoff";

    @Override
    public List<Comparison> comparisons() {
        return List.of(mmapMunmap(), mmapMunmapManyVmas(), boot16g(), startupEdmmVsPlain());
    }

    private static Comparison mmapMunmap() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-mmap-munmap";
            }

            @Override
            public String description() {
                return "anonymous mmap+munmap pairs of 4-64 KB by a guest program through the syscall interface (100 live VMAs)"
                        + " vs native Linux mmap+munmap (native/vm_mmap_munmap.c) (goal: 5x faster)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> ours = ctx.jmh().include(OsBench.class, "mmapMunmap").param("liveVmas", "100").run();
                Map<String, Figure> anchor = ctx.natives().run("vm_mmap_munmap", false, ctx.quick() ? "50000" : "200000");
                return Result.of(ours.get("mmapMunmap[liveVmas=100]"), anchor.get("vm-mmap-munmap")).withNote(NOTE);
            }
        };
    }

    private static Comparison mmapMunmapManyVmas() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-mmap-munmap-100k-vmas";
            }

            @Override
            public String description() {
                return "the same guest mmap+munmap pairs with 100,000 live VMAs (ours) vs with 100 (anchor) (goal: at most 2x"
                        + " slower, speedup >= 0.5)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(OsBench.class, "mmapMunmap").param("liveVmas", "100", "100000").run();
                return Result.of(r.get("mmapMunmap[liveVmas=100000]"), r.get("mmapMunmap[liveVmas=100]")).withNote(NOTE);
            }
        };
    }

    /** Boot wall time and retained heap of an EDMM instance with a 16 GB user_space_max_size. */
    private static Comparison boot16g() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-boot-edmm-16g";
            }

            @Override
            public String description() {
                return "LibOs.boot of an EDMM instance (Occlum's template, user_space_max_size 16GB) on the default platform:"
                        + " median wall time and the heap it retains (goals: < 100 ms, < 64 MB)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                return withInstance(b -> b.edmm(true).set("resource_limits.user_space_max_size", "16GB"), built -> {
                    int warm = ctx.quick() ? 3 : 10;
                    int runs = ctx.quick() ? 7 : 21;
                    double[] ms = new double[runs];
                    for (int i = 0; i < warm + runs; i++) {
                        long t0 = System.nanoTime();
                        LibOs os = LibOs.boot(built, BootOptions.defaults());
                        long t1 = System.nanoTime();
                        os.close();
                        if (i >= warm) {
                            ms[i - warm] = (t1 - t0) / 1e6;
                        }
                    }
                    double median = BenchContext.median(ms);
                    var mem = ManagementFactory.getMemoryMXBean();
                    double[] retained = new double[3];
                    for (int i = 0; i < retained.length; i++) {
                        System.gc();
                        long before = mem.getHeapMemoryUsage().getUsed();
                        LibOs os = LibOs.boot(built, BootOptions.defaults());
                        System.gc();
                        long after = mem.getHeapMemoryUsage().getUsed();
                        os.close();
                        retained[i] = Math.max(0, after - before) / 1e6;
                    }
                    double heap = BenchContext.median(retained);
                    double[] sorted = ms.clone();
                    Arrays.sort(sorted);
                    return new Result(Figure.time(median, "ms"), null, List.of(
                            String.format("boot wall time: median %s ms (min %s, max %s; %d boots after %d warm-up); goal < 100 ms",
                                    BenchFormat.number(median), BenchFormat.number(sorted[0]),
                                    BenchFormat.number(sorted[sorted.length - 1]), runs, warm),
                            String.format("heap retained by a booted LibOS (used heap after GC, booted minus before): median %s MB"
                                    + " of 3; goal < 64 MB", BenchFormat.number(heap)),
                            "simulated start-up of this enclave: see os-startup-edmm-vs-plain"));
                });
            }
        };
    }

    /** Simulated start-up of the EDMM guide's example, EDMM vs non-EDMM build (deterministic: the cost model's cycles). */
    private static Comparison startupEdmmVsPlain() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-startup-edmm-vs-plain";
            }

            @Override
            public String description() {
                return "simulated start-up (ECREATE .. EINIT + LibOS init, cost model) of the EDMM guide's example built for"
                        + " EDMM (ours) vs built without EDMM (anchor), both on the default SGX2 platform (goal: 10x faster)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                RunStats edmm = startup(true);
                RunStats plain = startup(false);
                return Result.of(Figure.time(edmm.startupNanos() / 1e6, "ms"), Figure.time(plain.startupNanos() / 1e6, "ms"))
                        .withNote(String.format("EADD %,d vs %,d pages, EEXTEND %,d vs %,d records; EPC after start-up %,d vs %,d bytes",
                                edmm.startupCount(io.jocclum.sgx.cost.CostEvent.EADD), plain.startupCount(io.jocclum.sgx.cost.CostEvent.EADD),
                                edmm.startupCount(io.jocclum.sgx.cost.CostEvent.EEXTEND),
                                plain.startupCount(io.jocclum.sgx.cost.CostEvent.EEXTEND), edmm.committedAfterStartup(),
                                plain.committedAfterStartup()));
            }

            private RunStats startup(boolean edmm) throws IOException {
                return withInstance(b -> b.guideExample().edmm(edmm), built -> {
                    try (LibOs os = LibOs.boot(built, BootOptions.defaults())) {
                        return os.stats();
                    }
                });
            }
        };
    }

    private interface WithBuilt<T> {
        T apply(BuiltEnclave built) throws Exception;
    }

    private static <T> T withInstance(Consumer<TestInstance.Builder> config, WithBuilt<T> body) throws IOException {
        Path dir = Files.createTempDirectory("jocclum-bench-os-");
        try {
            TestInstance.Builder b = TestInstance.builder(dir);
            config.accept(b);
            return body.apply(b.build());
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
