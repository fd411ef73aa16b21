package io.jocclum.sgx.epccg;

import io.jocclum.sgx.cgroup.CgroupHierarchy;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.MiscCgroup;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code sgx_cgroup_next_get()} and {@code sgx_cgroup_next_skip()} (spec 2.4): each reclaim root
 * has its own cursor walking its subtree in pre-order and wrapping to itself; a freed cgroup moves
 * every cursor that points at it; dying cgroups with charges are still visited.
 */
@ExtendWith(SgxInvariantsExtension.class)
class FairIteratorTest {

    private static List<String> walk(SgxCgroup root, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            MiscCgroup m = root.nextGet();
            out.add(m.cgroup().path());
            m.put();
        }
        return out;
    }

    @Test
    void eachRootsCursorWalksItsSubtreeInPreOrderAndWraps() {
        EpcCg f = new EpcCg(256).mkdir("/A", -1).mkdir("/A/A1", -1).mkdir("/B", -1);
        assertThat(walk(f.ctl.root(), 6)).containsExactly("/", "/A", "/A/A1", "/B", "/", "/A");
        assertThat(walk(f.group("/A"), 4)).containsExactly("/A", "/A/A1", "/A", "/A/A1");
        assertThat(walk(f.group("/B"), 2)).containsExactly("/B", "/B");
        assertThat(walk(f.ctl.root(), 2)).as("the root's cursor kept its place").containsExactly("/A/A1", "/B");
    }

    @Test
    void aFreedCgroupMovesEveryCursorPointingAtIt() {
        EpcCg f = new EpcCg(256).mkdir("/A", -1).mkdir("/A/A1", -1).mkdir("/B", -1);
        walk(f.ctl.root(), 2);                 // the root's cursor is at /A/A1
        walk(f.group("/A"), 1);                // /A's cursor is at /A/A1
        assertThat(f.group("/A").cursor().cgroup().path()).isEqualTo("/A/A1");
        MiscCgroup a1 = f.fs.cgroup("/A/A1").misc();
        f.fs.rmdir("/A/A1");
        assertThat(a1.isReleased()).as("nothing held it").isTrue();
        assertThat(f.ctl.root().cursor().cgroup().path()).isEqualTo("/B");
        assertThat(f.group("/A").cursor().cgroup().path()).as("wrapped to /A itself").isEqualTo("/A");
        assertThat(walk(f.ctl.root(), 3)).containsExactly("/B", "/", "/A");
    }

    @Test
    void dyingCgroupsWithChargesAreStillVisitedUntilReleased() {
        EpcCg f = new EpcCg(256).mkdir("/A", -1).mkdir("/B", -1);
        HostTask t = f.task("w", "/B");
        EnclaveFd fd = SgxTestSupport.load(f.p, t, SgxTestSupport.image(1 << 20, 4));
        f.p.exit(t);
        MiscCgroup b = f.fs.cgroup("/B").misc();
        f.fs.rmdir("/B");
        assertThat(b.isOnline()).isFalse();
        assertThat(walk(f.ctl.root(), 3)).containsExactly("/", "/A", "/B");
        fd.close();
        assertThat(b.isReleased()).isTrue();
        assertThat(walk(f.ctl.root(), 3)).containsExactly("/", "/A", "/");
    }

    @Test
    void aCursorWhoseWholeSubtreeIsReleasedFindsNothing() {
        CgroupHierarchy h = new CgroupHierarchy();
        h.fs().write("/", "cgroup.subtree_control", "+misc");
        h.fs().mkdir("/a");
        MiscCgroup m = h.fs().cgroup("/a").misc();
        SgxCgroup a = new SgxCgroup(m);
        assertThat(walk(a, 2)).containsExactly("/a", "/a");
        h.fs().rmdir("/a");
        assertThat(m.isReleased()).isTrue();
        assertThat(a.nextGet()).as("no css of the subtree can be referenced").isNull();
        assertThat(a.cursor()).isSameAs(m);
    }
}
