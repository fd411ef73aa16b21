package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** mkdir/rmdir, cgroup.procs, cgroup.subtree_control, cgroup.controllers, paths. */
class CgroupTreeTest extends CgroupTestBase {

    @Test
    void mkdirCreatesPathsAndRejectsExistingOnesWithEexist() {
        Cgroup a = fs.mkdir("/a");
        Cgroup b = fs.mkdir("a/b/");
        assertThat(a.path()).isEqualTo("/a");
        assertThat(b.path()).isEqualTo("/a/b");
        assertThat(b.parent()).isSameAs(a);
        assertThat(fs.cgroup("/a/./b/../b")).isSameAs(b);
        assertThat(fs.cgroup("/..")).isSameAs(h.root());
        assertThat(fs.cgroup("")).isSameAs(h.root());
        assertThat(errno(() -> fs.mkdir("/a"))).isEqualTo(Errno.EEXIST);
        assertThat(errno(() -> fs.mkdir("/"))).isEqualTo(Errno.EEXIST);
        assertThat(errno(() -> fs.mkdir("/a/."))).isEqualTo(Errno.EEXIST);
        assertThat(errno(() -> fs.mkdir("/a/.."))).isEqualTo(Errno.EEXIST);
        assertThat(errno(() -> fs.mkdir("/cgroup.procs"))).isEqualTo(Errno.EEXIST);
        assertThat(fs.list("/")).containsExactly("a", "cgroup.controllers", "cgroup.procs",
                "cgroup.subtree_control", "misc.capacity", "misc.current", "misc.peak");
    }

