package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jocclum.sgx.cgroup.MiscResource.SEV;
import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;

/** misc_cg_try_charge / misc_cg_uncharge and event placement (spec 1.4-1.6). */
class MiscChargeTest extends CgroupTestBase {

    private MiscCgroup css(String path) {
        return fs.cgroup(path).misc();
    }

    @Test
    void aChargeIsCountedAtEveryLevelUpToTheRoot() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup g = chain("/a/b/c").misc();
        assertThat(misc.tryCharge(SGX_EPC, g, 3 * PAGE)).isTrue();
        for (String p : new String[] {"/", "/a", "/a/b", "/a/b/c"}) {
            assertThat(fs.read(p, "misc.current")).as(p).isEqualTo("sgx_epc 12288\n");
            assertThat(fs.read(p, "misc.peak")).as(p).isEqualTo("sgx_epc 12288\n");
        }
        MiscCgroup b = css("/a/b");
        assertThat(misc.tryCharge(SGX_EPC, b, PAGE)).isTrue();
        assertThat(fs.read("/a/b/c", "misc.current")).isEqualTo("sgx_epc 12288\n");
        assertThat(fs.read("/a/b", "misc.current")).isEqualTo("sgx_epc 16384\n");
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 16384\n");
        misc.uncharge(SGX_EPC, g, 3 * PAGE);
        misc.uncharge(SGX_EPC, b, PAGE);
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 0\n");
        assertThat(fs.read("/a/b/c", "misc.peak")).isEqualTo("sgx_epc 12288\n");
        assertThat(fs.read("/a/b", "misc.peak")).isEqualTo("sgx_epc 16384\n");
    }

    @Test
    void limitHitAtTheParentCountsThereAndAboveButNotBelowNorAtTheRoot() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup child = chain("/top/parent/child").misc();
        fs.write("/top/parent", "misc.max", "sgx_epc 8192");
        List<String> notified = new ArrayList<>();
        h.addFileListener((cg, file) -> notified.add(cg.path() + "/" + file));

        assertThat(misc.tryCharge(SGX_EPC, child, 2 * PAGE)).isTrue();
        assertThat(notified).isEmpty();
        assertThat(misc.tryCharge(SGX_EPC, child, PAGE)).isFalse();

        assertThat(fs.read("/top/parent", "misc.events.local")).isEqualTo("sgx_epc.max 1\n");
        assertThat(fs.read("/top/parent", "misc.events")).isEqualTo("sgx_epc.max 1\n");
        assertThat(fs.read("/top", "misc.events")).isEqualTo("sgx_epc.max 1\n");
        assertThat(fs.read("/top", "misc.events.local")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read("/top/parent/child", "misc.events")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read("/top/parent/child", "misc.events.local")).isEqualTo("sgx_epc.max 0\n");
        assertThat(misc.root().events(SGX_EPC)).isZero();
        assertThat(misc.root().eventsLocal(SGX_EPC)).isZero();
        assertThat(notified).containsExactly("/top/parent/misc.events.local", "/top/parent/misc.events",
                "/top/misc.events");
        for (String p : new String[] {"/", "/top", "/top/parent", "/top/parent/child"}) {
            assertThat(fs.read(p, "misc.current")).as(p).isEqualTo("sgx_epc 8192\n");
        }
        misc.uncharge(SGX_EPC, child, 2 * PAGE);
    }

    @Test
    void eachFailedAttemptCountsOnce() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup a = chain("/a").misc();
        fs.write("/a", "misc.max", "sgx_epc 0");
        for (int i = 0; i < 5; i++) {
            assertThat(misc.tryCharge(SGX_EPC, a, PAGE)).isFalse();
        }
        assertThat(fs.read("/a", "misc.events")).isEqualTo("sgx_epc.max 5\n");
        assertThat(fs.read("/a", "misc.events.local")).isEqualTo("sgx_epc.max 5\n");
        assertThat(fs.read("/a", "misc.current")).isEqualTo("sgx_epc 0\n");
    }

    @Test
    void peakIncludesACancelledChargeBelowTheFailingLevel() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup c = chain("/p/c").misc();
        fs.write("/p", "misc.max", "sgx_epc 8192");
        assertThat(misc.tryCharge(SGX_EPC, c, PAGE)).isTrue();
        assertThat(misc.tryCharge(SGX_EPC, c, 2 * PAGE)).isFalse();
        // c's watermark was raised to 3 pages before p's limit was found exceeded (spec 1.4).
        assertThat(fs.read("/p/c", "misc.peak")).isEqualTo("sgx_epc 12288\n");
        assertThat(fs.read("/p/c", "misc.current")).isEqualTo("sgx_epc 4096\n");
        // the failing level and the levels above it never saw the tentative usage.
        assertThat(fs.read("/p", "misc.peak")).isEqualTo("sgx_epc 4096\n");
        assertThat(fs.read("/", "misc.peak")).isEqualTo("sgx_epc 4096\n");
        misc.uncharge(SGX_EPC, c, PAGE);
    }

    @Test
    void limitsBelowUsageAreNonPreemptive() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup a = chain("/a").misc();
        assertThat(misc.tryCharge(SGX_EPC, a, 4 * PAGE)).isTrue();
        fs.write("/a", "misc.max", "sgx_epc 8192");
        assertThat(a.usage(SGX_EPC)).isEqualTo(4 * PAGE);
        assertThat(misc.tryCharge(SGX_EPC, a, PAGE)).isFalse();
        misc.uncharge(SGX_EPC, a, 3 * PAGE);
        assertThat(misc.tryCharge(SGX_EPC, a, PAGE)).isTrue();
        assertThat(misc.tryCharge(SGX_EPC, a, PAGE)).isFalse();
        assertThat(a.events(SGX_EPC)).isEqualTo(2);
        misc.uncharge(SGX_EPC, a, 2 * PAGE);
    }

    @Test
    void aChildLimitAboveItsParentsIsBoundedByTheParent() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup c = chain("/p/c").misc();
        fs.write("/p", "misc.max", "sgx_epc 8192");
        fs.write("/p/c", "misc.max", "sgx_epc 1048576");
        assertThat(misc.tryCharge(SGX_EPC, c, 2 * PAGE)).isTrue();
        assertThat(misc.tryCharge(SGX_EPC, c, PAGE)).isFalse();
        assertThat(css("/p").eventsLocal(SGX_EPC)).isEqualTo(1);
        assertThat(c.eventsLocal(SGX_EPC)).isZero();
        misc.uncharge(SGX_EPC, c, 2 * PAGE);
    }

    @Test
    void limitsAboveCapacityAreAllowedAndTheRootIsBoundedByCapacity() {
        misc.setCapacity(SGX_EPC, 16 * PAGE);
        MiscCgroup a = chain("/a").misc();
        fs.mkdir("/b");
        MiscCgroup b = css("/b");
        fs.write("/a", "misc.max", "sgx_epc 1099511627776");
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sgx_epc 1099511627776\n");
        assertThat(misc.tryCharge(SGX_EPC, a, 10 * PAGE)).isTrue();
        assertThat(misc.tryCharge(SGX_EPC, b, 6 * PAGE)).isTrue();
        assertThat(misc.tryCharge(SGX_EPC, b, PAGE)).isFalse();
        assertThat(misc.tryCharge(SGX_EPC, a, PAGE)).isFalse();
        // capacity failures happen at the root: recorded there only, where no file shows them.
        assertThat(misc.root().eventsLocal(SGX_EPC)).isEqualTo(2);
        assertThat(misc.root().events(SGX_EPC)).isZero();
        assertThat(fs.read("/a", "misc.events")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read("/b", "misc.events.local")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 65536\n");
        misc.uncharge(SGX_EPC, a, 10 * PAGE);
        misc.uncharge(SGX_EPC, b, 6 * PAGE);
    }

    @Test
    void theCapacityCheckAlsoAppliesBelowTheRoot() {
        misc.setCapacity(SGX_EPC, 4 * PAGE);
        MiscCgroup a = chain("/a").misc();
        // 5 pages exceed the capacity already at /a, whose limit is "max": the event is /a's.
        assertThat(misc.tryCharge(SGX_EPC, a, 5 * PAGE)).isFalse();
        assertThat(a.eventsLocal(SGX_EPC)).isEqualTo(1);
        assertThat(misc.root().eventsLocal(SGX_EPC)).isZero();
    }

    @Test
    void amountsAreUnsigned() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup a = chain("/a").misc();
        assertThat(misc.tryCharge(SGX_EPC, a, -1L)).isFalse();
        assertThat(a.usage(SGX_EPC)).isZero();
        assertThat(a.eventsLocal(SGX_EPC)).isEqualTo(1);
    }

    @Test
    void invalidChargesAreEinvalAndZeroAmountsSucceed() {
        MiscCgroup root = misc.root();
        assertThat(errno(() -> misc.tryCharge(SGX_EPC, root, PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> misc.tryCharge(SGX_EPC, root, 0))).isEqualTo(Errno.EINVAL);
        misc.setCapacity(SGX_EPC, CAPACITY);
        assertThat(errno(() -> misc.tryCharge(SGX_EPC, null, PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> misc.tryCharge(null, root, PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> misc.tryCharge(SEV, root, 1))).isEqualTo(Errno.EINVAL);
        MiscCgroup a = chain("/a").misc();
        fs.write("/a", "misc.max", "sgx_epc 0");
        assertThat(misc.tryCharge(SGX_EPC, a, 0)).isTrue();
        assertThat(a.events(SGX_EPC)).isZero();
        misc.uncharge(SGX_EPC, null, PAGE);
        misc.uncharge(null, a, PAGE);
        misc.uncharge(SGX_EPC, a, 0);
        assertThat(a.usage(SGX_EPC)).isZero();
    }

    @Test
    void anUnbalancedUnchargeWarnsOnceAndShowsTheWrappedValue() {
        CgroupHierarchy other = new CgroupHierarchy();
        other.misc().setCapacity(SGX_EPC, CAPACITY);
        other.misc().uncharge(SGX_EPC, other.misc().root(), PAGE);
        other.misc().uncharge(SGX_EPC, other.misc().root(), PAGE);
        assertThat(other.warnings()).containsExactly("misc cgroup resource sgx_epc became less than 0");
        assertThat(other.fs().read("/", "misc.current")).isEqualTo("sgx_epc 18446744073709543424\n");
        assertThat(CgroupInvariants.violations(other)).isNotEmpty();
    }

    @Test
    void movingATaskLeavesItsChargesBehind() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        chain("/a");
        fs.mkdir("/b");
        HostTask t = h.spawn("w");
        fs.write(t, "/a", "cgroup.procs", "0");
        MiscCgroup first = misc.getTaskCgroup(t);
        assertThat(misc.tryCharge(SGX_EPC, first, 2 * PAGE)).isTrue();
        fs.write("/b", "cgroup.procs", Integer.toString(t.pid()));
        MiscCgroup second = misc.getTaskCgroup(t);
        assertThat(second.cgroup().path()).isEqualTo("/b");
        assertThat(misc.tryCharge(SGX_EPC, second, PAGE)).isTrue();
        assertThat(fs.read("/a", "misc.current")).isEqualTo("sgx_epc 8192\n");
        assertThat(fs.read("/b", "misc.current")).isEqualTo("sgx_epc 4096\n");
        misc.uncharge(SGX_EPC, first, 2 * PAGE);
        misc.uncharge(SGX_EPC, second, PAGE);
        first.put();
        second.put();
        assertThat(fs.read("/a", "misc.current")).isEqualTo("sgx_epc 0\n");
    }

    @Test
    void tasksWhereMiscIsNotEnabledChargeTheNearestAncestor() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
        fs.mkdir("/a/b"); // /a does not enable misc for /a/b
        assertThat(fs.list("/a/b")).doesNotContain("misc.current");
        HostTask t = h.spawn("w");
        fs.write(t, "/a/b", "cgroup.procs", "0");
        MiscCgroup cg = misc.getTaskCgroup(t);
        assertThat(cg).isSameAs(css("/a"));
        cg.put();
        fs.write("/", "cgroup.procs", Integer.toString(t.pid()));
        MiscCgroup root = misc.getTaskCgroup(t);
        assertThat(root).isSameAs(misc.root());
        root.put();
    }

    @Test
    void chargesOutliveRmdirUntilUnchargedAndTheCssIsReleasedWithTheLastReference() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        chain("/p/c");
        MiscCgroup c = css("/p/c");
        c.get(); // like an EPC page holding its cgroup
        assertThat(misc.tryCharge(SGX_EPC, c, 3 * PAGE)).isTrue();
        fs.rmdir("/p/c");
        assertThat(c.isOnline()).isFalse();
        assertThat(c.isReleased()).isFalse();
        assertThat(fs.read("/p", "misc.current")).isEqualTo("sgx_epc 12288\n");
        assertThat(css("/p").descendantsPre()).containsExactly(css("/p"), c);
        misc.uncharge(SGX_EPC, c, 3 * PAGE);
        c.put();
        assertThat(c.isReleased()).isTrue();
        assertThat(css("/p").descendantsPre()).containsExactly(css("/p"));
        assertThat(fs.read("/p", "misc.current")).isEqualTo("sgx_epc 0\n");
        assertThat(c.tryGet()).isFalse();
    }

    @Test
    void eventsOfReleasedChildrenStayInTheParentsCount() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        chain("/p/c");
        fs.write("/p/c", "misc.max", "sgx_epc 0");
        assertThat(misc.tryCharge(SGX_EPC, css("/p/c"), PAGE)).isFalse();
        fs.rmdir("/p/c");
        assertThat(fs.read("/p", "misc.events")).isEqualTo("sgx_epc.max 1\n");
    }
}
