package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static io.jocclum.sgx.cgroup.MiscResource.TDX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Per-resource alloc/free callbacks and private state (v17 patch 02, spec 2.1). */
class MiscOpsTest extends CgroupTestBase {

    /** Per-cgroup state of a fake resource owner. */
    record State(String path) {
    }

    /** Records every callback; fails alloc for paths listed in {@link #failFor}. */
    static final class RecordingOps implements MiscResOps<State> {
        final List<String> log = new ArrayList<>();
        final List<String> failFor = new ArrayList<>();
        final String tag;

        RecordingOps(String tag) {
            this.tag = tag;
        }

        @Override
        public State alloc(MiscCgroup cg) {
            String p = cg.cgroup().path();
            if (failFor.contains(p)) {
                log.add(tag + " alloc-fail " + p);
                throw Errno.ENOMEM.exception("no memory for " + p);
            }
            log.add(tag + " alloc " + p);
            return new State(p);
        }

        @Override
        public void free(MiscCgroup cg, State priv) {
            assertThat(priv.path()).isEqualTo(cg.cgroup().path());
            log.add(tag + " free " + cg.cgroup().path());
        }
    }

    @Test
    void allocRunsForEveryNewMiscCgroupAndFreeWhenItIsReleased() {
        RecordingOps ops = new RecordingOps("epc");
        State rootState = new State("/");
        misc.setOps(SGX_EPC, ops, rootState);
        misc.setCapacity(SGX_EPC, CAPACITY);
        assertThat(misc.root().<State>priv(SGX_EPC)).isSameAs(rootState);
        chain("/a/b");
        assertThat(ops.log).containsExactly("epc alloc /a", "epc alloc /a/b");
        assertThat(fs.cgroup("/a/b").misc().<State>priv(SGX_EPC)).isEqualTo(new State("/a/b"));

        MiscCgroup b = fs.cgroup("/a/b").misc();
        b.get();
        fs.rmdir("/a/b");
        assertThat(ops.log).hasSize(2); // still referenced
        assertThat(b.<State>priv(SGX_EPC)).isNotNull();
        b.put();
        assertThat(ops.log).containsExactly("epc alloc /a", "epc alloc /a/b", "epc free /a/b");
        assertThat(b.<State>priv(SGX_EPC)).isNull();
    }

    @Test
    void noCallbacksWhileTheResourceHasNoCapacity() {
        RecordingOps ops = new RecordingOps("epc");
        misc.setOps(SGX_EPC, ops, new State("/"));
        chain("/a");
        fs.rmdir("/a");
        assertThat(ops.log).isEmpty();
        assertThat(misc.capacity(SGX_EPC)).isZero();
    }

    @Test
    void disablingAndReenablingMiscFreesAndAllocatesAgain() {
        RecordingOps ops = new RecordingOps("epc");
        misc.setOps(SGX_EPC, ops, new State("/"));
        misc.setCapacity(SGX_EPC, CAPACITY);
        chain("/a");
        fs.write("/", "cgroup.subtree_control", "-misc");
        fs.write("/", "cgroup.subtree_control", "+misc");
        assertThat(ops.log).containsExactly("epc alloc /a", "epc free /a", "epc alloc /a");
    }

    @Test
    void aFailingAllocFailsTheMkdirWithItsErrnoAndFreesOnlyWhatWasAllocated() {
        RecordingOps epc = new RecordingOps("epc");
        RecordingOps tdx = new RecordingOps("tdx");
        misc.setOps(SGX_EPC, epc, new State("/"));
        misc.setOps(TDX, tdx, new State("/"));
        misc.setCapacity(SGX_EPC, CAPACITY);
        misc.setCapacity(TDX, 64);
        enableAll();
        tdx.failFor.add("/a");
        assertThat(errno(() -> fs.mkdir("/a"))).isEqualTo(Errno.ENOMEM);
        assertThat(epc.log).containsExactly("epc alloc /a", "epc free /a");
        assertThat(tdx.log).containsExactly("tdx alloc-fail /a");
        assertThat(errno(() -> fs.cgroup("/a"))).isEqualTo(Errno.ENOENT);
        tdx.failFor.clear();
        fs.mkdir("/a");
        assertThat(fs.cgroup("/a").misc().<State>priv(TDX)).isEqualTo(new State("/a"));
    }

    @Test
    void aFailingAllocFailsTheSubtreeControlWriteAndRollsBack() {
        RecordingOps epc = new RecordingOps("epc");
        misc.setOps(SGX_EPC, epc, new State("/"));
        misc.setCapacity(SGX_EPC, CAPACITY);
        fs.mkdir("/a");
        fs.mkdir("/b");
        epc.failFor.add("/b");
        assertThat(errno(() -> fs.write("/", "cgroup.subtree_control", "+misc"))).isEqualTo(Errno.ENOMEM);
        assertThat(fs.read("/", "cgroup.subtree_control")).isEmpty();
        assertThat(fs.list("/a")).doesNotContain("misc.max");
        assertThat(epc.log).containsExactly("epc alloc /a", "epc alloc-fail /b", "epc free /a");
    }

    @Test
    void freeNeverRunsUnderTheCgroupMutex() {
        List<Boolean> heldAtFree = new ArrayList<>();
        misc.setOps(SGX_EPC, new MiscResOps<String>() {
            @Override
            public String alloc(MiscCgroup cg) {
                assertThat(h.mutex.isHeldByCurrentThread()).isTrue();
                return "x";
            }

            @Override
            public void free(MiscCgroup cg, String priv) {
                heldAtFree.add(h.mutex.isHeldByCurrentThread());
            }
        }, "root");
        misc.setCapacity(SGX_EPC, CAPACITY);
        chain("/a/b");
        fs.mkdir("/a/c");
        fs.rmdir("/a/b");
        fs.write("/a", "cgroup.subtree_control", "-misc");
        assertThat(heldAtFree).containsExactly(false, false);
    }

    @Test
    void opsAreSetOnceBeforeChildMiscCgroupsExist() {
        RecordingOps ops = new RecordingOps("epc");
        misc.setOps(SGX_EPC, ops, new State("/"));
        assertThatThrownBy(() -> misc.setOps(SGX_EPC, ops, new State("/"))).isInstanceOf(IllegalStateException.class);
        chain("/a");
        assertThatThrownBy(() -> misc.setOps(TDX, new RecordingOps("tdx"), new State("/")))
                .isInstanceOf(IllegalStateException.class);
        // capacity cannot turn on now: /a was created without the resource's state
        assertThatThrownBy(() -> misc.setCapacity(SGX_EPC, CAPACITY)).isInstanceOf(IllegalStateException.class);
        fs.rmdir("/a");
        misc.setCapacity(SGX_EPC, CAPACITY);
        fs.mkdir("/a");
        assertThat(ops.log).containsExactly("epc alloc /a");
    }
}
