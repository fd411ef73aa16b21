package io.jocclum.cli;

import io.jocclum.libos.config.Adjustment;
import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.libos.config.PlatformRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.ResourceLimits;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.config.Templates;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * Until {@code run} exists: builds the EDMM guide's example configuration (its resource_limits and
 * process inside Occlum's template) for a non-EDMM and an EDMM platform in a temporary instance
 * and shows both side by side, with what each means for start-up and memory.
 */
@Command(name = "demo", description = "Build the EDMM guide's example for a non-EDMM and an EDMM platform and compare"
        + " the two enclaves side by side.")
final class DemoCommand implements Callable<Integer> {
    private final Cli cli;

    @Option(names = "--keep", description = "Keep the temporary instance (its path is printed).")
    boolean keep;

    DemoCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        Path dir = Files.createTempDirectory("jocclum-demo-");
        try {
            InstancePaths paths = Instance.createNew(dir);
            Files.write(paths.occlumJson(), Templates.guideExample());
            BuildReport sgx1 = build(paths, false);
            BuildReport sgx2 = build(paths, true);
            print(sgx1, sgx2, dir);
        } finally {
            if (!keep) {
                InstanceBuild.deleteTree(dir);
            }
        }
        return 0;
    }

    private BuildReport build(InstancePaths paths, boolean edmm) {
        return new InstanceBuild(cli, paths, new InstanceBuild.Options(PlatformRequest.of(SgxMode.HW, edmm), true, null))
                .run();
    }

    private void print(BuildReport a, BuildReport b, Path dir) {
        var o = cli.out;
        o.println("jocclum demo: the EDMM guide's example configuration (its resource_limits and process in Occlum's");
        o.println("template), built once for a non-EDMM platform and once for an EDMM (SGX2) platform.");
        o.println(keep ? "Instance kept in " + dir : "Temporary instance " + dir + " (removed; --keep keeps it)");
        o.println();
        ResourceLimits rl = a.resolved().config().resourceLimits();
        o.println("Occlum.json says: kernel_space_stack_size " + Sizes.format(rl.kernelSpaceStackSize())
                + ", kernel_space_heap_size " + Sizes.format(rl.kernelSpaceHeapSize()) + ", kernel_space_heap_max_size "
                + opt(rl.kernelSpaceHeapMaxSize(), true) + ",");
        o.println("  user_space_size " + Sizes.format(rl.userSpaceSize()) + ", user_space_max_size "
                + opt(rl.userSpaceMaxSize(), true) + ", init_num_of_threads " + opt(rl.initNumOfThreads(), false)
                + ", max_num_of_threads " + rl.maxNumOfThreads());
        o.println();
        row(o, "", "non-EDMM build", "EDMM build");
        o.println("Enclave.xml");
        xml(o, a, b, "  StackMaxSize", x -> Sizes.human(x.stackMaxSize()));
        xml(o, a, b, "  HeapInitSize", x -> Sizes.human(x.heapInitSize()));
        xml(o, a, b, "  HeapMaxSize", x -> Sizes.human(x.heapMaxSize()));
        xml(o, a, b, "  TCSNum = TCSMinPool", x -> Long.toString(x.tcsNum()));
        xml(o, a, b, "  TCSMaxNum", x -> Long.toString(x.tcsMaxNum()));
        xml(o, a, b, "  ReservedMem*Size", x -> Sizes.human(x.reservedMemMaxSize()));
        xml(o, a, b, "  UserRegionSize", x -> x.userRegionSize().isPresent() ? Sizes.human(x.userRegionSize().getAsLong()) : "-");
        xml(o, a, b, "  MiscSelect / MiscMask", x -> x.values().get("MiscSelect") + " / " + x.values().get("MiscMask"));
        o.println("Resolved Init / Max");
        res(o, a, b, "  kernel heap", c -> Sizes.human(c.kernelHeapInit()) + " / " + Sizes.human(c.kernelHeapMax()));
        res(o, a, b, "  user space", c -> c.edmm() ? Sizes.human(c.userSpaceInit()) + " / " + Sizes.human(c.userSpaceMax())
                : "static " + Sizes.human(c.userSpaceMax()));
        res(o, a, b, "  threads (TCS)", c -> c.tcsInit() + " / " + c.tcsMax());
        o.println("Start-up: the loader's work before EINIT");
        lay(o, a, b, "  committed at load", l -> Sizes.human(l.committedAtLoadBytes()));
        lay(o, a, b, "  EADD (pages)", l -> Long.toString(l.eaddCount()));
        lay(o, a, b, "  EEXTEND (256-byte records)", l -> Long.toString(l.eextendCount()));
        o.println("Memory");
        lay(o, a, b, "  committable on demand", l -> l.edmm() ? Sizes.human(l.onDemandBytes()) : "-");
        lay(o, a, b, "  address range (SECS.SIZE)", l -> Sizes.human(l.secs().size()));
        o.println();
        o.println("MRENCLAVE non-EDMM " + HexFormat.of().formatHex(a.mrenclave()));
        o.println("MRENCLAVE EDMM     " + HexFormat.of().formatHex(b.mrenclave()));
        o.println();
        o.println("What it means");
        EnclaveLayout la = a.layout();
        EnclaveLayout lb = b.layout();
        o.println(String.format(Locale.ROOT, "  Start-up: the EDMM build adds %d pages before it runs, the non-EDMM build"
                + " %d (%.0fx more);", lb.eaddCount(), la.eaddCount(), la.eaddCount() / (double) lb.eaddCount()));
        o.println("    only Init is loaded with EDMM, so a small Init starts fast (the guide's advice).");
        o.println("  Memory: without EDMM all " + Sizes.human(la.committedAtLoadBytes()) + " are committed at load,"
                + " used or not; with EDMM " + Sizes.human(lb.committedAtLoadBytes()) + " are,");
        o.println("    and up to " + Sizes.human(lb.onDemandBytes()) + " more is committed only when touched. The Max values"
                + " were raised to Occlum's");
        o.println("    defaults, so on EDMM a Max cannot cap physical memory (guide, note 1).");
        o.println("  One Occlum.json serves both; keep its Max values moderate if it must also start without EDMM"
                + " (guide, note 2).");
        o.println();
        o.println("Values the rules changed compared with Occlum.json");
        adjustments(o, "non-EDMM", a.resolved().adjustments());
        adjustments(o, "EDMM", b.resolved().adjustments());
    }

    private static String opt(java.util.OptionalLong v, boolean size) {
        return v.isEmpty() ? "(absent)" : size ? Sizes.format(v.getAsLong()) : Long.toString(v.getAsLong());
    }

    private static void adjustments(java.io.PrintStream o, String path, List<Adjustment> list) {
        for (Adjustment x : list) {
            o.println("  " + path + ": " + x);
        }
    }

    private static void row(java.io.PrintStream o, String label, String left, String right) {
        o.println(String.format("%-30s %-22s %s", label, left, right));
    }

    private static void xml(java.io.PrintStream o, BuildReport a, BuildReport b, String label, Function<EnclaveXml, String> f) {
        row(o, label, f.apply(a.resolved().enclaveXml()), f.apply(b.resolved().enclaveXml()));
    }

    private static void res(java.io.PrintStream o, BuildReport a, BuildReport b, String label,
                            Function<ResolvedConfig, String> f) {
        row(o, label, f.apply(a.resolved()), f.apply(b.resolved()));
    }

    private static void lay(java.io.PrintStream o, BuildReport a, BuildReport b, String label,
                            Function<EnclaveLayout, String> f) {
        row(o, label, f.apply(a.layout()), f.apply(b.layout()));
    }
}
