package io.jocclum.sgx.epccg;

import io.jocclum.sgx.cgroup.MiscCgroup;
import io.jocclum.sgx.cgroup.MiscResource;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller's invariant checker finds each kind of corruption (and is clean once it is undone). */
@ExtendWith(SgxInvariantsExtension.class)
class EpcCgroupInvariantsTest {

    @Test
    void aChargeWithoutAPageIsFound() {
        EpcCg f = new EpcCg(256).mkdir("/a", -1);
        EnclaveFd fd = SgxTestSupport.load(f.p, f.task("w", "/a"), SgxTestSupport.image(1 << 20, 4));
        MiscCgroup a = f.fs.cgroup("/a").misc();
        assertThat(f.p.checkInvariants()).isEmpty();
        assertThat(f.fs.cgroup("/").misc().controller().tryCharge(MiscResource.SGX_EPC, a, 4096)).isTrue();
        assertThat(f.p.checkInvariants()).anyMatch(v -> v.contains("misc.current sgx_epc") && v.contains("/a"))
                .anyMatch(v -> v.contains("misc.current sgx_epc") && v.contains("MiscCgroup[/]"));
        f.fs.cgroup("/").misc().controller().uncharge(MiscResource.SGX_EPC, a, 4096);
        assertThat(f.p.checkInvariants()).isEmpty();
        fd.close();
    }

    @Test
    void aCursorOutsideItsSubtreeIsFound() {
        EpcCg f = new EpcCg(256).mkdir("/a", -1).mkdir("/b", -1);
        SgxCgroup a = f.group("/a");
        MiscCgroup b = f.fs.cgroup("/b").misc();
        a.nextLock.lock();
        try {
            a.nextCg = b;
        } finally {
            a.nextLock.unlock();
        }
        assertThat(f.p.checkInvariants()).anyMatch(v -> v.contains("next_cg cursor"));
        a.nextLock.lock();
        try {
            a.nextCg = a.misc();
        } finally {
            a.nextLock.unlock();
        }
        assertThat(f.p.checkInvariants()).isEmpty();
    }

    @Test
    void aQueuedWorkItemIsNotQuiescentUntilRun() {
        EpcCg f = new EpcCg(256).mkdir("/a", 10);
        EnclaveFd fd = SgxTestSupport.load(f.p, f.task("w", "/a"), SgxTestSupport.image(1 << 20, 20));
        SgxCgroup a = f.group("/a");
        f.limit("/a", f.usage("/a"));
        EpcCg.errno(io.jocclum.api.Errno.EBUSY, () -> f.p.epcManager().allocator().allocate(new Object(),
                io.jocclum.sgx.epc.Reclaim.SGX_NO_RECLAIM, fd.task()));
        assertThat(f.ctl.workBusy(a)).isTrue();
        java.util.List<String> problems = new java.util.ArrayList<>();
        f.ctl.checkInvariants(problems::add);
        assertThat(problems).anyMatch(v -> v.contains("async reclaim work items"));
        assertThat(f.p.checkInvariants()).as("the platform checker runs the work first").isEmpty();
        fd.close();
    }
}
