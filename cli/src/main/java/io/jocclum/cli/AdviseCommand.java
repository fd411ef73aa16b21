package io.jocclum.cli;

import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.ResourceLimits;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.replay.Replay;
import io.jocclum.libos.replay.ReplayRun;
import io.jocclum.libos.replay.TraceEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Command(name = "advise", description = {
        "Recommend Occlum.json sizes for a recorded workload (strace output), for an EDMM and a non-EDMM build.",
        "It replays the trace in builds of the instance: first with room to spare to measure the peaks, then with the"
                + " recommendation, which must replay without a failure. --write patches Occlum.json in place, keeping"
                + " its comments and layout."})
final class AdviseCommand implements Callable<Integer> {
    private static final long MB = 1 << 20;
    private final Cli cli;

    @Parameters(paramLabel = "TRACE", arity = "1..*", description = "The trace file(s), as for replay.")
    List<Path> traces;

    @Option(names = "--instance", paramLabel = "DIR", description = "The instance to advise (default: the current directory).")
    Path instance;

    @Option(names = "--margin", paramLabel = "PERCENT", defaultValue = "20%",
            description = "Headroom added to each measured peak (default ${DEFAULT-VALUE}).")
    String margin;

    @Option(names = "--write", description = "Write the recommendation into the instance's Occlum.json.")
    boolean write;

    /** The kernel heap advice, once the first replay measured it. */
    private KernelHeapAdvice kernelHeap;

    AdviseCommand(Cli cli) {
        this.cli = cli;
    }

    private static final long PAGE = 4096;

    /** One recommended value, with why; a size is rounded up to {@code granule} bytes. */
    record Advice(String section, String key, long bytes, boolean size, String why, long granule) {
        Advice(String section, String key, long bytes, boolean size, String why) {
            this(section, key, bytes, size, why, MB);
        }

        String value() {
            return size ? Sizes.format(roundUp(bytes, granule)) : Long.toString(bytes);
        }
    }

    private static long roundUp(long b, long granule) {
        return (b + granule - 1) / granule * granule;
    }

    /**
     * The kernel heap the advice gives: Init (what was in use when the first process started) and Max
     * (the peak), each with the margin, plus one thread: an ending thread's objects are freed by its
     * own teardown, which may still be under way when the next call creates objects, so two replays
     * may peak that much apart.
     */
    record KernelHeapAdvice(long init, long max, Replay.KernelHeapUse use, boolean initKept, boolean maxKept) {
        /**
         * Never below the instance's own values ({@code currentInit}, {@code currentMax}): the account
         * covers the trace's objects over an assumed floor for the LibOS itself, and Occlum's own needs
         * (its boot, its file-system caches) do not show in a trace, so the advice only raises.
         */
        static KernelHeapAdvice of(Replay.KernelHeapUse use, double m, long currentInit, long currentMax) {
            long slack = KernelHeap.Kind.THREAD.bytes();
            long needMax = roundUp(Math.round(use.peak() * (1 + m)) + slack, PAGE);
            long needInit = Math.min(needMax, roundUp(Math.round(use.atStart() * (1 + m)) + slack, PAGE));
            long init = Math.max(needInit, currentInit);
            long max = Math.max(Math.max(needMax, currentMax), init);
            return new KernelHeapAdvice(init, max, use, init > needInit, max > needMax);
        }
    }

    private static final String KEPT = "; the instance's larger value is kept: advise never lowers the kernel heap,"
            + " because Occlum's own use of it (boot, file-system caches) does not show in a trace";

