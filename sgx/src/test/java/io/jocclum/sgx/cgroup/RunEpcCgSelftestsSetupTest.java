package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cgroup side of the v17 selftest script run_epc_cg_selftests.sh (spec section 4): S0's setup
 * through the file interface exactly as the script does it, the misc-level effects S1 expects, the
 * memory.max value S6 writes, S7's leak check and the cleanup. The EPC workload itself belongs to
 * the driver's port of S1-S7; here the charges are made directly.
 */
class RunEpcCgSelftestsSetupTest extends CgroupTestBase {
    private static final String TEST_ROOT = "/sgx_kselftest";
    private static final String SMALL_PARENT = TEST_ROOT + "/sgx_test_small_parent";
    private static final String SMALL = SMALL_PARENT + "/sgx_test_small";
    private static final String LARGE = TEST_ROOT + "/sgx_test_large";
    private static final String LARGER = TEST_ROOT + "/sgx_test_larger";

    private long c;

    private void s0Setup() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        assertThat(errno(() -> fs.cgroup(TEST_ROOT))).isEqualTo(Errno.ENOENT);
        for (String p : new String[] {TEST_ROOT, SMALL_PARENT, LARGE, SMALL, LARGER}) {
            fs.mkdir(p);
        }
        fs.write("/", "cgroup.subtree_control", "+misc +memory");
        fs.write(TEST_ROOT, "cgroup.subtree_control", "+misc +memory");
        fs.write(SMALL_PARENT, "cgroup.subtree_control", "+misc");
        String capacity = fs.read("/", "misc.capacity");
        assertThat(capacity).startsWith("sgx_epc ");
        c = Long.parseLong(capacity.substring("sgx_epc ".length()).strip());
        fs.write(SMALL_PARENT, "misc.max", "sgx_epc " + c / 512);
        fs.write(LARGE, "misc.max", "sgx_epc " + 4 * (c / 512));
        fs.write(LARGER, "misc.max", "sgx_epc " + c);
    }

    @Test
    void s0SetupReadsBackTheLimits() {
        s0Setup();
        assertThat(c).isEqualTo(CAPACITY);
        assertThat(fs.read(SMALL_PARENT, "misc.max")).isEqualTo("sgx_epc 262144\n");
        assertThat(fs.read(LARGE, "misc.max")).isEqualTo("sgx_epc 1048576\n");
        assertThat(fs.read(LARGER, "misc.max")).isEqualTo("sgx_epc 134217728\n");
        assertThat(fs.read(SMALL, "misc.max")).isEqualTo("sgx_epc max\n");
        assertThat(fs.list(SMALL)).doesNotContain("memory.max"); // small_parent enables only misc
        assertThat(fs.list(LARGE)).contains("memory.max");
        s7LeakCheckAndCleanup();
    }

    @Test
    void s0SkipsWhenTheTestRootExists() {
        fs.mkdir(TEST_ROOT);
        assertThat(errno(() -> fs.mkdir(TEST_ROOT))).isEqualTo(Errno.EEXIST);
        fs.rmdir(TEST_ROOT);
    }

    @Test
    void s1ChargesInTheSmallChildHitTheParentsLimit() {
        s0Setup();
        HostTask w = h.spawn("ash_cgexec.sh");
        fs.write(w, SMALL, "cgroup.procs", "0");
        MiscCgroup cg = misc.getTaskCgroup(w);
        assertThat(cg.cgroup().path()).isEqualTo(SMALL);
        List<Long> charged = new ArrayList<>();
        while (misc.tryCharge(SGX_EPC, cg, PAGE)) {
            charged.add(PAGE);
        }
        assertThat(charged).hasSize((int) (c / 512 / PAGE));
        assertThat(fs.read(SMALL_PARENT, "misc.events")).isEqualTo("sgx_epc.max 1\n");
        assertThat(fs.read(SMALL_PARENT, "misc.events.local")).isEqualTo("sgx_epc.max 1\n");
        assertThat(fs.read(TEST_ROOT, "misc.events")).isEqualTo("sgx_epc.max 1\n");
        assertThat(fs.read(TEST_ROOT, "misc.events.local")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read(SMALL, "misc.events")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read(SMALL, "misc.events.local")).isEqualTo("sgx_epc.max 0\n");
        for (long amount : charged) {
            misc.uncharge(SGX_EPC, cg, amount);
        }
        cg.put();
        h.exit(w);
        s7LeakCheckAndCleanup();
    }

    @Test
    void s6MemoryMaxAndSwapSwitch() {
        s0Setup();
        long memMax = c - 2 * 4 * (c / 512);
        fs.write(LARGE, "memory.max", Long.toString(memMax));
        assertThat(fs.read(LARGE, "memory.max")).isEqualTo("132120576\n");
        mem.setSwapEnabled(false);
        HostTask w = h.spawn("w");
        fs.write(w, LARGE, "cgroup.procs", "0");
        MemCgroup m = mem.getTaskMemcg(w);
        assertThat(m.cgroup().path()).isEqualTo(LARGE);
        // backing store of a C-sized enclave: C of contents plus C/32 of PCMD does not fit
        long pages = c / PAGE + c / 32 / PAGE;
        long charged = 0;
        while (charged < pages && mem.tryChargePages(m, 1)) {
            charged++;
        }
        assertThat(charged).isEqualTo(memMax / PAGE);
        assertThat(fs.read(LARGE, "memory.events")).contains("oom 1\n");
        mem.unchargePages(m, charged);
        m.put();
        h.exit(w);
        mem.setSwapEnabled(true);
        s7LeakCheckAndCleanup();
    }

    private void s7LeakCheckAndCleanup() {
        assertThat(fs.read(TEST_ROOT, "misc.current")).isEqualTo("sgx_epc 0\n");
        for (String p : new String[] {SMALL, SMALL_PARENT, LARGE, LARGER, TEST_ROOT}) {
            fs.rmdir(p);
        }
        assertThat(fs.list("/")).doesNotContain("sgx_kselftest");
    }
}
