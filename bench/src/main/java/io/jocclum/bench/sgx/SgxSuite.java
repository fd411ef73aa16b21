package io.jocclum.bench.sgx;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import io.jocclum.bench.harness.NativeAnchors;
import io.jocclum.sgx.arch.Pages;

import java.util.List;
import java.util.Map;

/** The simulated SGX hardware and driver: paging round trips, EPC allocation, the enclave access path. */
public final class SgxSuite implements BenchSuite {
    private static Figure gbPerSecond(Figure opsPerSecond) {
        return opsPerSecond.scale(Pages.SIZE / 1e9, "GB/s");
    }

    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "epc-ewb-eldu";
            }

            @Override
            public String description() {
                return "EWB+ELDU round trips of 4 KiB pages on one core (fault, ELDU, ksgxd aging + EWB) vs bare JDK "
                        + "AES-GCM seal+open of the same pages (goals: >= 50% of it, >= 1 GB/s)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(EpcPagingBench.class, "ours")
                        .include(EpcPagingBench.class, "anchor").run();
                Figure ours = gbPerSecond(r.get("ours"));
                Result res = Result.of(ours, gbPerSecond(r.get("anchor")));
                return res.withNote("goal: ours >= 50% of the raw AES-GCM seal+open (median of the per-round ratios): "
                                + (res.speedup() >= 0.5 ? "met" : "NOT met"))
                        .withNote("goal: ours >= 1 GB/s of pages on one core (median of the rounds): " + (ours.value() >= 1 ? "met" : "NOT met"));
            }
        }, new Comparison() {
            @Override
            public String name() {
                return "epc-alloc-free";
            }

            @Override
            public String description() {
                return "sgx_alloc_epc_page + sgx_free_epc_page through the driver (no-op EPC controller) vs the kernel's "
                        + "list/spinlock/atomic work in C (native/epc_freelist.c)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                if (!NativeAnchors.compilerAvailable()) {
                    Map<String, Figure> r = ctx.jmh().include(EpcAllocBench.class, "ours").run();
                    return new Result(r.get("ours"), null, List.of("no C compiler: anchor skipped"));
                }
                Map<String, Figure> r = ctx.jmh().include(EpcAllocBench.class, "ours").pinCpu0(true).nativeAnchor("epc_freelist").run();
                return Result.of(r.get("ours"), r.get("epc-alloc-free")).withNote("both pinned to CPU 0");
            }
        }, new Comparison() {
            @Override
            public String name() {
                return "enclave-read-4k";
            }

            @Override
            public String description() {
                return "4 KiB read of a resident page through EnclaveContext (walk, pin + EPCM check, copy) vs a bare "
                        + "4 KiB MemorySegment copy";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(EnclaveAccessBench.class, "ours")
                        .include(EnclaveAccessBench.class, "anchor").run();
                return Result.of(gbPerSecond(r.get("ours")), gbPerSecond(r.get("anchor")));
            }
        });
    }
}
