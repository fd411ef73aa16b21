package io.jocclum.bench.sgx;

import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.EpcAllocator;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.epc.Reclaim;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * {@code sgx_alloc_epc_page} + {@code sgx_free_epc_page} through the driver's allocator (no-op EPC
 * controller, free list, free counter, progress generation). The anchor is native C doing the
 * kernel's data-structure work for the same pair (spinlocked list_del/list_add_tail and an atomic
 * counter), {@code native/epc_freelist.c}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EpcAllocBench {
    private SgxPlatform platform;
    private EpcAllocator allocator;
    private HostTask task;
    private final Object owner = new Object();

    @Setup(Level.Trial)
    public void setup() {
        platform = SgxPlatform.start(PlatformConfig.builder().epcSize(64L << 20).ksgxd(Ksgxd.Mode.MANUAL).build());
        allocator = platform.epcManager().allocator();
        task = platform.newTask("alloc");
        // warm the free list so that recycled pages are used, as in a long-running system
        EpcPage[] pages = new EpcPage[1024];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = allocator.allocate(owner, Reclaim.SGX_NO_RECLAIM, task);
        }
        for (EpcPage p : pages) {
            allocator.free(p);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        platform.close();
    }

    @Benchmark
    public EpcPage ours() {
        EpcPage p = allocator.allocate(owner, Reclaim.SGX_NO_RECLAIM, task);
        allocator.free(p);
        return p;
    }
}
