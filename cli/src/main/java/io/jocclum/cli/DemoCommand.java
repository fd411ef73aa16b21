package io.jocclum.cli;

import io.jocclum.api.Wait;
import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.build.EnclaveBuilder;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.RunStats;
import io.jocclum.libos.config.Adjustment;
import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.ResourceLimits;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.config.Templates;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.sgx.cost.CostEvent;
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
 * The main job on an embedded default: builds the EDMM guide's example configuration (its
 * resource_limits and process inside Occlum's template) for a non-EDMM and an EDMM platform in a
 * temporary instance, runs the same {@code memtest} workload in each on the default simulated
 * platform (SGX2, 4GB EPC), and shows the two configurations and the two runs' statistics side by
 * side: the guide's promise (a small Init starts faster; memory is committed when touched) in
 * numbers.
 */
@Command(name = "demo", description = {"Build the example of Occlum's EDMM configuration guide (docs/edmm_config_guide.md in Occlum)"
        + " for a non-EDMM and an EDMM platform, run the same"
        + " memtest workload in both, and compare the two enclaves and runs side by side.",
        "The workload maps --size of memory and touches --touch of it (default: 256MB, a quarter)."})
final class DemoCommand implements Callable<Integer> {
    private final Cli cli;

    @Option(names = "--keep", description = "Keep the temporary instance (its path is printed).")
    boolean keep;

    @Option(names = "--size", paramLabel = "SIZE", description = "Memory the memtest workload maps, 4KB to 512MB (default 256MB;"
            + " it must fit the 600MB user_space_max_size of that example beside the program's stack and heap).")
    String size = "256MB";

    @Option(names = "--touch", paramLabel = "FRACTION", description = "Fraction of it the workload touches, 0..1 (default 0.25).")
    String touch = "0.25";

    DemoCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        Path dir = Files.createTempDirectory("jocclum-demo-");
        try {
            InstancePaths paths = Instance.createNew(dir);
            Files.write(paths.occlumJson(), Templates.guideExample());
            List<String> workload = workload();
            printHeader(dir);
            // the instance holds one build at a time: build and run the non-EDMM enclave, then the EDMM one
            BuildReport sgx1 = step("building the non-EDMM enclave", () -> build(paths, false));
            RunStats run1 = step("running memtest in the non-EDMM enclave", () -> runWorkload(paths, workload));
            BuildReport sgx2 = step("building the EDMM enclave", () -> build(paths, true));
            print(sgx1, sgx2);
            RunStats run2 = step("running memtest in the EDMM enclave", () -> runWorkload(paths, workload));
            printRuns(workload, run1, run2);
        } finally {
            if (!keep) {
                EnclaveBuilder.deleteTree(dir);
            }
        }
        return 0;
    }

    /** The memtest arguments, after checking the two options (memtest would refuse them less clearly). */
    private List<String> workload() {
        long bytes;
        try {
            bytes = Sizes.parse(size);
        } catch (IllegalArgumentException e) {
            throw new UserError(UsageErrors.EXIT, "--size \"" + size + "\" " + e.getMessage() + ".");
        }
        if (bytes <= 0 || bytes > 512L << 20) {
            throw new UserError(UsageErrors.EXIT, "--size " + size + " is out of range: the workload"
                    + " must fit the 600MB user space of the example in Occlum's EDMM configuration guide beside the program's stack and heap; give 4KB to 512MB.");
        }
        double f;
        try {
            f = Double.parseDouble(touch);
        } catch (NumberFormatException e) {
            f = Double.NaN;
        }
        if (!(f >= 0 && f <= 1)) {
            throw new UserError(UsageErrors.EXIT, "--touch " + touch + " is not a fraction; give a number from 0 to 1, e.g. 0.25.");
        }
        return List.of("--size", size, "--touch", touch);
    }

    /** Boots the instance as just built on the default platform and runs memtest in it. */
    private RunStats runWorkload(InstancePaths paths, List<String> workload) throws IOException {
        BuiltEnclave built = BuiltEnclave.load(paths);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BootOptions options = BootOptions.defaults().withStdio(java.io.InputStream.nullInputStream(), out, cli.err)
                .withClocks(WaitClock.system(), cli.clock);
        try (LibOs os = LibOs.boot(built, options)) {
            os.kernel().onHeapExhausted(cli.heapExhausted);
            int status = os.run("/bin/memtest", workload);
            if (status != 0) {
                cli.err.print(out.toString(java.nio.charset.StandardCharsets.UTF_8));
                throw new UserError("the memtest workload failed in the " + (built.layout().edmm() ? "EDMM" : "non-EDMM")
                        + " enclave (status " + Wait.shellStatus(status) + "); see its output above.");
            }
            return os.stats();
        } catch (BootException e) {
            throw new UserError(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while running the workload.");
        }
    }

    private void printRuns(List<String> workload, RunStats a, RunStats b) {
        var o = cli.out;
        o.println();
        o.println("Run: /bin/memtest " + String.join(" ", workload) + " in each enclave, on the default simulated platform ("
                + b.platform() + ")");
        row(o, "", "non-EDMM build", "EDMM build");
        stat(o, a, b, "  simulated start-up", s -> RunStats.time(s.startupNanos()));
        stat(o, a, b, "  simulated whole run", s -> RunStats.time(s.runNanos()));
        for (CostEvent e : List.of(CostEvent.EADD, CostEvent.EEXTEND, CostEvent.EAUG, CostEvent.EACCEPT, CostEvent.PAGE_FAULT,
                CostEvent.EWB, CostEvent.ELDU)) {
            stat(o, a, b, "  " + (e == CostEvent.PAGE_FAULT ? "page faults" : e.name()), s -> String.format(Locale.ROOT, "%,d", s.count(e)));
        }
        stat(o, a, b, "  syscalls", s -> String.format(Locale.ROOT, "%,d", s.syscalls()));
        stat(o, a, b, "  EPC after start-up", s -> Sizes.human(s.committedAfterStartup()));
        stat(o, a, b, "  EPC at peak", s -> Sizes.human(s.committedPeak()));
        stat(o, a, b, "  EPC at exit", s -> Sizes.human(s.committedAtExit()));
        o.println();
        o.println(String.format(Locale.ROOT, "  Start-up is %.1fx faster with EDMM (%s vs %s simulated); the non-EDMM enclave"
                + " holds %s of EPC from the start,", a.startupNanos() / (double) Math.max(1, b.startupNanos()),
                RunStats.time(b.startupNanos()), RunStats.time(a.startupNanos()), Sizes.human(a.committedAfterStartup())));
        o.println("  the EDMM one " + Sizes.human(b.committedAfterStartup()) + ", growing to " + Sizes.human(b.committedPeak())
                + " as the workload touched memory (" + String.format(Locale.ROOT, "%,d", b.count(CostEvent.EAUG))
                + " pages added by EAUG) and giving " + Sizes.human(Math.max(0, b.committedPeak() - b.committedAtExit()))
                + " back when it unmapped.");
        o.println("  Details: jocclum run --stats inside an instance; docs/run.md.");
    }

    private static void stat(java.io.PrintStream o, RunStats a, RunStats b, String label, Function<RunStats, String> f) {
        row(o, label, f.apply(a), f.apply(b));
    }

    private BuildReport build(InstancePaths paths, boolean edmm) {
        return new InstanceBuild(cli, paths, new InstanceBuild.Options(BuildRequest.of(SgxMode.HW, edmm), true, null))
                .run();
    }

    /** One part of the demo, announced on stderr and timed, so a terminal shows progress as it goes. */
    private <T> T step(String what, IoSupplier<T> part) throws IOException {
        cli.err.print("jocclum demo: " + what + "...");
        cli.err.flush();
        long t0 = System.nanoTime();
        T r = part.get();
        cli.err.println(String.format(Locale.ROOT, " done (%.1f s)", (System.nanoTime() - t0) / 1e9));
        return r;
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    private void printHeader(Path dir) {
        var o = cli.out;
        o.println("jocclum demo: the example configuration of Occlum's EDMM configuration guide");
        o.println("(docs/edmm_config_guide.md in Occlum: its resource_limits and process in Occlum's template),");
        o.println("built once for a non-EDMM platform and once for an EDMM (SGX2) platform.");
        o.println(keep ? "Instance kept in " + dir : "Temporary instance " + dir + " (removed; --keep keeps it)");
        o.println();
        o.flush();
    }

    private void print(BuildReport a, BuildReport b) {
        var o = cli.out;
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
        o.println("    only Init is loaded with EDMM, so a small Init starts fast (the advice of "
                + "Occlum's EDMM configuration guide).");
        o.println("  Memory: without EDMM all " + Sizes.human(la.committedAtLoadBytes()) + " are committed at load,"
                + " used or not; with EDMM " + Sizes.human(lb.committedAtLoadBytes()) + " are,");
        o.println("    and up to " + Sizes.human(lb.onDemandBytes()) + " more is committed only when touched. The Max values"
                + " were raised to Occlum's");
        o.println("    defaults, so on EDMM a Max cannot cap physical memory ("
                + "Occlum's EDMM configuration guide, note 1).");
        o.println("  One Occlum.json serves both; keep its Max values moderate if it must also start without EDMM"
                + " ("
                + "Occlum's EDMM configuration guide, note 2).");
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
