package io.jocclum.bench.vm;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;

import java.util.List;
import java.util.Map;

/**
 * User-space VM benchmarks (issue 4). All run on the fake enclave of
 * {@code io.jocclum.libos.vm.testing} for now: its EPCM checks are real, its leaves cost nothing
 * beyond their Java work, so EDMM figures are the VM's own overhead, not simulated SGX time.
 */
public final class VmSuite implements BenchSuite {
    private static final String NOTE = "platform: the VM's fake enclave (no simulated leaf costs)";

    @Override
    public List<Comparison> comparisons() {
        return List.of(mmapMunmap(), mmapMunmapManyVmas(), guestWrite(), firstTouch());
    }

    private static Comparison mmapMunmap() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-mmap-munmap";
            }

            @Override
            public String description() {
                return "anonymous mmap+munmap pairs of 4-64 KB through ProcessVm (100 live VMAs) vs native Linux mmap+munmap (goal: 5x faster)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> ours = ctx.jmh().include(VmBench.class, "mmapMunmap").param("liveVmas", "100").run();
                Map<String, Figure> anchor = ctx.natives().run("vm_mmap_munmap", false, ctx.quick() ? "50000" : "200000");
                return Result.of(ours.get("mmapMunmap[liveVmas=100]"), anchor.get("vm-mmap-munmap")).withNote(NOTE);
            }
        };
    }

    private static Comparison mmapMunmapManyVmas() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-mmap-munmap-100k-vmas";
            }

            @Override
            public String description() {
                return "the same mmap+munmap pairs with 100,000 live VMAs (ours) vs with 100 (anchor) (goal: at most 2x slower, speedup >= 0.5)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "mmapMunmap").param("liveVmas", "100", "100000").run();
                return Result.of(r.get("mmapMunmap[liveVmas=100000]"), r.get("mmapMunmap[liveVmas=100]")).withNote(NOTE);
            }
        };
    }

    private static Comparison guestWrite() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-guest-seq-write";
            }

            @Override
            public String description() {
                return "sequential 64 KB writes over a committed 64 MB mapping through GuestMemory vs a raw MemorySegment copy of the same chunks (goal: >= 30%, speedup >= 0.3)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "guestSequentialWrite").include(VmBench.class, "rawCopy").run();
                double bytes = VmBench.WriteState.SIZE;
                Figure ours = Figure.throughput(r.get("guestSequentialWrite").value() * bytes / 1e9, "GB/s");
                Figure raw = Figure.throughput(r.get("rawCopy").value() * bytes / 1e9, "GB/s");
                return Result.of(ours, raw).withNote(NOTE);
            }
        };
    }

    private static Comparison firstTouch() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-edmm-first-touch";
            }

            @Override
            public String description() {
                return "EDMM first touch per page: one-byte stores over a fresh 4 MB user-region mapping (fault, EAUG, EACCEPT, commit window), net of map+unmap";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "edmmFirstTouch").include(VmBench.class, "edmmMapUnmapUntouched").run();
                double pages = VmBench.TouchState.SIZE / VmBench.PAGE;
                double touched = r.get("edmmFirstTouch").value();
                double untouched = r.get("edmmMapUnmapUntouched").value();
                Figure perPage = Figure.time((touched - untouched) * 1000 / pages, "ns/page");
                return new Result(perPage, null, List.of(NOTE,
                        "mmap+touch+munmap of 4 MB: " + io.jocclum.bench.harness.BenchFormat.number(touched) + " us; mmap+munmap untouched: "
                                + io.jocclum.bench.harness.BenchFormat.number(untouched) + " us (the difference includes giving the EPC back)"));
            }
        };
    }
}
