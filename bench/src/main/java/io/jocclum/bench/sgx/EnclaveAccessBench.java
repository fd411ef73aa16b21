package io.jocclum.bench.sgx;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * A 4 KiB read of a resident enclave page through {@code EnclaveContext} (page-table walk, pin with
 * the EPCM check, bulk copy, unpin), against the bare copy of 4 KiB from native memory into a byte
 * array: the overhead of the access path over memcpy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EnclaveAccessBench {
    private static final int PAGES = 64;
    private SgxPlatform platform;
    private EnclaveFd fd;
    private EnclaveContext ctx;
    private MemorySegment native4k;
    private final byte[] buf = new byte[Pages.SIZE];
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        platform = SgxPlatform.start(PlatformConfig.builder().epcSize(16L << 20).ksgxd(Ksgxd.Mode.MANUAL).build());
        fd = SgxBenchSupport.enclave(platform, PAGES);
        ctx = fd.context();
        for (int i = 0; i < PAGES; i++) {
            ctx.writeLong(SgxBenchSupport.HEAP + Pages.bytes(i), i);
        }
        native4k = Arena.ofAuto().allocate(Pages.bytes(PAGES), Pages.SIZE);
        native4k.fill((byte) 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fd.close();
        platform.close();
    }

    @Benchmark
    public byte[] ours() {
        int i = next;
        next = (i + 1) & (PAGES - 1);
        ctx.read(SgxBenchSupport.HEAP + Pages.bytes(i), buf, 0, Pages.SIZE);
        return buf;
    }

    @Benchmark
    public byte[] anchor() {
        int i = next;
        next = (i + 1) & (PAGES - 1);
        MemorySegment.copy(native4k, ValueLayout.JAVA_BYTE, Pages.bytes(i), buf, 0, Pages.SIZE);
        return buf;
    }
}
