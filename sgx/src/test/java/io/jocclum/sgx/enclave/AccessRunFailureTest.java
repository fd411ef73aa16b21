package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A multi-page store whose pages cannot get host memory (the host page pool is closed, as it is
 * when the host runs out of it) fails, and the run it had published ends all the same: otherwise
 * every later EWB, EREMOVE or fence of its frames would wait for it for ever.
 */
class AccessRunFailureTest {
    private static final long HEAP_PAGES = 8;
    private static final long DYNAMIC = BASE + 0x2000 + HEAP_PAGES * Pages.SIZE;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("run-failure"), SgxTestSupport.image(1 << 22, HEAP_PAGES));
    private final EnclaveContext ctx = fd.context();

    @AfterEach
    void close() {
        p.close();
    }

    @Test
    void aRunWhosePagesCannotGetHostMemoryEndsWhenTheStoreFails() {
        assertThat(ctx.eacceptRange(DYNAMIC, 4 * Pages.SIZE, PENDING_RW, x -> { })).isZero();
        Epc epc = p.epc();
        assertThat(epc.runsInFlight()).isFalse();
        epc.close(); // no page without host memory can get one from now on
        byte[] data = new byte[3 * Pages.SIZE];
        assertThatThrownBy(() -> ctx.write(DYNAMIC + 100, data, 0, data.length)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(epc.runsInFlight()).as("the failed store's run has ended").isFalse();
    }
}
