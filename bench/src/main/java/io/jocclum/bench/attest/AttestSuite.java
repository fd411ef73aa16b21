package io.jocclum.bench.attest;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;

import java.util.List;
import java.util.Map;

/** Attestation on the simulated platform: DCAP quote generation through /dev/sgx. */
public final class AttestSuite implements BenchSuite {
    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "dcap-quote-gen";
            }

            @Override
            public String description() {
                return "DCAP quote generation inside an enclave through the GEN_DCAP_QUOTE ioctl (EREPORT, the QE3's REPORT check,"
                        + " signature, assembly, copy to the guest) vs the raw JDK ECDSA P-256 signature it must make; goal: within 2x";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(QuoteGenBench.class, "ours").include(QuoteGenBench.class, "anchor").run();
                double ratio = r.get("ours").value() / r.get("anchor").value();
                return Result.of(r.get("ours"), r.get("anchor")).withNote(String.format(
                        "goal: ours <= 2x the ECDSA signature: %.2fx, %s", ratio, ratio <= 2 ? "met" : "NOT met"));
            }
        });
    }
}
