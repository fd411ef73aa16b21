package io.jocclum.sgx.epccg;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.CgroupFs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.MiscResource;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxTestSupport;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A platform with the v17 controller (MANUAL ksgxd and work queue) and helpers that drive its cgroup
 * tree through cgroupfs, as a shell would. The invariant extension checks and closes it after the test.
 */
final class EpcCg {
    static final long PAGE = Pages.SIZE;

    final SgxPlatform p;
    final CgroupFs fs;
    final SgxEpcCgroup ctl;

    EpcCg(long epcPages) {
        this(SgxTestSupport.config(epcPages).epcCgroup(PlatformConfig.EpcCgroup.V17));
    }

    EpcCg(PlatformConfig.Builder config) {
        p = SgxTestSupport.platform(config.build());
        fs = p.cgroups().fs();
        ctl = (SgxEpcCgroup) p.controller();
    }

    /**
     * Creates {@code path} (parents first), enabling misc (and memory) in every parent's
     * subtree_control. {@code limitPages} < 0 leaves misc.max at "max".
     */
    EpcCg mkdir(String path, long limitPages) {
        String parent = path.substring(0, path.lastIndexOf('/'));
        String p0 = parent.isEmpty() ? "/" : parent;
        if (!fs.read(p0, "cgroup.subtree_control").contains("misc")) {
            fs.write(p0, "cgroup.subtree_control", "+misc +memory");
        }
        fs.mkdir(path);
        if (limitPages >= 0) {
            limit(path, limitPages);
        }
        return this;
    }

    void limit(String path, long pages) {
        fs.write(path, "misc.max", "sgx_epc " + pages * PAGE);
    }

    /** A task placed in {@code path} the ash_cgexec.sh way (it writes "0" to cgroup.procs). */
    HostTask task(String name, String path) {
        HostTask t = p.newTask(name);
        if (!path.equals("/")) {
            fs.write(t, path, "cgroup.procs", "0");
        }
        return t;
    }

    SgxCgroup group(String path) {
        return ctl.group(fs.cgroup(path));
    }

    /** misc.current of {@code path} in pages. */
    long usage(String path) {
        return fs.cgroup(path).misc().usage(MiscResource.SGX_EPC) / PAGE;
    }

    long events(String path) {
        return value(fs.read(path, "misc.events"));
    }

    long eventsLocal(String path) {
        return value(fs.read(path, "misc.events.local"));
    }

    private static long value(String flatKeyed) {
        assertThat(flatKeyed).startsWith("sgx_epc.max ");
        return Long.parseLong(flatKeyed.substring("sgx_epc.max ".length()).strip());
    }

    static void errno(Errno e, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(ErrnoException.class, x -> assertThat(x.errno()).isEqualTo(e));
    }
}
