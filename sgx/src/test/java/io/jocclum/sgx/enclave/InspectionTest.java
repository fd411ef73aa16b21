package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checkers' view of an enclave ({@link Enclave#inspectPage}, {@link Enclave#inspectPageIsZero},
 * {@link Enclave#countPages}): resident and evicted pages alike, without loading anything.
 */
@ExtendWith(SgxInvariantsExtension.class)
class InspectionTest {
    private static final long HEAP = BASE + 0x2000;

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("inspected"), SgxTestSupport.image(1 << 21, 8));
    private final EnclaveContext ctx = fd.context();
    private final Enclave encl = fd.enclave();

    private void evictAll() {
        while (p.controller().canReclaimGlobal()) {
            p.controller().reclaimGlobal(null);
        }
    }

    @Test
    void residentAndEvictedPagesLookTheSameAndNothingIsLoaded() {
        long aug = BASE + 0x100000;
        ctx.eaccept(aug, SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING));
        ctx.restrictPermissions(aug, 4096, SecInfo.R);   // PR until accepted
        ctx.writeLong(HEAP, 42);
        EpcmEntry heap = encl.inspectPage(HEAP);
        EpcmEntry pr = encl.inspectPage(aug);
        assertThat(heap.valid()).isTrue();
        assertThat(heap.type()).isEqualTo(PageType.REG);
        assertThat(heap.perms()).isEqualTo(SecInfo.R | SecInfo.W);
        assertThat(pr.pr()).isTrue();
        assertThat(pr.perms()).isEqualTo(SecInfo.R);
        assertThat(encl.inspectPageIsZero(HEAP)).isFalse();
        assertThat(encl.inspectPageIsZero(HEAP + 4096)).isTrue();
        assertThat(encl.inspectPage(BASE + 0x180000)).as("no page there").isNull();
        assertThat(encl.countPages(BASE, BASE + (1 << 21))).isEqualTo(2 + 8 + 1);
        assertThat(encl.countPages(HEAP, HEAP + 2 * 4096)).isEqualTo(2);

        evictAll();
        assertThat(encl.isResident(HEAP)).isFalse();
        EnclaveStats before = fd.stats();
        assertThat(encl.inspectPage(HEAP)).as("the PCMD's SECINFO, as it was").isEqualTo(
                new EpcmEntry(true, PageType.REG, SecInfo.R | SecInfo.W, false, false, false, false, HEAP, encl.control().eid()));
        assertThat(encl.inspectPage(aug).pr()).isTrue();
        assertThat(encl.inspectPageIsZero(HEAP)).as("decrypted from the backing store").isFalse();
        assertThat(encl.inspectPageIsZero(HEAP + 4096)).isTrue();
        assertThat(encl.countPages(BASE, BASE + (1 << 21))).isEqualTo(11);
        assertThat(fd.stats()).as("inspection costs nothing").isEqualTo(before);
        assertThat(encl.isResident(HEAP)).as("and loads nothing").isFalse();

        // a tampered blob fails its MAC: not known to be zero
        BackingFile file = encl.backingFile();
        long idx = file.contentsIndex(HEAP + 4096);
        byte[] blob = file.readPage(idx);
        blob[100] ^= 1;
        file.writePage(idx, blob);
        assertThat(encl.inspectPageIsZero(HEAP + 4096)).isFalse();
        blob[100] ^= 1;
        file.writePage(idx, blob);
        assertThat(encl.inspectPageIsZero(HEAP + 4096)).isTrue();
        assertThat(ctx.readLong(HEAP)).isEqualTo(42);
    }
}
