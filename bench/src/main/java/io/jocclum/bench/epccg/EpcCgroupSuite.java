package io.jocclum.bench.epccg;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;

import java.util.List;
import java.util.Map;

/** The misc-cgroup sgx_epc controller. */
public final class EpcCgroupSuite implements BenchSuite {
    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "epc-cgroup-reclaim";
            }

            @Override
            public String description() {
                return "one reclaim batch (16 pages: isolate, age, EBLOCK, EWB, free) of a 1,000-page cgroup while 1,000,000"
                        + " pages sit in 8 other cgroups: v17 per-cgroup LRU + fair iterator vs one global LRU scanned for"
                        + " the cgroup's pages (the design the cover letter rejects); goal >= 100x";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(EpcCgroupReclaimBench.class, "ours")
                        .include(EpcCgroupReclaimBench.class, "anchor").run();
                Result res = Result.of(r.get("ours"), r.get("anchor"));
                return res.withNote("goal: ours >= 100x cheaper at 1M pages: " + (res.speedup() >= 100 ? "met" : "NOT met"));
            }
        });
    }
}
