package io.jocclum.cli;

import io.jocclum.libos.config.Adjustment;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.Region;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The text {@code build} prints after a successful build, and the numbers {@code demo} compares. */
final class Summary {
    private Summary() {
    }

    static List<String> build(BuildReport r) {
        ResolvedConfig c = r.resolved();
        EnclaveLayout l = r.layout();
        List<String> out = new ArrayList<>();
        out.add("Built " + r.paths().root() + " for " + (c.edmm() ? "an EDMM (SGX2) platform" : "a non-EDMM platform")
                + " (" + c.buildPath().reason() + ").");
        out.add(String.format("  %-15s %-10s %s", "", "Init", "Max"));
        out.add(String.format("  %-15s %-10s %s", "kernel heap", Sizes.human(c.kernelHeapInit()), Sizes.human(c.kernelHeapMax())));
        if (c.edmm()) {
            long region = c.enclaveXml().userRegionSize().orElseThrow();
            out.add(String.format("  %-15s %-10s %s", "user space", Sizes.human(c.userSpaceInit()),
                    Sizes.human(c.userSpaceMax()) + "  (user region " + Sizes.human(region) + ")"));
        } else {
            out.add(String.format("  %-15s %-10s %s", "user space", Sizes.human(c.userSpaceMax()),
                    Sizes.human(c.userSpaceMax()) + "  (static: all reserved memory)"));
        }
        out.add(String.format("  %-15s %-10s %s", "threads (TCS)", c.tcsInit(), c.tcsMax()));
        out.add(String.format("  %-15s %s", "kernel stack", Sizes.human(c.enclaveXml().stackMaxSize()) + " per thread"));
        out.add("At load:   " + Sizes.human(l.committedAtLoadBytes()) + " committed (" + l.eaddCount() + " EADD pages, "
                + l.eextendCount() + " EEXTEND records), in an address range of " + Sizes.human(l.secs().size()) + ".");
        out.add("On demand: " + onDemand(l));
        if (!c.adjustments().isEmpty()) {
            out.add("Changed by the rules:");
            for (Adjustment a : c.adjustments()) {
                out.add("  - " + a);
            }
        }
        out.add("MRENCLAVE " + HexFormat.of().formatHex(r.mrenclave()));
        out.add("MRSIGNER  " + HexFormat.of().formatHex(r.mrsigner()) + "  (" + (r.keyGenerated() ? "new key " : "key ")
                + r.keyFile() + ")");
        out.add("Outputs:   build/Enclave.xml, build/Occlum_sys.json, build/enclave.sigstruct, build/mount/__ROOT");
        return out;
    }

    /** What EDMM may commit later, region by region. */
    static String onDemand(EnclaveLayout l) {
        if (!l.edmm()) {
            return "nothing; without EDMM everything up to Max is committed at load, so a larger Max means a slower"
                    + " start and can make the enclave fail to load.";
        }
        List<String> parts = new ArrayList<>();
        for (Region r : l.regions()) {
            if (r.kind().dynamic()) {
                String what = switch (r.kind()) {
                    case KERNEL_HEAP_DYNAMIC -> "kernel heap";
                    case TCS_POOL -> (r.size() / l.threadContextSize()) + " more threads";
                    case USER_REGION -> "user region";
                    default -> r.name();
                };
                parts.add(what + " " + Sizes.human(r.size()));
            }
        }
        return "up to " + Sizes.human(l.onDemandBytes()) + " more (" + String.join(", ", parts)
                + "), committed when first touched; untouched memory costs nothing.";
    }
}
