package io.jocclum.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a comparison may use: interleaved runs of JMH-annotated benchmark methods and native
 * anchors ({@link #jmh()}), stand-alone native anchors, the quick flag, the output stream.
 *
 * <p>Methodology of {@link JmhRun}: every side of a run (each benchmark method with each parameter
 * combination, and each native anchor) runs in the same forked JVM, in rounds A, B, A, B, ...;
 * after a warm-up in the same alternation that lasts until every side's score settled, each
 * measurement round gives one score per side. Several forks run one after the other. A side's
 * figure is the median of its rounds; a comparison's speedup is the median of the per-round
 * ratios, printed with their min-max.
 */
public final class BenchContext {
    /**
     * How long and how often: forks, measured rounds per fork, milliseconds per round and side,
     * warm-up rounds (at least {@code warmMin}, at most {@code warmMax}, {@code warmMs} each).
     */
    public record Settings(int forks, int rounds, long roundMs, long warmMs, int warmMin, int warmMax) {
        public static final Settings QUICK = new Settings(2, 5, 250, 250, 6, 16);
        public static final Settings FULL = new Settings(3, 10, 1000, 1000, 5, 15);
    }

    private final boolean quick;
    private final PrintStream out;
    private final NativeAnchors natives;
    private final Settings settings;
    private final List<NativeReport> reports = new ArrayList<>();

    public BenchContext(boolean quick, PrintStream out) {
        this(quick ? Settings.QUICK : Settings.FULL, quick, out);
    }

    BenchContext(Settings settings, boolean quick, PrintStream out) {
        this.quick = quick;
        this.out = out;
        this.settings = settings;
        this.natives = new NativeAnchors(reports::add);
    }

    public boolean quick() {
        return quick;
    }

    public PrintStream out() {
        return out;
    }

    public NativeAnchors natives() {
        return natives;
    }

    public Settings settings() {
        return settings;
    }

    /** The native anchors' reports since the last call (the harness prints them with the comparison). */
    public List<NativeReport> takeNativeReports() {
        List<NativeReport> r = List.copyOf(reports);
        reports.clear();
        return r;
    }

    /** An interleaved run of benchmark methods and native anchors; see {@link JmhRun}. */
    public JmhRun jmh() {
        return new JmhRun();
    }

    /**
     * Builder for one interleaved run. {@link #run()} returns, per side, the median of its rounds
     * with the rounds attached: {@code method} or {@code method[param=value, ...]} for benchmark
     * methods (as JMH labels them), the figure names a native anchor prints for native anchors.
     */
    public final class JmhRun {
        private final List<Class<?>> classes = new ArrayList<>();
        private final List<String> methods = new ArrayList<>();
        private final Map<String, List<String>> params = new HashMap<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<List<String>> nativeAnchors = new ArrayList<>();
        private int forks = 1;
        private boolean pin;
        private long roundMs;
        private int warmMin = -1;
        private int warmMax = -1;

        /** Adds the {@code @Benchmark} method {@code method} of {@code benchClass} (exact name) to the run. */
        public JmhRun include(Class<?> benchClass, String method) {
            classes.add(benchClass);
            methods.add(method);
            return this;
        }

        /** Values of a {@code @Param} field (overrides its declared values). */
        public JmhRun param(String name, String... values) {
            params.put(name, List.of(values));
            return this;
        }

        public JmhRun jvmArgs(String... args) {
            jvmArgs.addAll(Arrays.asList(args));
            return this;
        }

        /** Forks wanted; the run uses at least the mode's minimum (3 in full mode, 2 in quick mode). */
        public JmhRun forks(int n) {
            forks = n;
            return this;
        }

        /** Only one measuring thread is supported (a benchmark may start its own threads). */
        public JmhRun threads(int n) {
            if (n != 1) {
                throw new IllegalArgumentException("the interleaved runner measures on one thread, not " + n);
            }
            return this;
        }

        /**
         * Runs every fork under {@code taskset -c 0} when {@code pinned} (and taskset exists): the
         * JVM, its virtual-thread scheduler and every native anchor it starts see one CPU.
         */
        public JmhRun pinCpu0(boolean pinned) {
            pin = pinned;
            return this;
        }

        /** Adds the native anchor {@code native/NAME.c} (run with {@code args}) as a side of every round. */
        public JmhRun nativeAnchor(String name, String... args) {
            List<String> a = new ArrayList<>();
            a.add(name);
            a.addAll(Arrays.asList(args));
            nativeAnchors.add(a);
            return this;
        }

        /** Milliseconds per round and side instead of the mode's default (for benchmarks whose one call is long). */
        public JmhRun roundMillis(long ms) {
            roundMs = ms;
            return this;
        }

        /**
         * Warm-up rounds instead of the mode's (at least {@code min}, at most {@code max}): for
         * benchmarks of something cold, whose first call is what is measured.
         */
        public JmhRun warmupRounds(int min, int max) {
            if (min < 0 || max < min) {
                throw new IllegalArgumentException("warm-up rounds " + min + ".." + max);
            }
            warmMin = min;
            warmMax = max;
            return this;
        }

        /** The Java sides of the run, in order: each included method with each parameter combination. */
        List<ForkMain.SideSpec> sides() {
            List<ForkMain.SideSpec> sides = new ArrayList<>();
            for (int i = 0; i < classes.size(); i++) {
                BenchMethod bm = BenchMethod.of(classes.get(i), methods.get(i));
                for (Map<String, String> p : bm.combinations(params)) {
                    sides.add(new ForkMain.SideSpec(bm.label(p), classes.get(i).getName(), methods.get(i), p));
                }
            }
            return sides;
        }

        public Map<String, Figure> run() throws IOException, InterruptedException {
            List<List<String>> natives = new ArrayList<>();
            for (List<String> n : nativeAnchors) {
                List<String> cmd = new ArrayList<>();
                cmd.add(BenchContext.this.natives.compile(n.getFirst()).toString());
                cmd.addAll(n.subList(1, n.size()));
                natives.add(cmd);
            }
            long ms = roundMs > 0 ? roundMs : settings.roundMs();
            ForkMain.Spec spec = new ForkMain.Spec(settings.rounds(), ms, Math.max(ms, settings.warmMs()),
                    warmMin >= 0 ? warmMin : settings.warmMin(), warmMax >= 0 ? warmMax : settings.warmMax(), sides(), natives);
            int n = Math.max(forks, settings.forks());
            ForkOutput all = new ForkOutput();
            for (int f = 0; f < n; f++) {
                ForkOutput one = fork(spec, f, n);
                all.add(one);
                out.println("# fork " + (f + 1) + " of " + n + ": " + one.summary());
                out.flush();
            }
            Map<String, Double> cpu = all.cpuNsPerOp();
            if (!cpu.isEmpty()) {
                List<String> s = new ArrayList<>();
                cpu.forEach((k, v) -> s.add(k + " " + BenchFormat.number(v) + " ns"));
                out.println("# CPU time of the whole JVM per operation (all its threads; median of the rounds): " + String.join(", ", s));
            }
            return all.figures(reports::add);
        }

        private ForkOutput fork(ForkMain.Spec spec, int index, int count) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            if (pin && NativeAnchors.canPin()) {
                cmd.addAll(List.of("taskset", "-c", "0"));
            }
            cmd.addAll(javaCommand(jvmArgs, ForkMain.class, spec.toArgs()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            ForkOutput o = new ForkOutput();
            Deque<String> tail = new ArrayDeque<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (!o.accept(line)) {
                        tail.addLast(line);
                        if (tail.size() > 40) {
                            tail.removeFirst();
                        }
                    }
                }
            }
            int status = p.waitFor();
            if (status != 0 || o.error != null) {
                throw new IOException("fork " + (index + 1) + " of " + count + " failed (status " + status + ")"
                        + (o.error == null ? "" : ": " + o.error) + (tail.isEmpty() ? "" : "\n" + String.join("\n", tail)));
            }
            return o;
        }
    }

    /**
     * The command that runs {@code main} in a new JVM of the benchmarks' Java (the system property
     * {@code jocclum.java}, else this JVM's executable) with the benchmarks' class path, the JVM
     * options of the system property {@code jocclum.fork.jvmargs} (space-separated; bin/bench passes
     * the launcher's heap page setting) and then {@code jvmArgs}.
     */
    public static List<String> javaCommand(List<String> jvmArgs, Class<?> main, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        for (String a : System.getProperty("jocclum.fork.jvmargs", "").trim().split("\\s+")) {
            if (!a.isEmpty()) {
                cmd.add(a);
            }
        }
        cmd.addAll(jvmArgs);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        return cmd;
    }

    static String javaExecutable() {
        String java = System.getProperty("jocclum.java");
        if (java == null) {
            java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        }
        return java;
    }

    /** The protocol lines of one or more forks, pooled. */
    static final class ForkOutput {
        final Map<String, List<Double>> rounds = new LinkedHashMap<>();
        final Map<String, String> units = new HashMap<>();
        final Map<String, Boolean> higher = new HashMap<>();
        final Map<String, Double> entries = new HashMap<>();
        final Map<String, List<Double>> nullSyscall = new HashMap<>();
        final Map<String, List<Double>> cpu = new LinkedHashMap<>();
        final java.util.Set<String> javaSides = new java.util.HashSet<>();
        String error;

        /** Takes one line of a fork's output; false when it is not a protocol line. */
        boolean accept(String line) {
            if (!line.startsWith(ForkMain.PREFIX)) {
                return false;
            }
            String[] f = line.substring(ForkMain.PREFIX.length()).split(" ");
            switch (f[0]) {
                case "side" -> {
                    javaSides.add(f[1]);
                    units.put(f[1], f[2]);
                    higher.put(f[1], Boolean.parseBoolean(f[3]));
                }
                case "round" -> {
                    rounds.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[3]));
                    units.putIfAbsent(f[1], f[4]);
                    higher.putIfAbsent(f[1], f[4].endsWith("/s"));
                }
                case "entries" -> entries.put(f[1], Double.parseDouble(f[2]));
                case "cpu" -> cpu.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[3]));
                case "null-syscall" -> nullSyscall.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[3]));
                case "error" -> error = line.substring(ForkMain.PREFIX.length() + "error ".length());
                default -> {
                    // a warm-up score: not a result
                }
            }
            return true;
        }

        void add(ForkOutput o) {
            o.rounds.forEach((k, v) -> rounds.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            units.putAll(o.units);
            higher.putAll(o.higher);
            entries.putAll(o.entries);
            o.nullSyscall.forEach((k, v) -> nullSyscall.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            o.cpu.forEach((k, v) -> cpu.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            javaSides.addAll(o.javaSides);
        }

        String summary() {
            List<String> s = new ArrayList<>();
            rounds.forEach((k, v) -> s.add(k + " " + BenchFormat.number(Rounds.median(toArray(v))) + " " + units.get(k)));
            return String.join(", ", s) + " (median of " + rounds.values().stream().mapToInt(List::size).max().orElse(0) + " rounds)";
        }

        Map<String, Figure> figures(java.util.function.Consumer<NativeReport> reports) {
            Map<String, Figure> out = new LinkedHashMap<>();
            rounds.forEach((k, v) -> out.put(k, Figure.ofRounds(toArray(v), units.get(k), higher.get(k))));
            for (Map.Entry<String, Figure> e : out.entrySet()) {
                List<Double> nul = nullSyscall.get(e.getKey());
                if (!javaSides.contains(e.getKey()) && nul != null) {
                    reports.accept(NativeReport.of(e.getKey(), e.getValue(), toArray(nul), entries.getOrDefault(e.getKey(), Double.NaN)));
                }
            }
            return out;
        }

        /** Per Java side, the JVM's CPU time per operation (median over the rounds, ns), when known. */
        Map<String, Double> cpuNsPerOp() {
            Map<String, Double> m = new LinkedHashMap<>();
            cpu.forEach((k, v) -> {
                double[] a = v.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).toArray();
                if (a.length > 0) {
                    m.put(k, Rounds.median(a));
                }
            });
            return m;
        }

        private static double[] toArray(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** Median of a sample. */
    public static double median(double[] values) {
        return Rounds.median(values);
    }

    /** Closes resources such as compiled native anchors. */
    void close() throws IOException {
        natives.close();
    }
}
