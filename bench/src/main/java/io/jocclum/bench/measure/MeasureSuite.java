package io.jocclum.bench.measure;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;

import java.util.List;
import java.util.Map;

/** Enclave measurement benchmarks. */
public final class MeasureSuite implements BenchSuite {
    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "measure-page";
            }

            @Override
            public String description() {
                return "MRENCLAVE of one measured 4 KiB page (EADD + 16 EEXTEND records) vs plain SHA-256 of 4 KiB";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(MeasureBench.class, "ours").include(MeasureBench.class, "anchor").run();
                return Result.of(r.get("ours"), r.get("anchor"));
            }
        });
    }
}
