package io.jocclum.bench.harness;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One benchmark method with one set of parameter values, bound to its states, measured in rounds
 * of a given length: calls in batches (the batch grows until it takes about a millisecond, so the
 * clock is read rarely) until the round's time is used, the score computed from the calls and the
 * time they took. With a per-invocation set-up or tear-down each call is timed on its own and the
 * fixtures are left out, as JMH does.
 */
final class JavaSide {
    private static final byte[] TEMPLATE = template();
    private static final String BLACKHOLE_PASSWORD =
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.";
    private static final long BATCH_MIN_NS = 1_000_000;
    private static final long BATCH_MAX_NS = 20_000_000;

    final String label;
    final BenchMethod bench;
    private final Set<StateSet.Instance> instances = new LinkedHashSet<>();
    private final boolean perInvocation;
    private final MethodHandle batch;
    private final MethodHandle timed;
    private long batchSize = 1;
    /** Process CPU time per operation in the last round (ns), or NaN when the JVM does not tell. */
    private double lastCpuNsPerOp = Double.NaN;
    private static final com.sun.management.OperatingSystemMXBean OS =
            java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean o ? o : null;

    JavaSide(String label, BenchMethod bench, Map<String, String> params, StateSet states) throws ReflectiveOperationException {
        this.label = label;
        this.bench = bench;
        List<Object> args = new ArrayList<>();
        for (Class<?> s : bench.states) {
            if (s == null) {
                args.add(new Blackhole(BLACKHOLE_PASSWORD));
            } else {
                StateSet.Instance i = states.get(s, params);
                instances.add(i);
                args.add(i.object);
            }
        }
        perInvocation = instances.stream().anyMatch(i -> i.setups.containsKey(Level.Invocation) || i.teardowns.containsKey(Level.Invocation));
        bench.method.setAccessible(true);
        MethodHandles.Lookup here = MethodHandles.lookup();
        MethodHandle call = here.unreflect(bench.method);
        call = MethodHandles.insertArguments(call, 0, args.toArray()).asType(MethodType.methodType(Object.class));
        Runnable setups = () -> instances.forEach(i -> i.setup(Level.Invocation));
        Runnable teardowns = () -> instances.forEach(i -> i.teardown(Level.Invocation));
        MethodHandle run = here.findVirtual(Runnable.class, "run", MethodType.methodType(void.class));
        MethodHandles.Lookup loop = here.defineHiddenClassWithClassData(TEMPLATE,
                List.of(call, run.bindTo(setups), run.bindTo(teardowns), new Blackhole(BLACKHOLE_PASSWORD)), true);
        batch = loop.findStatic(loop.lookupClass(), "batch", MethodType.methodType(void.class, long.class));
        timed = loop.findStatic(loop.lookupClass(), "timed", MethodType.methodType(long.class, long.class));
    }

    private static byte[] template() {
        try (InputStream in = JavaSide.class.getResourceAsStream("CallLoop.class")) {
            if (in == null) {
                throw new IllegalStateException("CallLoop.class is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * CPU time of the whole JVM (all threads: the benchmark's own, those it hands work to, GC,
     * JIT) per operation during the last round, in ns: on a shared machine less disturbed by other
     * load than the wall time.
     */
    double cpuNsPerOp() {
        return lastCpuNsPerOp;
    }

    String unit() {
        return bench.scoreUnit();
    }

    boolean higherIsBetter() {
        return bench.higherIsBetter();
    }

    /** Runs for at least {@code budgetNs} (at least one call) and returns the score. */
    double round(long budgetNs) throws Throwable {
        instances.forEach(i -> i.setup(Level.Iteration));
        long calls = 0;
        long ns = 0;
        long cpu0 = OS == null ? -1 : OS.getProcessCpuTime();
        try {
            long start = System.nanoTime();
            do {
                long n = batchSize;
                long t0 = System.nanoTime();
                long callNs;
                if (perInvocation) {
                    callNs = (long) timed.invokeExact(n);
                } else {
                    batch.invokeExact(n);
                    callNs = System.nanoTime() - t0;
                }
                long wall = System.nanoTime() - t0;
                ns += callNs;
                calls += n;
                if (wall < BATCH_MIN_NS && batchSize < (1L << 40)) {
                    batchSize *= 2;
                } else if (wall > BATCH_MAX_NS && batchSize > 1) {
                    batchSize /= 2;
                }
            } while (System.nanoTime() - start < budgetNs);
        } finally {
            instances.forEach(i -> i.teardown(Level.Iteration));
        }
        long cpu1 = OS == null ? -1 : OS.getProcessCpuTime();
        lastCpuNsPerOp = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / ((double) calls * bench.opsPerInvocation);
        return bench.score(calls, Math.max(ns, 1));
    }
}
