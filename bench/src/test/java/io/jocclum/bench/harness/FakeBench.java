package io.jocclum.bench.harness;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Benchmarks for the harness's own tests: they record their fixtures and count their calls. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FakeBench {
    static final List<String> LOG = Collections.synchronizedList(new ArrayList<>());

    @Param({"1", "2"})
    public int size;

    long calls;

    @Setup(Level.Trial)
    public void trial() {
        LOG.add("trial " + size);
    }

    @TearDown(Level.Trial)
    public void down() {
        LOG.add("down " + size);
    }

    @Benchmark
    public long a() {
        return ++calls * size;
    }

    @Benchmark
    @OperationsPerInvocation(10)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public void b(Blackhole bh) {
        bh.consume(++calls);
    }

    /** A state with a per-invocation set-up and tear-down. */
    @State(Scope.Thread)
    public static class Refill {
        long setups;
        long calls;
        long teardowns;

        @Setup(Level.Invocation)
        public void refill() {
            if (setups != teardowns) {
                throw new IllegalStateException("set-up twice without a tear-down");
            }
            setups++;
        }

        @TearDown(Level.Invocation)
        public void drain() {
            teardowns++;
        }

        @TearDown(Level.Trial)
        public void check() {
            LOG.add("refill setups=" + setups + " calls=" + calls + " teardowns=" + teardowns);
        }
    }

    @Benchmark
    public long perInvocation(Refill r) {
        return ++r.calls;
    }
}
