package io.jocclum.bench.harness;

import org.openjdk.jmh.infra.Blackhole;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * The measurement loop of one benchmark method, used only as a template: {@link JavaSide} defines
 * a hidden class from these bytes for every benchmark it runs, with the method bound to its state
 * objects as class data. The handle is then a constant of that class's own loop, so the JIT
 * compiles a loop per benchmark with the benchmark method inlined into it, as JMH's generated code
 * does, and the results go to a JMH {@link Blackhole} so that no work is optimised away. Never
 * loaded under its own name.
 */
final class CallLoop {
    /** {@code ()Object}: the benchmark method with its receiver and states bound. */
    private static final MethodHandle CALL;
    /** {@code ()void}: the per-invocation set-ups, run untimed before each call by {@link #timed}. */
    private static final MethodHandle BEFORE;
    /** {@code ()void}: the per-invocation tear-downs, run untimed after each call by {@link #timed}. */
    private static final MethodHandle AFTER;
    private static final Blackhole SINK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CALL = MethodHandles.classDataAt(l, ConstantDescs.DEFAULT_NAME, MethodHandle.class, 0);
            BEFORE = MethodHandles.classDataAt(l, ConstantDescs.DEFAULT_NAME, MethodHandle.class, 1);
            AFTER = MethodHandles.classDataAt(l, ConstantDescs.DEFAULT_NAME, MethodHandle.class, 2);
            SINK = MethodHandles.classDataAt(l, ConstantDescs.DEFAULT_NAME, Blackhole.class, 3);
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private CallLoop() {
    }

    /** {@code n} calls back to back; the caller times the batch. */
    static void batch(long n) throws Throwable {
        for (long i = 0; i < n; i++) {
            SINK.consume((Object) CALL.invokeExact());
        }
    }

    /** {@code n} calls, each between the per-invocation set-ups and tear-downs; returns the nanoseconds of the calls alone. */
    static long timed(long n) throws Throwable {
        long ns = 0;
        for (long i = 0; i < n; i++) {
            BEFORE.invokeExact();
            long t0 = System.nanoTime();
            Object r = (Object) CALL.invokeExact();
            ns += System.nanoTime() - t0;
            SINK.consume(r);
            AFTER.invokeExact();
        }
        return ns;
    }
}