    @Override
    public Integer call() {
        double m = margin();
        InstancePaths paths = Instance.at(instance == null ? cli.cwd : cli.resolve(instance));
        List<TraceEvent> events = Traces.read(cli, traces);
        byte[] json = read(paths.occlumJson());
        String text = new String(json, StandardCharsets.UTF_8);
        Path work = Traces.workDir(d -> { });
        try {
            // 1. measure: an EDMM build whose user space and threads have room to spare
            ResourceLimits limits = OcclumJson.parse(json, "Occlum.json").config().resourceLimits();
            String roomy = patch(text, List.of(new Advice("resource_limits", "user_space_max_size", 64L << 30, true, ""),
                    new Advice("resource_limits", "kernel_space_heap_max_size", 1L << 30, true, ""),
                    new Advice("resource_limits", "max_num_of_threads", 4096, false, ""),
                    new Advice("process", "default_heap_size", 1L << 30, true, "")));
            ReplayRun.Outcome measured = Traces.replay(cli, Traces.build(cli, paths, bytes(roomy), true, work), events,
                    Replay.Touch.parse("none"));
            if (!measured.fits()) {
                Replay.Failure f = measured.result().failure();
                throw new UserError("the trace does not replay even with 64GB of user space and 4096 threads: line " + f.line()
                        + ", " + f.call() + " failed with " + f.errno() + " (" + f.limit() + ").");
            }
            Replay.Result r = measured.result();
            kernelHeap = KernelHeapAdvice.of(r.kernelHeap(), m, limits.kernelSpaceHeapSize(),
                    limits.kernelSpaceHeapMaxSize().orElse(limits.kernelSpaceHeapSize()));
            long brk = r.processes().stream().mapToLong(Replay.ProcessPeak::peakBrkBytes).max().orElse(0);
            long heap = Math.max(MB, Math.round(brk * (1 + m)));
            int threads = (int) Math.max(2, Math.ceil(r.peakThreads() * (1 + m)));
            // 2. the user space: the peak of the mappings plus each process's image, heap and stack, found by
            //    replaying a non-EDMM build (whose user space is exactly user_space_size) and growing it until it fits
            // the smallest fitting size to the MB: grow from the peak of the mappings until a replay fits, then halve
            long lo = Math.max(MB, r.peakMappedBytes() / MB * MB);
            long hi = lo + r.peakProcesses() * heap + 8 * MB;
            ReplayRun.Outcome plain = replayPlain(paths, text, hi, heap, threads, r, brk, events, work);
            while (!plain.fits()) {
                if (hi > (1L << 40)) {
                    throw new UserError("no user space up to 1TB replays the trace without a failure; see jocclum replay.");
                }
                lo = hi;
                hi = hi * 2;
                plain = replayPlain(paths, text, hi, heap, threads, r, brk, events, work);
            }
            while (hi - lo > MB) {
                long mid = (lo + hi) / 2 / MB * MB;
                if (replayPlain(paths, text, mid, heap, threads, r, brk, events, work).fits()) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            long user = (Math.round(hi * (1 + m)) + MB - 1) / MB * MB;
            plain = replayPlain(paths, text, user, heap, threads, r, brk, events, work);
            List<Advice> advice = advice(user, heap, threads, r, m, brk);
            String patched = patch(text, advice);
            ReplayRun.Outcome edmm = Traces.replay(cli, Traces.build(cli, paths, bytes(patched), true, work), events,
                    Replay.Touch.parse("all"));
            print(advice, plain, edmm, m);
            if (write) {
                writeAtomically(paths.occlumJson(), bytes(patched));
                cli.out.println("Wrote " + paths.occlumJson() + " (comments and layout kept); run jocclum build.");
            }
            return 0;
        } finally {
            Traces.delete(work);
        }
    }

    private ReplayRun.Outcome replayPlain(InstancePaths paths, String text, long user, long heap, int threads,
            Replay.Result r, long brk, List<TraceEvent> events, Path work) {
        String patched = patch(text, advice(user, heap, threads, r, 0, brk));
        return Traces.replay(cli, Traces.build(cli, paths, bytes(patched), false, work), events, Replay.Touch.parse("none"));
    }

    private List<Advice> advice(long user, long heap, int threads, Replay.Result r, double m, long brk) {
        String pct = String.format(Locale.ROOT, "%.0f%%", m * 100);
        Replay.KernelHeapUse k = kernelHeap.use();
        return List.of(
                new Advice("resource_limits", "kernel_space_heap_size", kernelHeap.init(), true, "kernel heap in use when"
                        + " the first process started " + Sizes.human(k.atStart()) + " (the LibOS's own state, the mounts'"
                        + " caches, that process) + " + pct + " + one thread; EDMM: the Init committed at"
                        + " load, the rest is committed (EAUG) as the kernel heap grows; non-EDMM: unused, the Max below"
                        + " is the static heap" + (kernelHeap.initKept() ? KEPT : ""), PAGE),
                new Advice("resource_limits", "kernel_space_heap_max_size", kernelHeap.max(), true, "peak of the kernel"
                        + " heap " + Sizes.human(k.peak()) + " (estimated: the LibOS's own state and the trace's processes,"
                        + " threads, open files, pipes, sockets, epoll items and VMAs) + " + pct + " + one thread;"
                        + " non-EDMM: the static kernel heap; EDMM: the Max (the build raises it to 1GB)"
                        + (kernelHeap.maxKept() ? KEPT : ""), PAGE),
                new Advice("resource_limits", "user_space_size", user, true, "peak of the mappings "
                        + Sizes.human(r.peakMappedBytes()) + " + " + pct + ", plus image, heap and stack of "
                        + r.peakProcesses() + " process(es) at once; the smallest such size a non-EDMM replay fits in"),
                new Advice("resource_limits", "user_space_max_size", user, true, "as user_space_size: with EDMM only"
                        + " Init is committed at start, the rest when touched"),
                new Advice("resource_limits", "max_num_of_threads", threads, false, "peak of " + r.peakThreads()
                        + " threads at once + " + pct),
                new Advice("process", "default_heap_size", heap, true, "largest brk heap " + Sizes.human(brk) + " + " + pct));
    }

    private void print(List<Advice> advice, ReplayRun.Outcome plain, ReplayRun.Outcome edmm, double m) {
        var o = cli.out;
        o.println("Recommended for this workload (margin " + String.format(Locale.ROOT, "%.0f%%", m * 100) + "):");
        for (Advice a : advice) {
            o.println(String.format(Locale.ROOT, "  %-42s %-8s %s", a.section() + "." + a.key(), a.value(), a.why()));
        }
        o.println("  the stack sizes are kept: a trace of system calls does not show them.");
        o.println(String.format(Locale.ROOT, "%-24s %-22s %s", "", "non-EDMM build", "EDMM build"));
        o.println(String.format(Locale.ROOT, "%-24s %-22s %s", "simulated start-up",
                io.jocclum.libos.boot.RunStats.time(plain.stats().startupNanos()),
                io.jocclum.libos.boot.RunStats.time(edmm.stats().startupNanos())));
        o.println(String.format(Locale.ROOT, "%-24s %-22s %s", "EPC after start-up",
                Sizes.human(plain.stats().committedAfterStartup()), Sizes.human(edmm.stats().committedAfterStartup())));
        o.println(String.format(Locale.ROOT, "%-24s %-22s %s", "replay under the advice", plain.fits() ? "fits" : "FAILS",
                edmm.fits() ? "fits" : "FAILS"));
    }

    private double margin() {
        String s = margin.strip();
        String n = s.endsWith("%") ? s.substring(0, s.length() - 1) : s;
        double v;
        try {
            v = Double.parseDouble(n);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (!(v >= 0 && v <= 1000)) {
            throw new UserError(UsageErrors.EXIT, "--margin " + margin + " is not a percentage from 0% to 1000%, e.g. 20%.");
        }
        return v / 100;
    }

    private static final Pattern SECTION = Pattern.compile("\"(resource_limits|process)\"\\s*:\\s*\\{");

    /**
     * {@code text} with each advised key's value replaced where it stands (or added at the start of its
     * section), so comments, order and spacing stay as the user wrote them.
     */
    static String patch(String text, List<Advice> advice) {
        String out = text;
        for (Advice a : advice) {
            int[] body = section(out, a.section());
            if (body == null) {
                throw new UserError("Occlum.json has no \"" + a.section() + "\" section to put " + a.key() + " in.");
            }
            String value = a.size() ? "\"" + a.value() + "\"" : a.value();
            Matcher m = Pattern.compile("(\"" + Pattern.quote(a.key()) + "\"\\s*:\\s*)(\"[^\"]*\"|\\d+)")
                    .matcher(out).region(body[0], body[1]);
            if (m.find()) {
                out = out.substring(0, m.start(2)) + value + out.substring(m.end(2));
            } else {
                out = out.substring(0, body[0]) + "\n        \"" + a.key() + "\": " + value + "," + out.substring(body[0]);
            }
        }
        return out;
    }

    /** [start, end) of the object body of {@code name} (after its '{', before its '}'), skipping strings and comments. */
    private static int[] section(String s, String name) {
        Matcher m = SECTION.matcher(s);
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            int depth = 1;
            for (int i = m.end(); i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"') {
                    for (i++; i < s.length() && s.charAt(i) != '"'; i++) {
                        if (s.charAt(i) == '\\') {
                            i++;
                        }
                    }
                } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
                    i = s.indexOf('\n', i) < 0 ? s.length() : s.indexOf('\n', i);
                } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                    i = s.indexOf("*/", i) < 0 ? s.length() : s.indexOf("*/", i) + 1;
                } else if (c == '{') {
                    depth++;
                } else if (c == '}' && --depth == 0) {
                    return new int[] {m.end(), i};
                }
            }
        }
        return null;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw Instance.io("cannot read " + p, e);
        }
    }

    private static void writeAtomically(Path target, byte[] content) {
        try {
            Path tmp = Files.createTempFile(target.getParent(), ".Occlum.json", ".tmp");
            Files.write(tmp, content);
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw Instance.io("cannot write " + target + " (it is unchanged)", e);
        }
    }

    /** For tests: the advice as key → value text. */
    static Map<String, String> values(List<Advice> advice) {
        Map<String, String> m = new LinkedHashMap<>();
        advice.forEach(a -> m.put(a.section() + "." + a.key(), a.value()));
        return m;
    }
}
