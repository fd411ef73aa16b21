package io.jocclum.sgx.epc;

import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The allocator-level checker ({@link EpcManager#checkInvariants}) reports each kind of corrupted page state. */
@ExtendWith(SgxInvariantsExtension.class)
class EpcManagerCheckerTest {

    private record Fixture(SgxPlatform p, EnclaveFd fd) {
        List<String> problems() {
            List<String> out = new ArrayList<>();
            p.epcManager().checkInvariants(out::add);
            return out;
        }

        EpcPage page(boolean free, boolean tracked) {
            EpcPage[] hit = {null};
            p.epcManager().allocator().forEachPage(x -> {
                if (hit[0] == null && x.isFree() == free && x.isReclaimerTracked() == tracked) {
                    hit[0] = x;
                }
            });
            assertThat(hit[0]).isNotNull();
            return hit[0];
        }
    }

    private static Fixture fixture() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("w"), SgxTestSupport.image(1 << 20, 8));
        Fixture f = new Fixture(p, fd);
        assertThat(f.problems()).isEmpty();
        return f;
    }

    @Test
    void anAllocatedPageWithoutACgroupIsFound() {
        Fixture f = fixture();
        EpcPage x = f.page(false, true);
        EpcGroup g = x.group();
        EpcHooks.setGroup(x, null);
        assertThat(f.problems()).contains(x + " is allocated but charged to no cgroup");
        EpcHooks.setGroup(x, g);
        assertThat(f.problems()).isEmpty();
        f.fd().close();
    }

    @Test
    void aFreePageStillInUseIsFound() {
        Fixture f = fixture();
        EpcPage x = f.page(false, true);
        int flags = x.flags();
        EpcHooks.setFlags(x, flags | EpcPage.IS_FREE);
        assertThat(f.problems()).contains(x + " is free but its EPCM entry is valid: " + x.frame().epcmEntry(),
                x + " is free but has an owner, a cgroup or reclaimer tracking");
        EpcHooks.setFlags(x, flags);
        assertThat(f.problems()).isEmpty();
        f.fd().close();
    }

    @Test
    void aPageOnAnLruWithoutTheTrackedFlagIsFound() {
        Fixture f = fixture();
        EpcPage x = f.page(false, true);
        int flags = x.flags();
        EpcHooks.setFlags(x, flags & ~EpcPage.RECLAIMER_TRACKED);
        assertThat(f.problems()).contains(x + " is on " + x.lruList() + " without RECLAIMER_TRACKED");
        EpcHooks.setFlags(x, flags);
        assertThat(f.problems()).isEmpty();
        f.fd().close();
    }
}
