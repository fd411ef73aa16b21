package io.jocclum.cli;

import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.replay.Replay;
import io.jocclum.libos.replay.ReplayRun;
import io.jocclum.libos.replay.TraceEvent;
import io.jocclum.sgx.cost.CostEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "replay", description = {
        "Replay a recorded program's memory system calls (strace output) in the instance's enclave.",
        "Input: strace -f -tt -T -o FILE PROGRAM (one file), or the NAME.PID files of strace -ff -tt. Each traced process"
                + " and thread becomes a guest process and thread; mmap, munmap, mremap, mprotect, brk, madvise, msync and shm"
                + " calls run through the LibOS in the trace's order. Exit 0 when everything that succeeded in the trace"
                + " succeeds in the enclave, 1 when the configuration is too small (the first failing call is shown), 2 for"
                + " input that cannot be read."})
final class ReplayCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(paramLabel = "TRACE", arity = "1..*", description = "The trace file(s).")
    List<Path> traces;

    @Option(names = "--instance", paramLabel = "DIR", description = "The instance whose Occlum.json is replayed (default: the current directory).")
    Path instance;

    @Option(names = "--edmm", negatable = true, description = "Replay in an EDMM build (--no-edmm: a non-EDMM build);"
            + " default: the instance's current build, or non-EDMM when it has none.")
    Boolean edmm;

    @Option(names = "--touch", paramLabel = "all|none|FRACTION", defaultValue = "all",
            description = "Which part of each new mapping the replay writes to, committing it (default ${DEFAULT-VALUE}).")
    String touch;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    ReplayCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        Replay.Touch t;
        try {
            t = Replay.Touch.parse(touch);
        } catch (IllegalArgumentException e) {
            throw new UserError(UsageErrors.EXIT, e.getMessage() + ".");
        }
        InstancePaths paths = Instance.at(instance == null ? cli.cwd : cli.resolve(instance));
        List<TraceEvent> events = Traces.read(cli, traces);
        Path work = Traces.workDir(d -> { });
        try {
            BuiltEnclave built = buildFor(paths, work);
            ReplayRun.Outcome o = Traces.replay(cli, built, events, t);
            if (json) {
                cli.out.println(json(o));
            } else {
                report(o).forEach(cli.out::println);
            }
            return o.fits() ? 0 : UserError.FAILURE;
        } finally {
            Traces.delete(work);
        }
    }

    private BuiltEnclave buildFor(InstancePaths paths, Path work) {
        boolean built = Files.exists(paths.sigStruct());
        if (built && edmm == null) {
            try {
                return BuiltEnclave.load(paths);
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new UserError("the build of " + paths.root() + " cannot be read (" + e.getMessage() + "); run jocclum build.");
            }
        }
        byte[] json;
        try {
            json = Files.readAllBytes(paths.occlumJson());
        } catch (java.io.IOException e) {
            throw Instance.io("cannot read " + paths.occlumJson(), e);
        }
        return Traces.build(cli, paths, json, edmm != null && edmm, work);
    }

    static List<String> report(ReplayRun.Outcome o) {
        Replay.Result r = o.result();
        List<String> l = new java.util.ArrayList<>();
        l.add((o.stats().builtForEdmm() ? "EDMM" : "non-EDMM") + " build; " + r.processes().size() + " process(es) replayed,"
                + " at most " + r.peakProcesses() + " at once");
        l.add(String.format(Locale.ROOT, "  %-10s %14s %12s %8s %14s", "pid", "peak mapped", "peak brk", "threads",
                "kernel heap"));
        for (Replay.ProcessPeak p : r.processes()) {
            l.add(String.format(Locale.ROOT, "  %-10d %14s %12s %8d %14s", p.pid(), Sizes.human(p.peakMappedBytes()),
                    Sizes.human(p.peakBrkBytes()), p.peakThreads(), Sizes.human(p.peakKernelHeapBytes())));
        }
        l.add("  total: peak mapped " + Sizes.human(r.peakMappedBytes()) + ", peak threads " + r.peakThreads());
        Replay.KernelHeapUse k = r.kernelHeap();
        l.add("  kernel heap (estimated, docs/config.md): peak " + Sizes.human(k.peak()) + " of " + Sizes.human(k.limit())
                + ", " + Sizes.human(k.atStart()) + " when the first process started (the LibOS's own state, the mounts'"
                + " caches and that process)");
        var s = o.stats();
        l.add(String.format(Locale.ROOT, "Enclave: simulated start-up %s; EPC %s after start-up, %s at peak; EAUG %,d,"
                        + " EACCEPT %,d, trims (EMODT) %,d, EWB %,d", io.jocclum.libos.boot.RunStats.time(s.startupNanos()),
                Sizes.human(s.committedAfterStartup()), Sizes.human(s.committedPeak()), s.count(CostEvent.EAUG),
                s.count(CostEvent.EACCEPT), s.count(CostEvent.EMODT), s.count(CostEvent.EWB)));
        l.add("Replayed: " + summary(r.replayed()) + (r.skipped().isEmpty() ? "" : "; skipped: " + summary(r.skipped())));
        if (r.failure() != null) {
            Replay.Failure f = r.failure();
            l.add("TOO SMALL: line " + f.line() + " (thread " + f.tid() + "): " + f.call() + " succeeded in the trace but"
                    + " failed in the enclave with " + f.errno() + "; the limit: " + f.limit() + ".");
        } else {
            l.add("Fits: every call that succeeded in the trace succeeded in the enclave.");
        }
        return l;
    }

    private static String summary(Map<String, Integer> m) {
        return m.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(8)
                .map(e -> e.getKey() + " " + e.getValue()).reduce((a, b) -> a + ", " + b).orElse("none")
                + (m.size() > 8 ? ", …" : "");
    }

    static String json(ReplayRun.Outcome o) {
        JsonMapper m = JsonMapper.builder().build();
        ObjectNode root = m.createObjectNode();
        Replay.Result r = o.result();
        root.put("fits", o.fits());
        root.put("edmm", o.stats().builtForEdmm());
        root.put("peak_mapped_bytes", r.peakMappedBytes());
        root.put("peak_threads", r.peakThreads());
        root.put("peak_processes", r.peakProcesses());
        root.putObject("kernel_heap").put("peak_bytes", r.kernelHeap().peak()).put("at_start_bytes", r.kernelHeap().atStart())
                .put("limit_bytes", r.kernelHeap().limit());
        var ps = root.putArray("processes");
        for (Replay.ProcessPeak p : r.processes()) {
            ps.addObject().put("pid", p.pid()).put("peak_mapped_bytes", p.peakMappedBytes())
                    .put("peak_brk_bytes", p.peakBrkBytes()).put("peak_threads", p.peakThreads())
                    .put("peak_kernel_heap_bytes", p.peakKernelHeapBytes());
        }
        root.put("startup_seconds", o.stats().startupNanos() / 1e9);
        root.put("epc_after_startup_bytes", o.stats().committedAfterStartup());
        root.put("epc_peak_bytes", o.stats().committedPeak());
        root.put("eaug", o.stats().count(CostEvent.EAUG));
        root.put("emodt", o.stats().count(CostEvent.EMODT));
        var rep = root.putObject("replayed");
        r.replayed().forEach(rep::put);
        var sk = root.putObject("skipped");
        r.skipped().forEach(sk::put);
        if (r.failure() != null) {
            root.putObject("failure").put("line", r.failure().line()).put("tid", r.failure().tid())
                    .put("call", r.failure().call()).put("errno", r.failure().errno()).put("limit", r.failure().limit());
        }
        return m.writeValueAsString(root);
    }
}
