package io.jocclum.bench.vm;

import io.jocclum.api.Mman;
import io.jocclum.bench.os.GuestDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Sequential 64 KiB writes by a guest program over a 64 MiB anonymous mapping it populated, on
 * the simulated SGX platform (a booted EDMM instance of Occlum's template on the default platform):
 * each write is the guest's {@code storeBytes} of 64 KiB from its Java array into enclave memory.
 * One operation writes the whole 64 MiB; {@link VmBench#rawCopyHostPages} copies the same chunks
 * into host memory of the kind the simulated EPC pages live in (a mapped temporary file). A work
 * item handed to the guest makes {@value #PASSES} such passes, so that the two thread hand-overs
 * of a work item ({@link GuestDriver#call}), which the raw copy does not make, are spread over
 * them: each wakes a thread that has slept for the whole item, 40–110 µs on the 2-vCPU host of
 * the figures in docs/performance.md, against about 3 ms per pass.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GuestWriteBench {
    /** Passes over the 64 MiB per work item (see the class comment). */
    static final int PASSES = 4;

    private GuestDriver driver;
    private long addr;
    private final byte[] chunk = new byte[VmBench.WriteState.CHUNK];

    @Setup(Level.Trial)
    public void setup() {
        for (int k = 0; k < chunk.length; k++) {
            chunk[k] = (byte) k;
        }
        driver = new GuestDriver();
        addr = driver.call(sys -> {
            long a = sys.mmap(0, VmBench.WriteState.SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_POPULATE, -1, 0);
            for (long off = 0; off < VmBench.WriteState.SIZE; off += chunk.length) {
                sys.storeBytes(a + off, chunk, 0, chunk.length); // every page holds data from now on
            }
            return a;
        });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        driver.close();
    }

    @Benchmark
    @OperationsPerInvocation(PASSES)
    public long guestWrite() {
        return driver.call(sys -> {
            for (int pass = 0; pass < PASSES; pass++) {
                for (long off = 0; off < VmBench.WriteState.SIZE; off += chunk.length) {
                    sys.storeBytes(addr + off, chunk, 0, chunk.length);
                }
            }
            return addr;
        });
    }
}
