package io.jocclum.sgx.enclave;

import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SgxInvariantsExtension.class)
class SmokeTest {
    @Test
    void buildReadWriteOversubscribed() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
        HostTask t = p.newTask("smoke");
        EnclaveFd fd = SgxTestSupport.load(p, t, SgxTestSupport.image(1 << 22, 600));
        EnclaveContext ctx = fd.context();
        long heap = SgxTestSupport.BASE + 0x2000;
        for (int i = 0; i < 600; i++) {
            ctx.writeLong(heap + i * 4096L + 8, i * 31L + 5);
        }
        for (int i = 0; i < 600; i++) {
            assertThat(ctx.readLong(heap + i * 4096L + 8)).isEqualTo(i * 31L + 5);
        }
        assertThat(fd.stats().count(io.jocclum.sgx.cost.CostEvent.EWB)).isPositive();
        fd.close();
    }
}
