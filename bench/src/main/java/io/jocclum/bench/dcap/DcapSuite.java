package io.jocclum.bench.dcap;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;

import java.util.List;
import java.util.Map;

/** DCAP quote verification (the dcap library) on a genuine Intel quote. */
public final class DcapSuite implements BenchSuite {
    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "dcap-verify";
            }

            @Override
            public String description() {
                return "verify a genuine SGX quote with collateral prepared once and cached (a server) vs the two raw JDK "
                        + "ECDSA P-256 verifications (QE report, quote); goal: within 1.5x of them";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(DcapBench.class, "ours").include(DcapBench.class, "anchor").run();
                Result res = Result.of(r.get("ours"), r.get("anchor"));
                double ratio = r.get("ours").value() / r.get("anchor").value();
                return res.withNote(String.format("goal: ours <= 1.5x the two ECDSA verifications: %.2fx, %s", ratio,
                        ratio <= 1.5 ? "met" : "NOT met"));
            }
        }, new Comparison() {
            @Override
            public String name() {
                return "dcap-verify-cold";
            }

            @Override
            public String description() {
                return "verify a genuine SGX quote from scratch (parse the collateral JSON, check CRLs, chains, TCB info, QE "
                        + "identity, quote) vs the two raw JDK ECDSA P-256 verifications; reported, no goal";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(DcapBench.class, "cold").include(DcapBench.class, "anchor").run();
                return Result.of(r.get("cold"), r.get("anchor"));
            }
        });
    }
}
