package io.jocclum.sgx.enclave;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.FrameHooks;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * EWB after ETRACK and the IPI: an access that starts after the IPI looked, sees the page BLOCKED
 * and lets go again must not make the reclaimer's EWB fail with NOT_TRACKED (as Linux's third EWB
 * after {@code on_each_cpu()} in {@code sgx_encl_ewb}, arch/x86/kernel/cpu/sgx/main.c, does not).
 */
@ExtendWith(SgxInvariantsExtension.class)
class EwbTrackingTest {
    private static final long HEAP = BASE + 0x2000;
    private static final int PAGES = 64;

    @Test
    void accessesPassingABlockedPageAfterTheIpiDoNotFailItsEwb() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(48).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("victim"), SgxTestSupport.image(1 << 21, PAGES));
        EnclaveContext ctx = fd.context();
        long addr = HEAP + 5 * 4096L;
        ctx.writeLong(addr, 0x5eed);
        Enclave encl = fd.enclave();
        EpcFrame f = encl.pages.get(Pages.index(addr - encl.base)).frame;
        Epc epc = p.epc();
        long t = f.translation();

        // an access in flight holds the page; each time the reclaimer waits for one, that one ends
        // and, the first two times, a new one starts on the page (it will see BLOCKED and let go)
        List<Integer> slots = new ArrayList<>();
        int[] waits = {0};
        int first = epc.claimRuns();
        epc.beginRun(first, new long[] {t}, 1);
        slots.add(first);
        FrameHooks.onRunWait(epc, () -> {
            int s = slots.removeLast();
            epc.endRun(s);
            epc.releaseRuns(s);
            if (++waits[0] <= 2) {
                int next = epc.claimRuns();
                epc.beginRun(next, new long[] {t}, 1);
                slots.add(next);
            }
        });
        try {
            for (int round = 0; encl.epcmAt(addr) != null; round++) {
                assertThat(round).as("page 0x%x was never evicted", addr).isLessThan(10_000);
                p.controller().reclaimGlobal(null);
            }
        } finally {
            FrameHooks.onRunWait(epc, null);
        }
        assertThat(waits[0]).as("the reclaimer waited for each access in turn").isEqualTo(3);
        assertThat(slots).isEmpty();
        assertThat(epc.runsInFlight()).isFalse();
        assertThat(ctx.readLong(addr)).as("the page comes back intact").isEqualTo(0x5eed);
    }
}
