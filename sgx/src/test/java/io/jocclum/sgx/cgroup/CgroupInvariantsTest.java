package io.jocclum.sgx.cgroup;

import io.jocclum.sgx.arch.Pages;

import org.junit.jupiter.api.Test;

import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checker finds corrupted state (each corruption is what a bug in the core would leave). */
class CgroupInvariantsTest {
    private static final long PAGE = Pages.SIZE;

    private CgroupHierarchy populated() {
        CgroupHierarchy h = new CgroupHierarchy();
        h.misc().setCapacity(SGX_EPC, 64 * PAGE);
        h.fs().write("/", "cgroup.subtree_control", "+misc +memory");
        h.fs().mkdir("/a");
        h.fs().write("/a", "cgroup.subtree_control", "+misc");
        h.fs().mkdir("/a/b");
        h.fs().write("/a", "misc.max", "sgx_epc 8192");
        MiscCgroup b = h.fs().cgroup("/a/b").misc();
        assertThat(h.misc().tryCharge(SGX_EPC, b, PAGE)).isTrue();
        assertThat(h.misc().tryCharge(SGX_EPC, b, 4 * PAGE)).isFalse();
        HostTask t = h.spawn("t");
        h.fs().write(t, "/a/b", "cgroup.procs", "0");
        assertThat(h.memory().tryChargePages(h.fs().cgroup("/a").memory(), 3)).isTrue();
        return h;
    }

    @Test
    void aConsistentHierarchyPasses() {
        assertThat(CgroupInvariants.violations(populated())).isEmpty();
    }

    @Test
    void usageNotMatchingTheChargesBelowIsReported() {
        CgroupHierarchy h = populated();
        h.fs().cgroup("/a").misc().res[SGX_EPC.ordinal()].usage.addAndGet(PAGE);
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.contains("usage") && v.contains("/a"));
        assertThatThrownBy(() -> CgroupInvariants.check(h)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cgroup invariants violated");
    }

    @Test
    void eventsNotMatchingTheLimitHitsBelowAreReported() {
        CgroupHierarchy h = populated();
        h.fs().cgroup("/a/b").misc().res[SGX_EPC.ordinal()].events.incrementAndGet();
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.contains("events"));
    }

    @Test
    void peakBelowUsageIsReported() {
        CgroupHierarchy h = populated();
        h.fs().cgroup("/a/b").misc().res[SGX_EPC.ordinal()].watermark.set(0);
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.contains("peak"));
    }

    @Test
    void aTaskListedInTheWrongCgroupIsReported() {
        CgroupHierarchy h = populated();
        HostTask t = h.tasks().getFirst();
        h.fs().cgroup("/a/b").tasks.remove(t.pid());
        h.root().tasks.put(t.pid(), t);
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.contains(t.toString()));
    }

    @Test
    void memoryCountersAreChecked() {
        CgroupHierarchy h = populated();
        h.fs().cgroup("/a").memory().swap.usage.addAndGet(1);
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.contains("swap"));
    }

    @Test
    void kernelWarningsAreReported() {
        CgroupHierarchy h = populated();
        h.misc().uncharge(SGX_EPC, h.fs().cgroup("/a").misc(), 2 * PAGE);
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.startsWith("kernel warning: misc cgroup"));
    }

    @Test
    void aMissingCssIsReported() {
        CgroupHierarchy h = populated();
        h.fs().cgroup("/a/b").setCss(Controller.MISC, null);
        assertThat(CgroupInvariants.violations(h)).anyMatch(v -> v.contains("misc css missing"));
    }

    @Test
    void aLeakedCgroupMutexIsReportedAlone() {
        CgroupHierarchy h = populated();
        h.mutex.lock();
        try {
            assertThat(CgroupInvariants.violations(h)).containsExactly("cgroup mutex still held by the checking thread");
        } finally {
            h.unlock();
        }
        assertThat(CgroupInvariants.violations(h)).isEmpty();
    }
}
