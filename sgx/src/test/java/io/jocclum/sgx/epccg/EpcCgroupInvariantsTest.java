package io.jocclum.sgx.epccg;

import io.jocclum.sgx.cgroup.MiscCgroup;
import io.jocclum.sgx.cgroup.MiscResource;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.testing.LeakedLock;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import io.jocclum.sgx.cgroup.CgroupHooks;
import io.jocclum.sgx.epc.EpcGroup;
import io.jocclum.sgx.epc.EpcHooks;
import io.jocclum.sgx.epc.EpcPage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

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
        MiscCgroup root = f.fs.cgroup("/").misc();
        long ua = a.usage(MiscResource.SGX_EPC);
        long ur = root.usage(MiscResource.SGX_EPC);
        assertThat(root.controller().tryCharge(MiscResource.SGX_EPC, a, 4096)).isTrue();
        assertThat(f.p.checkInvariants()).contains(
                a + ": misc.current sgx_epc " + (ua + 4096) + " != 4096 x " + ua / 4096 + " pages charged in its subtree",
                root + ": misc.current sgx_epc " + (ur + 4096) + " != 4096 x " + ur / 4096 + " pages charged in its subtree");
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
        assertThat(f.p.checkInvariants()).contains(a + ": next_cg cursor " + b + " is not a live css of its subtree");
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
        assertThat(problems).containsExactly(f.ctl.workBusyCount() + " async reclaim work items queued or running while quiescent");
        assertThat(f.p.checkInvariants()).as("the platform checker runs the work first").isEmpty();
        fd.close();
    }

    private static final MiscResource SGX_EPC = MiscResource.SGX_EPC;

    /** A platform with /a holding an enclave of 8 pages (its pages on /a's LRU). */
    private record Fixture(EpcCg f, EnclaveFd fd, SgxCgroup a) {
        List<String> problems() {
            List<String> out = new ArrayList<>();
            f.ctl.checkInvariants(out::add);
            return out;
        }

        EpcPage firstOnLru() {
            EpcPage[] first = {null};
            a.lru().forEach(p -> {
                if (first[0] == null) {
                    first[0] = p;
                }
            });
            assertThat(first[0]).as("a page on /a's LRU").isNotNull();
            return first[0];
        }
    }

    private static Fixture fixture() {
        EpcCg f = new EpcCg(256).mkdir("/a", -1);
        EnclaveFd fd = SgxTestSupport.load(f.p, f.task("w", "/a"), SgxTestSupport.image(1 << 20, 8));
        Fixture x = new Fixture(f, fd, f.group("/a"));
        assertThat(x.problems()).isEmpty();
        return x;
    }

    @Test
    void aPageChargedToSomethingElseIsFound() {
        Fixture x = fixture();
        EpcPage p = x.firstOnLru();
        EpcGroup stranger = () -> "stranger";
        EpcHooks.setGroup(p, stranger);
        assertThat(x.problems()).contains(p + " is charged to " + stranger + ", not to an sgx_cgroup",
                p + " is on " + x.a().lru() + " but charged to " + stranger);
        EpcHooks.setGroup(p, x.a());
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aPageChargedToAReleasedCgroupIsFound() {
        Fixture x = fixture();
        x.f().mkdir("/b", -1);
        SgxCgroup b = x.f().group("/b");
        x.f().fs.rmdir("/b");
        assertThat(b.misc().isReleased()).isTrue();
        EpcPage p = x.firstOnLru();
        EpcHooks.setGroup(p, b);
        assertThat(x.problems()).contains(p + " is charged to released " + b.misc(),
                "12 EPC pages allocated but 11 charged in the cgroup tree (pages charged to cgroups no longer linked?)");
        EpcHooks.setGroup(p, x.a());
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aPageTrackedOnAnotherCgroupsLruIsFound() {
        Fixture x = fixture();
        SgxCgroup root = x.f().ctl.root();
        EpcPage p = x.firstOnLru();
        EpcHooks.move(p, x.a().lru(), root.lru());
        assertThat(x.problems()).contains(p + " is tracked but on " + root.lru() + " instead of its cgroup's " + x.a().lru(),
                p + " is on " + root.lru() + " but charged to " + x.a());
        EpcHooks.move(p, root.lru(), x.a().lru());
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aPageOnAnLruWithoutBeingTrackedIsFound() {
        Fixture x = fixture();
        EpcPage p = x.firstOnLru();
        int flags = p.flags();
        EpcHooks.setFlags(p, flags & ~EpcPage.RECLAIMER_TRACKED);
        assertThat(x.problems()).containsExactly(p + " is on " + x.a().lru() + " without being tracked there");
        EpcHooks.setFlags(p, flags);
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void anLruWhoseSizeDisagreesWithItsLinksIsFound() throws ReflectiveOperationException {
        Fixture x = fixture();
        int linked = x.a().lru().size();
        EpcHooks.miscount(x.a().lru(), 1);
        assertThat(x.problems()).containsExactly(x.a().lru() + " says " + (linked + 1) + " pages but links " + linked);
        EpcHooks.miscount(x.a().lru(), -1);
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aRootWithoutTheControllersStateIsFound() {
        Fixture x = fixture();
        MiscCgroup root = x.f().fs.cgroup("/").misc();
        Object old = CgroupHooks.setPriv(root, SGX_EPC, x.a());
        assertThat(x.problems()).contains("the root misc cgroup's sgx_epc state is not the controller's root",
                root + " holds the sgx_epc state of " + x.a().misc());
        CgroupHooks.setPriv(root, SGX_EPC, old);
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aCgroupWithoutStateIsFound() {
        Fixture x = fixture();
        MiscCgroup a = x.a().misc();
        Object old = CgroupHooks.setPriv(a, SGX_EPC, null);
        assertThat(x.problems()).contains(a + " has no sgx_epc state");
        CgroupHooks.setPriv(a, SGX_EPC, old);
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aWrongCapacityAndAnOverfullRootAreFound() {
        Fixture x = fixture();
        MiscCgroup root = x.f().fs.cgroup("/").misc();
        long capacity = root.controller().capacity(SGX_EPC);
        root.controller().setCapacity(SGX_EPC, capacity + 4096);
        assertThat(x.problems()).containsExactly("sgx_epc capacity " + (capacity + 4096) + " != 4096 x 256 EPC pages");
        long usage = root.usage(SGX_EPC);
        root.controller().setCapacity(SGX_EPC, usage - 4096);
        assertThat(x.problems()).containsExactly("sgx_epc capacity " + (usage - 4096) + " != 4096 x 256 EPC pages",
                "root sgx_epc usage " + usage + " exceeds the capacity " + (usage - 4096));
        root.controller().setCapacity(SGX_EPC, usage);
        assertThat(x.problems()).as("usage exactly at the capacity is full, not overfull")
                .containsExactly("sgx_epc capacity " + usage + " != 4096 x 256 EPC pages");
        root.controller().setCapacity(SGX_EPC, capacity);
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    /**
     * A lock leaked by another thread: the checker reports it and stops, instead of blocking on it
     * in the checks that take the controller's locks (the work queue's here).
     */
    @Test
    void aLockLeakedByAnotherThreadIsReportedWithoutBlocking() throws InterruptedException {
        Fixture x = fixture();
        LeakedLock.whileHeldElsewhere(x.f().ctl.workqueue().lock,
                () -> assertThat(x.problems()).containsExactly("sgx_cg_wq: lock still held"));
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void leakedControllerLocksAreFound() {
        Fixture x = fixture();
        x.a().nextLock.lock();
        try {
            assertThat(x.problems()).containsExactly("sgx_cgroup[/a, lru=" + x.a().lru().size() + "]: next_cg lock still held");
        } finally {
            x.a().nextLock.unlock();
        }
        EpcHooks.lock(x.a().lru()).lock();
        try {
            assertThat(x.problems()).containsExactly(x.a().lru() + ": LRU lock still held");
        } finally {
            EpcHooks.lock(x.a().lru()).unlock();
        }
        x.f().ctl.workqueue().lock.lock();
        try {
            assertThat(x.problems()).containsExactly("sgx_cg_wq: lock still held");
            assertThat(x.f().p.checkInvariants()).contains("sgx_cg_wq: lock still held");
        } finally {
            x.f().ctl.workqueue().lock.unlock();
        }
        assertThat(x.problems()).isEmpty();
        x.fd().close();
    }

    @Test
    void aLeakedOrMissingReferenceIsFound() {
        Fixture x = fixture();
        MiscCgroup a = x.a().misc();
        long refs = a.refCount();
        a.get();
        assertThat(x.problems()).containsExactly(a + ": " + (refs + 1) + " references but " + refs + " expected (base, 0 children, "
                + (refs - 1) + " charged pages)");
        a.put();
        assertThat(x.problems()).isEmpty();
        x.fd().close();
        assertThat(x.problems()).isEmpty();
        assertThat(a.refCount()).as("only the base reference once the enclave is gone").isEqualTo(1);
    }

    @Test
    void freeingACgroupCancelsItsQueuedWork() {
        EpcCg f = new EpcCg(256).mkdir("/a", 10);
        EnclaveFd fd = SgxTestSupport.load(f.p, f.task("w", "/a"), SgxTestSupport.image(1 << 20, 20));
        SgxCgroup a = f.group("/a");
        f.limit("/a", f.usage("/a"));
        EpcCg.errno(io.jocclum.api.Errno.EBUSY, () -> f.p.epcManager().allocator().allocate(new Object(),
                io.jocclum.sgx.epc.Reclaim.SGX_NO_RECLAIM, fd.task()));
        assertThat(f.ctl.workBusy(a)).isTrue();
        fd.close();
        f.p.exit(fd.task());
        f.fs.rmdir("/a");
        assertThat(a.misc().isReleased()).as("the last page and the base reference are gone").isTrue();
        assertThat(f.ctl.workBusy(a)).as("cancel_work_sync dropped the queued item").isFalse();
        assertThat(f.ctl.workBusyCount()).isZero();
    }
}
