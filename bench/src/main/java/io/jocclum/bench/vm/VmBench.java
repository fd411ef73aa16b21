package io.jocclum.bench.vm;

import io.jocclum.api.Mman;
import io.jocclum.libos.vm.AccessMode;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.libos.vm.ProcessVm;
import io.jocclum.libos.vm.ProcessVmSpec;
import io.jocclum.libos.vm.UserSpace;
import io.jocclum.libos.vm.UserSpaceLayout;
import io.jocclum.libos.vm.VmConfig;
import io.jocclum.libos.vm.testing.FakeEnclave;
import io.jocclum.sgx.arch.Pages;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * User-space VM benchmarks: mmap+munmap pairs through the syscall-level API with a given number
 * of live VMAs (fake enclave), guest sequential writes against a raw copy of the same size, and
 * the EDMM first-touch path, the last two on the fake enclave and on the simulated SGX platform
 * ({@code platform} = {@code fake} or {@code sgx}, see {@link BenchEnclave}).
 */
public class VmBench {
    static final long BASE = 0x10_0000_0000L;
    static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    private static final long[] SIZES = {Pages.SIZE, 2 * Pages.SIZE, 4 * Pages.SIZE, 8 * Pages.SIZE, 16 * Pages.SIZE};

    /** An EDMM user space: 64 MB reserved, a 64 MB gap, 16 GB user region. */
    static UserSpaceLayout edmmLayout() {
        return new UserSpaceLayout(BASE, 64L << 20, BASE + (128L << 20), 16L << 30);
    }

    /** mmap + munmap of 4, 8, 16, 32, 64 KB in turn, with {@code liveVmas} other VMAs alive in the process. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public static class MmapState {
        @Param({"100"})
        public int liveVmas;

        FakeEnclave fake;
        UserSpace space;
        ProcessVm vm;
        int i;
        /** The one-page holes between the live VMAs. */
        long[] holes;
        final java.util.SplittableRandom random = new java.util.SplittableRandom(0x5EED_0F_4A11L);

