package io.jocclum.bench.vm;

import io.jocclum.libos.vm.UserSpaceLayout;
import io.jocclum.libos.vm.testing.FakeEnclave;
import io.jocclum.libos.vm.testing.PlatformEnclave;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.epc.Ksgxd;

/**
 * The enclave a VM benchmark runs on: {@code fake} is the VM's fake enclave (EPCM checks, no
 * driver, no costs); {@code sgx} is a small enclave on the simulated SGX platform (driver, EPC
 * allocator, fault path, cost model) with a 256 MB EPC, more than the benchmarks touch, and
 * ksgxd run by the caller (no background thread).
 */
final class BenchEnclave implements AutoCloseable {
    /** EPC of the benchmark platform. */
    static final long EPC_BYTES = 256L << 20;

    final EnclaveContext ctx;
    /** Null on the fake. */
    final PlatformEnclave sgx;
    private final FakeEnclave fake;

    private BenchEnclave(EnclaveContext ctx, PlatformEnclave sgx, FakeEnclave fake) {
        this.ctx = ctx;
        this.sgx = sgx;
        this.fake = fake;
    }

    static BenchEnclave open(String platform, UserSpaceLayout layout) {
        return switch (platform) {
            case "fake" -> {
                FakeEnclave f = FakeEnclave.forLayout(layout, true);
                yield new BenchEnclave(f, null, f);
            }
            case "sgx" -> {
                PlatformConfig cfg = PlatformConfig.builder().epcSize(EPC_BYTES).ksgxd(Ksgxd.Mode.MANUAL).build();
                PlatformEnclave e = PlatformEnclave.start(cfg, layout);
                yield new BenchEnclave(e.context(), e, null);
            }
            default -> throw new IllegalArgumentException("platform " + platform + " is not fake or sgx");
        };
    }

    @Override
    public void close() {
        if (sgx != null) {
            sgx.close();
        } else {
            fake.close();
        }
    }
}
