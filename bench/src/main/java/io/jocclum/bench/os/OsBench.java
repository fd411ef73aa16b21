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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * mmap+munmap pairs through the guest API of a booted LibOS (the syscall façade: argument
 * checks, signal checks at the call boundary, system-call accounting, the process's VM), on the
 * guest's own thread. One invocation is a batch of {@value #BATCH} pairs handed to the guest at
 * once; the score is the time per pair. {@link #mmapMunmap}: pairs of 4, 8, 16, 32 and 64 KB in
 * turn, placed by the VM (next to each other, a cache-hot spot of the VMA tree).
 * {@link #mmapMunmapRandom}: one page mapped with MAP_FIXED into a hole between two live VMAs
 * chosen at random, then unmapped, so that every pair works at a different place of the tree.
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
        /** The one-page holes between the live VMAs. */
        long[] holes;
        final SplittableRandom random = new SplittableRandom(0x5EED_0F_4A11L);
        /** The holes of the next batch. */
        final long[] next = new long[BATCH];

        @Setup(Level.Trial)
        public void setup() {
            driver = new GuestDriver();
            int n = liveVmas;
            holes = new long[n];
            int pid = (int) driver.call(sys -> {
                // 2n one-page mappings; unmapping every other page leaves n one-page VMAs and n holes
                long[] pages = new long[2 * n];
                for (int k = 0; k < pages.length; k++) {
                    pages[k] = sys.mmap(0, Mman.PAGE_SIZE, RW, ANON, -1, 0);
                }
                for (int k = 1; k < pages.length; k += 2) {
                    sys.munmap(pages[k], Mman.PAGE_SIZE);
                    holes[k / 2] = pages[k];
                }
                return sys.getpid();
            });
            long vmas = driver.os().kernel().process(pid).vm().vmaCount();
            if (vmas < n) {
                throw new IllegalStateException("the guest has " + vmas + " VMAs, wanted at least " + n);
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

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(BATCH)
    public long mmapMunmapRandom(Guest g) {
        long[] at = g.next;
        for (int i = 0; i < BATCH; i++) {
            at[i] = g.holes[g.random.nextInt(g.holes.length)];
        }
        return g.driver.call(sys -> {
            long sum = 0;
            for (long a : at) {
                sum += sys.mmap(a, Mman.PAGE_SIZE, RW, ANON | Mman.MAP_FIXED, -1, 0);
                sys.munmap(a, Mman.PAGE_SIZE);
            }
            return sum;
        });
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
