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
import java.nio.file.Files;
import java.nio.file.Path;
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
        return List.of(mmapMunmap(), mmapMunmapManyVmas(), mmapMunmapManyVmasRandom(), boot16g(), coldRun(), startupEdmmVsPlain());
    }

    private static Comparison mmapMunmap() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-mmap-munmap";
            }

            @Override
            public String description() {
                return "anonymous mmap+munmap pairs of 4-64 KB by a guest program through the syscall interface (100 extra live VMAs)"
                        + " vs native Linux mmap+munmap with 100 extra live VMAs (native/vm_mmap_munmap.c) (goal: 5x faster)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(OsBench.class, "mmapMunmap").param("liveVmas", "100")
                        .nativeAnchor("vm_mmap_munmap", "100").run();
                Result res = Result.of(r.get("mmapMunmap[liveVmas=100]"), r.get("vm-mmap-munmap"));
                return res.withNote(NOTE).withNote("goal (5x faster than native): " + (res.speedup() >= 5 ? "met" : "NOT met")
                        + " by the median of the per-round ratios; the kernel entries' share of the anchor is below");
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
                return "the same guest mmap+munmap pairs with 100,000 live VMAs (ours) vs with 100 (anchor), placed by the VM next"
                        + " to each other (one cache-hot spot of the VMA tree; os-mmap-munmap-100k-vmas-random is the goal)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(OsBench.class, "mmapMunmap").param("liveVmas", "100", "100000").run();
                return Result.of(r.get("mmapMunmap[liveVmas=100000]"), r.get("mmapMunmap[liveVmas=100]")).withNote(NOTE);
            }
        };
    }

    private static Comparison mmapMunmapManyVmasRandom() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-mmap-munmap-100k-vmas-random";
            }

            @Override
            public String description() {
                return "guest mmap(MAP_FIXED)+munmap of one page into a hole between two live VMAs chosen at random, with 100,000"
                        + " live VMAs (ours) vs with 100 (anchor) (goal: at most 2x slower, speedup >= 0.5)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(OsBench.class, "mmapMunmapRandom").param("liveVmas", "100", "100000").run();
                Result res = Result.of(r.get("mmapMunmapRandom[liveVmas=100000]"), r.get("mmapMunmapRandom[liveVmas=100]"));
                return res.withNote(NOTE).withNote("goal (within 2x): " + (res.speedup() >= 0.5 ? "met" : "NOT met")
                        + " by the median of the per-round ratios");
            }
        };
    }

    /** Boot wall time (interleaved rounds) and peak heap (a probe JVM) of an EDMM instance with a 16 GB user_space_max_size. */
    private static Comparison boot16g() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-boot-edmm-16g";
            }

            @Override
            public String description() {
                return "LibOs.boot of an EDMM instance (Occlum's template, user_space_max_size 16GB) on the default platform:"
                        + " median wall time and the peak heap of a boot (goals: < 100 ms, < 64 MB)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Figure ms = ctx.jmh().include(BootBench.class, "boot").run().get("boot");
                List<String> cmd = BenchContext.javaCommand(List.of(BootHeapProbe.JVM_ARGS), BootHeapProbe.class, List.of());
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                if (p.waitFor() != 0) {
                    throw new IOException("the boot heap probe failed:\n" + out);
                }
                List<double[]> heap = out.lines().filter(l -> l.startsWith("peak-heap-mb ")).map(l -> {
                    String[] f = l.split(" ");
                    return new double[]{Double.parseDouble(f[1]), Double.parseDouble(f[3]), Double.parseDouble(f[5])};
                }).toList();
                if (heap.isEmpty()) {
                    throw new IOException("the boot heap probe printed no figure:\n" + out);
                }
                double peak = BenchContext.median(heap.stream().mapToDouble(h -> h[0]).toArray());
                double retained = BenchContext.median(heap.stream().mapToDouble(h -> h[1]).toArray());
                double young = heap.getFirst()[2];
                return new Result(ms, null, List.of(
                        String.format("boot wall time: median %s ms; goal < 100 ms: %s", BenchFormat.number(ms.value()),
                                ms.value() < 100 ? "met" : "NOT met"),
                        String.format("peak heap of a boot: %s MB above the heap before it (median of %d boots; largest live heap after"
                                        + " any collection during the boot, serial collector with a %s MB young generation, so at most"
                                        + " %s MB more); retained once booted: %s MB; goal < 64 MB: %s",
                                BenchFormat.number(peak), heap.size(), BenchFormat.number(young), BenchFormat.number(young),
                                BenchFormat.number(retained), peak + young < 64 ? "met" : peak < 64 ? "met without the young generation" : "NOT met"),
                        "simulated start-up of this enclave: see os-startup-edmm-vs-plain"));
            }
        };
    }

    /** Wall time of {@code bin/jocclum run /bin/hello} as a whole process. */
    private static Comparison coldRun() {
        return new Comparison() {
            @Override
            public String name() {
                return "os-cold-run-hello";
            }

            @Override
            public String description() {
                return "a cold process: wall time of bin/jocclum run /bin/hello in a built instance, launcher script to exit;"
                        + " for reference, a JVM that starts and exits and bin/jocclum --version, in the same rounds";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                String home = System.getProperty(ColdRunBench.HOME);
                if (home == null) {
                    // the jar is bench/target/jocclum-benchmarks.jar of the checkout
                    Path jar = Path.of(ColdRunBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                    home = jar.getParent().getParent().getParent().toString();
                }
                Map<String, Figure> r = ctx.jmh().include(ColdRunBench.class, "hello").include(ColdRunBench.class, "jvm")
                        .include(ColdRunBench.class, "cli").jvmArgs("-D" + ColdRunBench.HOME + "=" + home).warmupRounds(1, 1)
                        .roundMillis(1).run();
                Figure hello = r.get("hello");
                return new Result(hello, null, List.of(
                        "a JVM that starts and exits (java -XX:+UseSerialGC -Xss2m -version), same rounds: " + r.get("jvm").format(),
                        "bin/jocclum --version (launcher script, its freshness check of the sources, JVM, CLI), same rounds: "
                                + r.get("cli").format()));
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