    @Test
    void mkdirLookupErrorsFollowTheVfs() {
        assertThat(errno(() -> fs.mkdir("/x/y"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.mkdir("/cgroup.procs/y"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> fs.mkdir("/" + "n".repeat(256)))).isEqualTo(Errno.ENAMETOOLONG);
        assertThat(fs.mkdir("/" + "n".repeat(255)).name()).hasSize(255);
        assertThat(errno(() -> fs.mkdir("/bad\nname"))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> fs.cgroup("/nope"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.read("/nope", "cgroup.procs"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.read("/", "nope"))).isEqualTo(Errno.ENOENT);
        fs.mkdir("/a");
        assertThat(errno(() -> fs.read("/", "a"))).isEqualTo(Errno.EISDIR);
        assertThat(errno(() -> fs.read("/a/..", ""))).isEqualTo(Errno.EISDIR);
        assertThat(errno(() -> fs.read("/cgroup.procs", "x"))).isEqualTo(Errno.ENOTDIR);
    }

    @Test
    void aChildNamedLikeAnAbsentInterfaceFileBlocksEnablingTheController() {
        fs.mkdir("/a");
        fs.mkdir("/a/misc.max"); // /a has no misc files yet, so this is a plain name
        assertThat(errno(() -> fs.write("/", "cgroup.subtree_control", "+misc"))).isEqualTo(Errno.EEXIST);
        assertThat(fs.read("/", "cgroup.subtree_control")).isEmpty();
        fs.rmdir("/a/misc.max");
        fs.write("/", "cgroup.subtree_control", "+misc");
        assertThat(errno(() -> fs.mkdir("/a/misc.max"))).isEqualTo(Errno.EEXIST);
    }

    @Test
    void rmdirErrors() {
        fs.mkdir("/a");
        fs.mkdir("/a/b");
        assertThat(errno(() -> fs.rmdir("/"))).isEqualTo(Errno.EBUSY);
        assertThat(errno(() -> fs.rmdir("/x"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.rmdir("/x/y"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.rmdir("/a"))).isEqualTo(Errno.EBUSY);
        assertThat(errno(() -> fs.rmdir("/cgroup.procs"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> fs.rmdir("/a/b/."))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> fs.rmdir("/a/b/.."))).isEqualTo(Errno.ENOTEMPTY);
        HostTask t = h.spawn("t");
        fs.write("/a/b", "cgroup.procs", Integer.toString(t.pid()));
        assertThat(errno(() -> fs.rmdir("/a/b"))).isEqualTo(Errno.EBUSY);
        h.exit(t);
        Cgroup b = fs.cgroup("/a/b");
        fs.rmdir("/a/b");
        assertThat(b.isOnline()).isFalse();
        assertThat(errno(() -> h.rmdir(b))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.read("/a/b", "cgroup.procs"))).isEqualTo(Errno.ENOENT);
        fs.rmdir("/a");
        assertThat(fs.list("/")).doesNotContain("a");
        assertThat(fs.mkdir("/a")).isNotSameAs(b.parent());
    }

    @Test
    void rmdirIsAllowedWithChargesButNoTasks() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup a = chain("/a").misc();
        a.get();
        assertThat(misc.tryCharge(SGX_EPC, a, PAGE)).isTrue();
        fs.rmdir("/a");
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 4096\n");
        misc.uncharge(SGX_EPC, a, PAGE);
        a.put();
    }

    @Test
    void procsListsMembersAndMovesByPid() {
        fs.mkdir("/a");
        HostTask t1 = h.spawn("one");
        HostTask t2 = h.spawn("two");
        assertThat(fs.read("/", "cgroup.procs")).isEqualTo(t1.pid() + "\n" + t2.pid() + "\n");
        assertThat(fs.write("/a", "cgroup.procs", t2.pid() + "\n")).isEqualTo(String.valueOf(t2.pid()).length() + 1);
        assertThat(t2.cgroup().path()).isEqualTo("/a");
        assertThat(fs.read("/a", "cgroup.procs")).isEqualTo(t2.pid() + "\n");
        assertThat(fs.read("/", "cgroup.procs")).isEqualTo(t1.pid() + "\n");
        assertThat(fs.read("/a", "cgroup.events")).isEqualTo("populated 1\nfrozen 0\n");
        HostTask child = h.fork(t2, "child");
        assertThat(child.cgroup().path()).isEqualTo("/a");
        fs.write("/a", "cgroup.procs", "0x" + Integer.toHexString(t1.pid()));
        assertThat(t1.cgroup().path()).isEqualTo("/a");
        h.exit(t1);
        h.exit(t2);
        h.exit(child);
        assertThat(fs.read("/a", "cgroup.procs")).isEmpty();
        assertThat(fs.read("/a", "cgroup.events")).isEqualTo("populated 0\nfrozen 0\n");
    }

    @Test
    void writingZeroMovesTheWriterAsAshCgexecDoes() {
        fs.mkdir("/sgx_kselftest");
        HostTask shell = h.spawn("ash_cgexec.sh");
        fs.write(shell, "/sgx_kselftest", "cgroup.procs", "0");
        assertThat(shell.cgroup().path()).isEqualTo("/sgx_kselftest");
        assertThat(errno(() -> fs.write("/sgx_kselftest", "cgroup.procs", "0"))).isEqualTo(Errno.EINVAL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "-1", "1 2", "1.0", "2147483648", "0x", "+"})
    void malformedPidsAreEinval(String text) {
        fs.mkdir("/a");
        h.spawn("t");
        assertThat(errno(() -> fs.write("/a", "cgroup.procs", text))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void unknownPidsAreEsrch() {
        fs.mkdir("/a");
        HostTask t = h.spawn("t");
        h.exit(t);
        assertThat(errno(() -> fs.write("/a", "cgroup.procs", Integer.toString(t.pid())))).isEqualTo(Errno.ESRCH);
        assertThat(errno(() -> fs.write("/a", "cgroup.procs", "99999"))).isEqualTo(Errno.ESRCH);
        assertThat(errno(() -> h.attach(t, h.root()))).isEqualTo(Errno.ESRCH);
    }

    @Test
    void noInternalProcesses() {
        fs.mkdir("/a");
        fs.mkdir("/a/b");
        HostTask t = h.spawn("t");
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.write("/a", "cgroup.subtree_control", "+misc");
        assertThat(errno(() -> fs.write("/a", "cgroup.procs", Integer.toString(t.pid())))).isEqualTo(Errno.EBUSY);
        fs.write("/a/b", "cgroup.procs", Integer.toString(t.pid()));
        // a cgroup with tasks cannot start enabling controllers
        assertThat(errno(() -> fs.write("/a/b", "cgroup.subtree_control", "+misc"))).isEqualTo(Errno.EBUSY);
        // the root is exempt
        HostTask r = h.spawn("r");
        fs.write("/", "cgroup.subtree_control", "+memory");
        fs.write("/", "cgroup.procs", Integer.toString(r.pid()));
        assertThat(r.cgroup()).isSameAs(h.root());
        // disabling is allowed with tasks
        fs.write("/", "cgroup.subtree_control", "-memory");
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("misc\n");
    }

    @Test
    void subtreeControlParsesLikeTheKernel() {
        assertThat(fs.read("/", "cgroup.controllers")).isEqualTo("memory misc\n");
        assertThat(fs.read("/", "cgroup.subtree_control")).isEmpty();
        assertThat(fs.write("/", "cgroup.subtree_control", "+misc\n")).isEqualTo(6);
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("misc\n");
        fs.write("/", "cgroup.subtree_control", "  +memory   +misc ");
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("memory misc\n");
        fs.write("/", "cgroup.subtree_control", "-memory +memory");
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("memory misc\n");
        fs.write("/", "cgroup.subtree_control", "+memory -memory");
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("misc\n");
        fs.write("/", "cgroup.subtree_control", "");
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("misc\n");
        for (String bad : new String[] {"+cpu", "misc", "+", "-", "*misc", "+misc\t+memory", "+Misc", "+misc,+memory"}) {
            assertThat(errno(() -> fs.write("/", "cgroup.subtree_control", bad))).as(bad).isEqualTo(Errno.EINVAL);
        }
        assertThat(fs.read("/", "cgroup.subtree_control")).isEqualTo("misc\n");
    }

    @Test
    void enablingNeedsTheControllerInCgroupControllersAndDisablingNeedsNoChildUser() {
        fs.mkdir("/a");
        fs.mkdir("/a/b");
        assertThat(fs.read("/a", "cgroup.controllers")).isEmpty();
        assertThat(errno(() -> fs.write("/a", "cgroup.subtree_control", "+misc"))).isEqualTo(Errno.ENOENT);
        fs.write("/", "cgroup.subtree_control", "+misc");
        assertThat(fs.read("/a", "cgroup.controllers")).isEqualTo("misc\n");
        fs.write("/a", "cgroup.subtree_control", "+misc");
        assertThat(fs.read("/a/b", "cgroup.controllers")).isEqualTo("misc\n");
        assertThat(errno(() -> fs.write("/", "cgroup.subtree_control", "-misc"))).isEqualTo(Errno.EBUSY);
        // disabling something not enabled is ignored
        fs.write("/a", "cgroup.subtree_control", "-memory");
        fs.write("/a", "cgroup.subtree_control", "-misc");
        fs.write("/", "cgroup.subtree_control", "-misc");
        assertThat(fs.list("/a")).doesNotContain("misc.current");
        assertThat(h.root().subtreeControl()).isEmpty();
        assertThat(fs.cgroup("/a").controllers()).isEmpty();
    }

    @Test
    void reenablingMiscGivesFreshCountersWhileOldChargesStayAbove() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        MiscCgroup old = chain("/a").misc();
        old.get();
        fs.write("/a", "misc.max", "sgx_epc 8192");
        assertThat(misc.tryCharge(SGX_EPC, old, PAGE)).isTrue();
        fs.write("/", "cgroup.subtree_control", "-misc");
        assertThat(old.isOnline()).isFalse();
        HostTask t = h.spawn("t");
        fs.write(t, "/a", "cgroup.procs", "0");
        MiscCgroup now = misc.getTaskCgroup(t);
        assertThat(now).isSameAs(misc.root());
        now.put();
        h.exit(t);
        fs.write("/", "cgroup.subtree_control", "+misc");
        MiscCgroup fresh = fs.cgroup("/a").misc();
        assertThat(fresh).isNotSameAs(old);
        assertThat(fs.read("/a", "misc.current")).isEqualTo("sgx_epc 0\n");
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sgx_epc max\n");
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 4096\n");
        assertThat(misc.root().descendantsPre()).containsExactly(misc.root(), old, fresh);
        misc.uncharge(SGX_EPC, old, PAGE);
        old.put();
        assertThat(misc.root().descendantsPre()).containsExactly(misc.root(), fresh);
    }

    @Test
    void typedApiRejectsForeignCgroupsAndOverlappingSets() {
        CgroupHierarchy other = new CgroupHierarchy();
        assertThatThrownBy(() -> h.mkdir(other.root(), "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.mkdir(h.root(), "a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.setSubtreeControl(h.root(), Set.of(Controller.MISC), Set.of(Controller.MISC)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(h.root().controllers()).containsExactly(Controller.MEMORY, Controller.MISC);
    }
}
