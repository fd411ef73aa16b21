package io.jocclum.sgx.cgroup;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** css_next_descendant_pre(): the walk the sgx_epc reclaim cursor is built on (spec 2.4). */
class CssWalkTest extends CgroupTestBase {

    private List<String> walk(MiscCgroup root) {
        List<String> out = new ArrayList<>();
        for (MiscCgroup c = Css.nextDescendantPre(null, root); c != null; c = Css.nextDescendantPre(c, root)) {
            out.add(c.cgroup().path());
        }
        return out;
    }

    @Test
    void preOrderVisitsParentsBeforeChildrenInCreationOrder() {
        chain("/A/A1");
        fs.mkdir("/B");
        assertThat(walk(misc.root())).containsExactly("/", "/A", "/A/A1", "/B");
        assertThat(walk(fs.cgroup("/A").misc())).containsExactly("/A", "/A/A1");
        assertThat(walk(fs.cgroup("/B").misc())).containsExactly("/B");
        // creation order, not name order
        fs.mkdir("/0");
        assertThat(walk(misc.root())).containsExactly("/", "/A", "/A/A1", "/B", "/0");
    }

    @Test
    void theWalkContinuesFromACssReleasedSinceItWasReturned() {
        chain("/A/A1");
        fs.mkdir("/A/A2");
        fs.mkdir("/B");
        MiscCgroup root = misc.root();
        MiscCgroup a1 = fs.cgroup("/A/A1").misc();
        assertThat(Css.nextDescendantPre(fs.cgroup("/A").misc(), root)).isSameAs(a1);
        fs.rmdir("/A/A1");
        assertThat(a1.isReleased()).isTrue();
        assertThat(Css.nextDescendantPre(a1, root).cgroup().path()).isEqualTo("/A/A2");
        fs.rmdir("/A/A2");
        assertThat(Css.nextDescendantPre(a1, root).cgroup().path()).isEqualTo("/B");
    }

    @Test
    void dyingCssesAreVisitedUntilReleased() {
        chain("/A/A1");
        MiscCgroup a1 = fs.cgroup("/A/A1").misc();
        a1.get();
        fs.rmdir("/A/A1");
        assertThat(walk(misc.root())).containsExactly("/", "/A", "/A/A1");
        assertThat(a1.tryGet()).isTrue(); // dying but referenced: css_tryget succeeds
        a1.put();
        a1.put();
        assertThat(walk(misc.root())).containsExactly("/", "/A");
        assertThat(a1.tryGet()).isFalse();
    }

    @Test
    void walkingFromOutsideTheSubtreeIsMisuse() {
        chain("/A");
        fs.mkdir("/B");
        MiscCgroup a = fs.cgroup("/A").misc();
        MiscCgroup b = fs.cgroup("/B").misc();
        // detected when the walk climbs past the top without meeting its root
        assertThatThrownBy(() -> Css.nextDescendantPre(b, a)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void referenceMisuseIsCaught() {
        chain("/A");
        MiscCgroup a = fs.cgroup("/A").misc();
        fs.rmdir("/A");
        assertThatThrownBy(a::get).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(a::put).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> misc.tryCharge(MiscResource.SGX_EPC, a, 1)).isInstanceOf(RuntimeException.class);
    }
}
