package io.jocclum.bench.harness;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A JMH-annotated benchmark method as the interleaving runner uses it: its state classes (the
 * benchmark class itself for an instance method, then the {@code @State} parameters), their
 * {@code @Param} fields, the mode ({@link Mode#Throughput} or {@link Mode#AverageTime}), the
 * output time unit and {@code @OperationsPerInvocation}. The JMH annotations keep their meaning;
 * {@code @Fork}, {@code @Warmup} and {@code @Measurement} are ignored (the runner decides).
 */
final class BenchMethod {
    final Class<?> benchClass;
    final Method method;
    /** The receiver's class first (for an instance method), then the parameters' state classes; null for a Blackhole parameter. */
    final List<Class<?>> states;
    final Mode mode;
    final TimeUnit unit;
    final int opsPerInvocation;

    private BenchMethod(Class<?> benchClass, Method method) {
        this.benchClass = benchClass;
        this.method = method;
        List<Class<?>> s = new ArrayList<>();
        if (!Modifier.isStatic(method.getModifiers())) {
            s.add(benchClass);
        }
        for (Class<?> p : method.getParameterTypes()) {
            if (p == Blackhole.class) {
                s.add(null);
            } else if (p.isAnnotationPresent(State.class)) {
                s.add(p);
            } else {
                throw new IllegalArgumentException(benchClass.getName() + "." + method.getName() + ": parameter " + p.getName()
                        + " is neither a @State class nor a Blackhole");
            }
        }
        this.states = java.util.Collections.unmodifiableList(s);
        BenchmarkMode bm = method.isAnnotationPresent(BenchmarkMode.class) ? method.getAnnotation(BenchmarkMode.class)
                : benchClass.getAnnotation(BenchmarkMode.class);
        Mode m = bm == null ? Mode.Throughput : bm.value()[0];
        if (m != Mode.Throughput && m != Mode.AverageTime) {
            throw new IllegalArgumentException(benchClass.getName() + "." + method.getName() + ": mode " + m
                    + " is not supported (Throughput or AverageTime)");
        }
        this.mode = m;
        OutputTimeUnit ou = method.isAnnotationPresent(OutputTimeUnit.class) ? method.getAnnotation(OutputTimeUnit.class)
                : benchClass.getAnnotation(OutputTimeUnit.class);
        this.unit = ou == null ? TimeUnit.SECONDS : ou.value();
        OperationsPerInvocation op = method.isAnnotationPresent(OperationsPerInvocation.class)
                ? method.getAnnotation(OperationsPerInvocation.class) : benchClass.getAnnotation(OperationsPerInvocation.class);
        this.opsPerInvocation = op == null ? 1 : op.value();
    }

    /** The {@code @Benchmark} method {@code name} of {@code benchClass}. */
    static BenchMethod of(Class<?> benchClass, String name) {
        Method found = null;
        for (Method m : benchClass.getMethods()) {
            if (m.getName().equals(name) && m.isAnnotationPresent(Benchmark.class)) {
                if (found != null) {
                    throw new IllegalArgumentException(benchClass.getName() + " has more than one @Benchmark method " + name);
                }
                found = m;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException(benchClass.getName() + " has no public @Benchmark method " + name);
        }
        return new BenchMethod(benchClass, found);
    }

    static BenchMethod of(String className, String name) throws ClassNotFoundException {
        return of(Class.forName(className), name);
    }

    /** The {@code @Param} fields of a state class and its superclasses, by name. */
    static Map<String, Field> paramFields(Class<?> state) {
        Map<String, Field> out = new LinkedHashMap<>();
        for (Class<?> c = state; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.isAnnotationPresent(Param.class)) {
                    out.putIfAbsent(f.getName(), f);
                }
            }
        }
        return out;
    }

    /** Every parameter of this benchmark with its declared values, by name (sorted). */
    Map<String, List<String>> params() {
        Map<String, List<String>> out = new TreeMap<>();
        for (Class<?> s : states) {
            if (s != null) {
                paramFields(s).forEach((n, f) -> out.putIfAbsent(n, List.of(f.getAnnotation(Param.class).value())));
            }
        }
        return out;
    }

    /**
     * The parameter combinations to run, each a sorted map name -> value: the cartesian product of
     * the declared values, with {@code overrides} replacing the values of the parameters they name.
     */
    List<Map<String, String>> combinations(Map<String, List<String>> overrides) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new TreeMap<>());
        for (Map.Entry<String, List<String>> p : params().entrySet()) {
            List<String> values = overrides.getOrDefault(p.getKey(), p.getValue());
            if (values.isEmpty()) {
                throw new IllegalArgumentException("parameter " + p.getKey() + " of " + label(Map.of()) + " has no value");
            }
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> c : out) {
                for (String v : values) {
                    Map<String, String> m = new TreeMap<>(c);
                    m.put(p.getKey(), v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** {@code method} or {@code method[k=v, k2=v2]}: the key of a result, as JMH labels it. */
    String label(Map<String, String> params) {
        if (params.isEmpty()) {
            return method.getName();
        }
        List<String> ps = new ArrayList<>();
        new TreeMap<>(params).forEach((k, v) -> ps.add(k + "=" + v));
        return method.getName() + ps;
    }

    /** The unit of a score: {@code ops/s} and the like for throughput, {@code us/op} and the like for average time. */
    String scoreUnit() {
        String u = switch (unit) {
            case NANOSECONDS -> "ns";
            case MICROSECONDS -> "us";
            case MILLISECONDS -> "ms";
            case SECONDS -> "s";
            case MINUTES -> "min";
            case HOURS -> "hr";
            case DAYS -> "day";
        };
        return mode == Mode.Throughput ? "ops/" + u : u + "/op";
    }

    /** The score of {@code calls} invocations that took {@code nanos}, in {@link #scoreUnit()}. */
    double score(long calls, long nanos) {
        double ops = (double) calls * opsPerInvocation;
        double unitNanos = unit.toNanos(1);
        return mode == Mode.Throughput ? ops / nanos * unitNanos : nanos / ops / unitNanos;
    }

    boolean higherIsBetter() {
        return mode == Mode.Throughput;
    }
}
