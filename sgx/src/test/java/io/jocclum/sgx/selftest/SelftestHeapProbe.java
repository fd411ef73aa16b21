package io.jocclum.sgx.selftest;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * The main class of a child JVM in {@link EpcCgroupSelftestTest}: runs the eight cases with the
 * capacity in MB given as its argument (seed 42) in whatever heap the JVM was given, and ends with
 * 0 when all pass, {@link #OUT_OF_HEAP} when the heap ran out in any thread, 1 otherwise.
 */
final class SelftestHeapProbe {
    static final int OUT_OF_HEAP = 3;

    private SelftestHeapProbe() {
    }

    public static void main(String[] args) {
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> Runtime.getRuntime().halt(e instanceof OutOfMemoryError ? OUT_OF_HEAP : 1));
        long capacity = Long.parseLong(args[0]) << 20;
        int status;
        try {
            EpcCgroupSelftest.Report r = EpcCgroupSelftest.run(new EpcCgroupSelftest.Options(capacity, 42, false),
                    new PrintStream(OutputStream.nullOutputStream()));
            status = r.allPassed() ? 0 : 1;
        } catch (OutOfMemoryError e) {
            status = OUT_OF_HEAP;
        }
        Runtime.getRuntime().halt(status);
    }
}
