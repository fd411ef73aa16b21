package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A fresh hierarchy per test, with the invariant checker run after every test. */
abstract class CgroupTestBase {
    static final long PAGE = Pages.SIZE;
    /** 128 MiB, the spec's example EPC capacity. */
    static final long CAPACITY = 128L << 20;

    final CgroupHierarchy h = new CgroupHierarchy();
    final CgroupFs fs = h.fs();
    final MiscController misc = h.misc();
    final MemoryController mem = h.memory();

    @AfterEach
    void checkInvariants() {
        CgroupInvariants.check(h);
    }

    /** The errno {@code call} fails with (fails the test if it does not throw an errno). */
    static Errno errno(ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected an ErrnoException").isInstanceOf(ErrnoException.class);
        return ((ErrnoException) t).errno();
    }

    /** Root with +misc +memory, capacity set, and the given chain of cgroups created. */
    void enableAll() {
        fs.write("/", "cgroup.subtree_control", "+misc +memory");
    }

    /** mkdir a chain like "/a/b/c", enabling misc and memory in every non-leaf level. */
    Cgroup chain(String path) {
        enableAll();
        String[] parts = path.substring(1).split("/");
        String cur = "";
        Cgroup cg = h.root();
        for (int i = 0; i < parts.length; i++) {
            cur = cur + "/" + parts[i];
            cg = fs.mkdir(cur);
            if (i < parts.length - 1) {
                fs.write(cur, "cgroup.subtree_control", "+misc +memory");
            }
        }
        return cg;
    }
}
