package io.jocclum.bench.os;

import io.jocclum.api.Mman;
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

import java.util.concurrent.TimeUnit;

/**
 * mmap+munmap pairs through the guest API of a booted LibOS (the syscall façade: argument
 * checks, signal checks at the call boundary, system-call accounting, the process's VM), on the
 * guest's own thread. One invocation is a batch of {@value #BATCH} pairs of 4, 8, 16, 32 and
 * 64 KB in turn, handed to the guest at once; JMH reports the time per pair.
 */
public class OsBench {
    static final int BATCH = 2000;
    private static final long[] SIZES = {Mman.PAGE_SIZE, 2 * Mman.PAGE_SIZE, 4 * Mman.PAGE_SIZE, 8 * Mman.PAGE_SIZE, 16 * Mman.PAGE_SIZE};
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;

    /** A booted EDMM instance whose guest holds {@code liveVmas} one-page VMAs besides its own. */
    @State(Scope.Thread)
    public static class Guest {
        @Param({"100"})
        public int liveVmas;

        GuestDriver driver;

        @Setup(Level.Trial)
        public void setup() {
            driver = new GuestDriver();
            int n = liveVmas;
            long vmas = driver.call(sys -> {
                // 2n adjacent one-page mappings merge into VMAs; unmapping every other page leaves n VMAs and n holes
                long[] pages = new long[2 * n];
                for (int k = 0; k < pages.length; k++) {
                    pages[k] = sys.mmap(0, Mman.PAGE_SIZE, RW, ANON, -1, 0);
                }
                for (int k = 1; k < pages.length; k += 2) {
                    sys.munmap(pages[k], Mman.PAGE_SIZE);
                }
                return n;
            });
            if (vmas != n) {
                throw new IllegalStateException("the guest made " + vmas + " VMAs, wanted " + n);
            }
            // The syscall path (façade, VM, chunk pool) takes a few hundred thousand calls to be compiled; quick mode's
            // warm-up iteration alone would time the interpreter. Warm it here, outside the measurement.
            for (int r = 0; r < 200; r++) {
                driver.call(OsBench::batch);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            driver.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(BATCH)
    public long mmapMunmap(Guest g) {
        return g.driver.call(OsBench::batch);
    }

    private static long batch(io.jocclum.api.Syscalls sys) {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            long len = SIZES[i % SIZES.length];
            long a = sys.mmap(0, len, RW, ANON, -1, 0);
            sys.munmap(a, len);
            sum += a;
        }
        return sum;
    }
}