        @Setup(Level.Trial)
        public void setup() {
            fake = FakeEnclave.forLayout(edmmLayout(), true);
            space = UserSpace.create(fake, edmmLayout(), VmConfig.defaults());
            vm = space.createProcess(1, new ProcessVmSpec(1L << 20, 64 * 1024, List.of()));
            // 2n one-page mappings merge into one VMA; unmapping every other page leaves n VMAs and n holes
            long[] pages = new long[2 * liveVmas];
            for (int k = 0; k < pages.length; k++) {
                pages[k] = vm.mmap(0, Pages.SIZE, RW, ANON, null, 0);
            }
            holes = new long[liveVmas];
            for (int k = 1; k < pages.length; k += 2) {
                vm.munmap(pages[k], Pages.SIZE);
                holes[k / 2] = pages[k];
            }
            if (vm.vmaCount() < liveVmas) {
                throw new IllegalStateException("only " + vm.vmaCount() + " VMAs live, wanted " + liveVmas);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            vm.exit();
            fake.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long mmapMunmap(MmapState s) {
        long len = SIZES[s.i++ % SIZES.length];
        long a = s.vm.mmap(0, len, RW, ANON, null, 0);
        s.vm.munmap(a, len);
        return a;
    }

    /** One page mapped with MAP_FIXED into a hole between two live VMAs chosen at random, then unmapped. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long mmapMunmapRandom(MmapState s) {
        long a = s.holes[s.random.nextInt(s.holes.length)];
        s.vm.mmap(a, Pages.SIZE, RW, ANON | Mman.MAP_FIXED, null, 0);
        s.vm.munmap(a, Pages.SIZE);
        return a;
    }

    /** A committed 64 MB mapping, written sequentially in 64 KB chunks; the anchor copies the same chunks into 64 MB of the heap. */
    @State(Scope.Thread)
    public static class WriteState {
        static final long SIZE = 64L << 20;
        static final int CHUNK = 64 << 10;

        @Param({"fake"})
        public String platform;

        BenchEnclave enclave;
        UserSpace space;
        ProcessVm vm;
        GuestMemory mem;
        long addr;
        final byte[] chunk = new byte[CHUNK];

        @Setup(Level.Trial)
        public void setup() {
            enclave = BenchEnclave.open(platform, edmmLayout());
            space = UserSpace.create(enclave.ctx, edmmLayout(), VmConfig.defaults());
            vm = space.createProcess(1, new ProcessVmSpec(1L << 20, 64 * 1024, List.of()));
            addr = vm.mmap(0, SIZE, RW, ANON | Mman.MAP_POPULATE, null, 0);
            mem = vm.memory(AccessMode.USER);
            for (int k = 0; k < chunk.length; k++) {
                chunk[k] = (byte) k;
            }
            for (long off = 0; off < SIZE; off += CHUNK) {
                mem.write(addr + off, chunk, 0, CHUNK); // every page holds data from now on
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            vm.exit();
            enclave.close();
        }
    }

    /** The anchor of {@link WriteState} on the fake platform: the same 64 KB chunks copied into 64 MB of the JVM's heap. */
    @State(Scope.Thread)
    public static class RawState {
        final byte[] chunk = new byte[WriteState.CHUNK];
        MemorySegment chunkSeg;
        MemorySegment raw;

        @Setup(Level.Trial)
        public void setup() {
            for (int k = 0; k < chunk.length; k++) {
                chunk[k] = (byte) k;
            }
            chunkSeg = MemorySegment.ofArray(chunk);
            raw = MemorySegment.ofArray(new byte[(int) WriteState.SIZE]);
            raw.fill((byte) 1);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long guestSequentialWrite(WriteState s) {
        for (long off = 0; off < WriteState.SIZE; off += WriteState.CHUNK) {
            s.mem.write(s.addr + off, s.chunk, 0, WriteState.CHUNK);
        }
        return s.addr;
    }

    /**
     * The anchor of the writes on the simulated SGX platform: the same 64 KB chunks copied into
     * 64 MB of the kind of host memory the simulated EPC pages live in: a temporary file mapped
     * outside the heap with {@code FileChannel.map}, in the directory where
     * {@code io.jocclum.sgx.cpu.HostPagePool} puts its slabs (4 KB pages of shmem while
     * {@code /dev/shm} has room, never the heap's huge pages).
     */
    @State(Scope.Thread)
    public static class HostPageRawState {
        final byte[] chunk = new byte[WriteState.CHUNK];
        MemorySegment chunkSeg;
        MemorySegment raw;
        java.lang.foreign.Arena arena;
        java.nio.channels.FileChannel channel;

        @Setup(Level.Trial)
        public void setup() throws java.io.IOException {
            for (int k = 0; k < chunk.length; k++) {
                chunk[k] = (byte) k;
            }
            chunkSeg = MemorySegment.ofArray(chunk);
            // where the EPC's host page pool puts its pages (a memory-backed file system while it has room)
            java.nio.file.Path f = java.nio.file.Files.createTempFile(io.jocclum.sgx.cpu.HostPagePool.directoryFor(WriteState.SIZE),
                    "jocclum-bench-", ".pages");
            channel = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.READ,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.DELETE_ON_CLOSE);
            java.nio.file.Files.deleteIfExists(f);
            arena = java.lang.foreign.Arena.ofShared();
            raw = channel.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, WriteState.SIZE, arena);
            raw.fill((byte) 1);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws java.io.IOException {
            arena.close();
            channel.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public MemorySegment rawCopyHostPages(HostPageRawState s) {
        return copyChunks(s.chunkSeg, s.raw);
    }

    /** The raw copy of a write benchmark: {@code chunk} into each chunk-sized slot of {@code dst}. */
    private static MemorySegment copyChunks(MemorySegment chunk, MemorySegment dst) {
        for (long off = 0; off < WriteState.SIZE; off += WriteState.CHUNK) {
            MemorySegment.copy(chunk, 0, dst, off, WriteState.CHUNK);
        }
        return dst;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public MemorySegment rawCopy(RawState s) {
        return copyChunks(s.chunkSeg, s.raw);
    }

    /** EDMM first touch: map 4 MB in the user region, touch every page once with a one-byte store, unmap (EPC given back). */
    @State(Scope.Thread)
    public static class TouchState {
        static final long SIZE = 4L << 20;

        @Param({"fake"})
        public String platform;

        BenchEnclave enclave;
        UserSpace space;
        ProcessVm vm;
        GuestMemory mem;

        @Setup(Level.Trial)
        public void setup() {
            enclave = BenchEnclave.open(platform, edmmLayout());
            space = UserSpace.create(enclave.ctx, edmmLayout(), VmConfig.defaults());
            vm = space.createProcess(1, new ProcessVmSpec(1L << 20, 64 * 1024, List.of()));
            // fill reserved memory so the benchmark's mappings land in the EDMM user region
            vm.mmap(0, 60L << 20, RW, ANON, null, 0);
            mem = vm.memory(AccessMode.USER);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            vm.exit();
            enclave.close();
        }

        /** One first-touch round outside JMH: map, touch every page, unmap (for the simulated-cycle figures). */
        long[] touchOnce() {
            long a = vm.mmap(0, SIZE, RW, ANON, null, 0);
            long c0 = enclave.sgx.stats().cycles();
            for (long off = 0; off < SIZE; off += Pages.SIZE) {
                mem.writeByte(a + off, (byte) 1);
            }
            long c1 = enclave.sgx.stats().cycles();
            vm.munmap(a, SIZE);
            long c2 = enclave.sgx.stats().cycles();
            return new long[] {c1 - c0, c2 - c1};
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long edmmFirstTouch(TouchState s) {
        long a = s.vm.mmap(0, TouchState.SIZE, RW, ANON, null, 0);
        for (long off = 0; off < TouchState.SIZE; off += Pages.SIZE) {
            s.mem.writeByte(a + off, (byte) 1);
        }
        s.vm.munmap(a, TouchState.SIZE);
        return a;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long edmmMapUnmapUntouched(TouchState s) {
        long a = s.vm.mmap(0, TouchState.SIZE, RW, ANON, null, 0);
        s.vm.munmap(a, TouchState.SIZE);
        return a;
    }
}
