package io.jocclum.bench.harness;

import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a comparison may use: JMH runs (median of the measurement iterations), native anchors,
 * the quick flag and the output stream.
 */
public final class BenchContext {
    private final boolean quick;
    private final PrintStream out;
    private final NativeAnchors natives;

    public BenchContext(boolean quick, PrintStream out) {
        this.quick = quick;
        this.out = out;
        this.natives = new NativeAnchors(out);
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

    /** Runs a set of JMH benchmark methods in one JMH run; see {@link JmhRun}. */
    public JmhRun jmh() {
        return new JmhRun();
    }

    /** Builder for one JMH run; {@link #run()} returns the median score of each benchmark method. */
    public final class JmhRun {
        private final List<String> includes = new ArrayList<>();
        private final Map<String, String[]> params = new HashMap<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private int forks = 1;
        private Integer threads;

        /** Adds {@code Class.method} (exact) to the run. */
        public JmhRun include(Class<?> benchClass, String method) {
            includes.add("^" + benchClass.getName().replace(".", "\\.").replace("$", "\\$") + "\\." + method + "$");
            return this;
        }

        public JmhRun param(String name, String... values) {
            params.put(name, values);
            return this;
        }

        public JmhRun jvmArgs(String... args) {
            jvmArgs.addAll(Arrays.asList(args));
            return this;
        }

        public JmhRun forks(int n) {
            forks = n;
            return this;
        }

        public JmhRun threads(int n) {
            threads = n;
            return this;
        }

        /**
         * Runs and returns the median of the measurement iterations per "method[params]" key
         * ("method" alone when there are no params), in the benchmark's own unit.
         */
        public Map<String, Figure> run() throws RunnerException {
            ChainedOptionsBuilder b = new OptionsBuilder()
                    .forks(quick ? Math.min(1, forks) : forks)
                    .warmupIterations(quick ? 1 : 3)
                    .warmupTime(TimeValue.milliseconds(quick ? 300 : 1000))
                    .measurementIterations(quick ? 3 : 5)
                    .measurementTime(TimeValue.milliseconds(quick ? 300 : 1000))
                    .shouldFailOnError(true)
                    .jvmArgsAppend(jvmArgs.toArray(String[]::new))
                    .jvmArgsAppend("--enable-native-access=ALL-UNNAMED");
            String javaExe = System.getProperty("jocclum.java");
            if (javaExe != null) {
                b.jvm(javaExe);
            }
            for (String inc : includes) {
                b.include(inc);
            }
            params.forEach(b::param);
            if (threads != null) {
                b.threads(threads);
            }
            Collection<RunResult> results = new Runner(b.build()).run();
            Map<String, Figure> out = new HashMap<>();
            for (RunResult rr : results) {
                String label = rr.getParams().getBenchmark();
                label = label.substring(label.lastIndexOf('.') + 1);
                List<String> ps = new ArrayList<>();
                for (String k : rr.getParams().getParamsKeys()) {
                    ps.add(k + "=" + rr.getParams().getParam(k));
                }
                if (!ps.isEmpty()) {
                    label += ps.toString();
                }
                out.put(label, median(rr));
            }
            return out;
        }
    }

    static Figure median(RunResult rr) {
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult br : rr.getBenchmarkResults()) {
            for (IterationResult ir : br.getIterationResults()) {
                scores.add(ir.getPrimaryResult().getScore());
            }
        }
        double[] s = scores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double med = s.length == 0 ? Double.NaN : (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2);
        String unit = rr.getPrimaryResult().getScoreUnit();
        boolean higher = unit.startsWith("ops/") || unit.contains("/s") && !unit.startsWith("s/");
        return new Figure(med, unit, higher);
    }

    /** Median of a sample. */
    public static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Closes resources such as compiled native anchors. */
    void close() throws IOException {
        natives.close();
    }
}
