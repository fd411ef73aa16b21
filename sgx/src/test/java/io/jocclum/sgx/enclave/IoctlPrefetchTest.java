package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxIoctl;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page loop of the SGX2 ioctls loads each page's state ahead once ({@link PageTable#prefetch}),
 * in stretches of {@value EnclaveIoctls#LOCK_RUN_PAGES} pages: also when direct reclaim has work
 * (here a cgroup controller, which limits groups) and the loop takes the enclave lock again for
 * every page. Each prefetched page costs reads, never an outcome: that the outcomes are those of
 * the same ioctl page by page is {@code RangeIoctlTest}'s and {@code GiveBackRunTest}'s part.
 */
@ExtendWith(SgxInvariantsExtension.class)
class IoctlPrefetchTest {
    private static final int HEAP_PAGES = 200;
    private static final long HEAP = 0x2000;

    private static void trimEachPagePrefetchedOnce(PlatformConfig.Builder config, boolean idle) {
        SgxPlatform p = SgxTestSupport.platform(config.build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("prefetch"), SgxTestSupport.image(1 << 21, HEAP_PAGES));
        Enclave encl = fd.enclave();
        assertThat(encl.drv.epc().allocator().directReclaimIdle()).isEqualTo(idle);
        long before = encl.ioctlPrefetchedPages();
        SgxIoctl.ModifyTypes m = new SgxIoctl.ModifyTypes(HEAP, Pages.bytes(HEAP_PAGES), PageType.TRIM.encoding());
        fd.modifyTypes(m);
        assertThat(m.count).isEqualTo(Pages.bytes(HEAP_PAGES));
        assertThat(encl.epcmAt(encl.base() + HEAP + Pages.bytes(HEAP_PAGES - 1)).type()).isEqualTo(PageType.TRIM);
        assertThat(encl.ioctlPrefetchedPages() - before).as("pages prefetched").isEqualTo(HEAP_PAGES);
    }

    @Test
    void underDirectReclaimEachPageIsPrefetchedOnce() {
        trimEachPagePrefetchedOnce(SgxTestSupport.config(2048).epcCgroup(PlatformConfig.EpcCgroup.V17), false);
    }

    @Test
    void whileTheLockIsKeptEachPageIsPrefetchedOnce() {
        trimEachPagePrefetchedOnce(SgxTestSupport.config(2048), true);
    }
}
