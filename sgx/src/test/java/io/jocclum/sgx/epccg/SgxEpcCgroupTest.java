package io.jocclum.sgx.epccg;

import io.jocclum.api.Errno;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxIoctl;
import io.jocclum.sgx.driver.VirtualEpc;
import io.jocclum.sgx.epc.EpcAllocator;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaim;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.jocclum.sgx.epccg.EpcCg.PAGE;
import static io.jocclum.sgx.epccg.EpcCg.errno;
import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The v17 {@code sgx_epc} controller through the driver: the charge algorithm and its events, the
 * rows of the spec's failure table (2.7) by path, reclaim scope, non-preemptive limits, migration,
 * async/preemptive/global reclaim and release. Heap page i of {@link SgxTestSupport#image} is at
 * {@code BASE + 0x2000 + i * 4096}; an image with h heap pages holds h + 2 pages plus SECS and one
 * VA page.
 */
@ExtendWith(SgxInvariantsExtension.class)
class SgxEpcCgroupTest {
    private static final long HEAP = BASE + 0x2000;

    private static EnclaveFd load(EpcCg f, HostTask t, long size, long heap) {
        return SgxTestSupport.load(f.p, t, SgxTestSupport.image(size, heap));
    }

    private static void fault(EnclaveFault.Kind kind, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(EnclaveFault.class, x -> assertThat(x.kind()).isEqualTo(kind));
    }

    /** Evicts every reclaimable page charged to {@code path} (and, after its last child, the SECS). */
    private static void evictAll(EpcCg f, String path) {
        SgxCgroup g = f.group(path);
        while (!g.lru().isEmpty()) {
            f.ctl.reclaimPages(g, null, 16);
        }
    }

    // ---- charging and events ------------------------------------------------------------------------

    @Test
    void everyEpcPageIsChargedHierarchicallyToTheAllocatingTasksCgroup() {
        EpcCg f = new EpcCg(1024).mkdir("/a", -1).mkdir("/a/b", -1);
        HostTask t = f.task("w", "/a/b");
        EnclaveFd fd = load(f, t, 1 << 21, 100);
        assertThat(f.usage("/a/b")).as("SECS + VA + TCS + code + 100 heap").isEqualTo(104);
        assertThat(f.usage("/a")).isEqualTo(104);
        assertThat(f.fs.read("/", "misc.current")).isEqualTo("sgx_epc " + 104 * PAGE + "\n");
        assertThat(f.fs.read("/", "misc.capacity")).isEqualTo("sgx_epc " + 1024 * PAGE + "\n");
        assertThat(f.group("/a/b").lru().size()).as("VA and SECS are not on an LRU").isEqualTo(102);
        assertThat(f.group("/a").lru().size()).as("pages sit on the charged cgroup's own LRU").isZero();
        fd.close();
        assertThat(f.usage("/a")).isZero();
        assertThat(f.fs.read("/", "misc.current")).isEqualTo("sgx_epc 0\n");
        assertThat(f.fs.read("/a/b", "misc.peak")).isEqualTo("sgx_epc " + 104 * PAGE + "\n");
    }

    /**
     * A task refused a charge waits for reclaim progress where the kernel's task would fault again;
     * a new limit is what its next fault would meet, so writing one wakes the waiters. Without it a
     * raised limit left them asleep when the queued reclaim then found nothing to do (the hang of
     * {@code EpcCgroupConcurrencyTest} once its admin thread had written its last limit).
     */
    @Test
    void writingANewLimitWakesTheTasksWaitingForReclaimProgress() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 40);
        long before = f.p.epcManager().allocator().progressGeneration();
        f.fs.write("/a", "misc.max", "sgx_epc " + 80 * PAGE);
        long afterRaise = f.p.epcManager().allocator().progressGeneration();
        assertThat(afterRaise).as("a raised limit").isGreaterThan(before);
        f.fs.write("/a", "misc.max", "sgx_epc max");
        assertThat(f.p.epcManager().allocator().progressGeneration()).as("no limit").isGreaterThan(afterRaise);
    }

    /** A task refused a charge in one cgroup charges its new one after a move: the move wakes the waiters too. */
    @Test
    void movingATaskToAnotherCgroupWakesTheTasksWaitingForReclaimProgress() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 40).mkdir("/b", -1);
        HostTask t = f.task("w", "/a");
        long before = f.p.epcManager().allocator().progressGeneration();
        f.fs.write(t, "/b", "cgroup.procs", "0");
        assertThat(f.p.epcManager().allocator().progressGeneration()).isGreaterThan(before);
    }

    @Test
    void addPagesOverTheLimitReclaimsOnlyTheChargingCgroupsPagesAndSucceeds() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 40).mkdir("/b", -1);
        EnclaveFd other = load(f, f.task("b", "/b"), 1 << 21, 100);
        EnclaveFd fd = load(f, f.task("a", "/a"), 1 << 21, 200);
        assertThat(f.usage("/a")).isLessThanOrEqualTo(40);
        assertThat(fd.stats().count(CostEvent.EWB)).isGreaterThan(160);
        SgxCgroup a = f.group("/a");
        assertThat(a.directRounds()).isPositive();
        assertThat(f.events("/a")).as("every failed charge attempt is one event").isEqualTo(a.directRounds());
        assertThat(f.eventsLocal("/a")).isEqualTo(f.events("/a"));
        assertThat(other.enclave().residentPages()).as("the other cgroup's pages were not touched").isEqualTo(102);
        assertThat(other.stats().count(CostEvent.EWB)).isZero();
        assertThat(f.events("/b")).isZero();
        fd.close();
        other.close();
    }

    @Test
    void aLimitHitAtTheParentCountsEventsThereAndAboveButNotInTheChild() {
        EpcCg f = new EpcCg(1024).mkdir("/t", -1).mkdir("/t/p", 1).mkdir("/t/p/c", -1);
        EnclaveFd fd = f.p.openEnclave(f.task("w", "/t/p/c"));
        errno(Errno.ENOMEM, () -> fd.create(SgxTestSupport.image(1 << 20, 1).secs()));
        assertThat(f.eventsLocal("/t/p")).isEqualTo(1);
        assertThat(f.events("/t/p")).isEqualTo(1);
        assertThat(f.events("/t")).isEqualTo(1);
        assertThat(f.eventsLocal("/t")).isZero();
        assertThat(f.events("/t/p/c")).isZero();
        assertThat(f.eventsLocal("/t/p/c")).isZero();
        assertThat(f.usage("/t")).as("the VA page's charge was undone").isZero();
        fd.close();
    }

    // ---- the failure table: ioctl paths (SGX_DO_RECLAIM) ------------------------------------------

    @Test
    void createIsEnomemWhenTheSubtreeHasNothingReclaimable() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 1);
        EnclaveFd fd = f.p.openEnclave(f.task("w", "/a"));
        errno(Errno.ENOMEM, () -> fd.create(SgxTestSupport.image(1 << 20, 1).secs()));
        assertThat(f.usage("/a")).isZero();
        assertThat(f.eventsLocal("/a")).isEqualTo(1);
        fd.close();
    }

    @Test
    void addPagesIsEnomemOnceOnlyVaAndSecsAreLeftAndReportsTheCount() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 3);
        EnclaveFd fd = f.p.openEnclave(f.task("w", "/a"));
        fd.create(SgxTestSupport.image(1 << 22, 0).secs());
        SgxIoctl.AddPages add = new SgxIoctl.AddPages(MemorySegment.ofArray(new byte[600 * 4096]), 0, 600 * PAGE,
                SecInfo.reg(SecInfo.R | SecInfo.W), 0);
        // pages 1..511 fit by reclaiming each other; page 512 needs a second VA page while the
        // cgroup holds VA + SECS + page 512 (not yet reclaimable): nothing left to reclaim
        errno(Errno.ENOMEM, () -> fd.addPages(add));
        assertThat(add.count).isEqualTo(511 * PAGE);
        assertThat(fd.enclave().pageCount()).isEqualTo(511);
        assertThat(fd.enclave().vaPageCount()).isEqualTo(1);
        assertThat(f.usage("/a")).as("VA + SECS").isEqualTo(2);
        fd.close();
    }

    @Test
    void aSignalWhileTheChargeLoopWaitsForReclaimIsEintr() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 40);
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = f.p.openEnclave(t);
        fd.create(SgxTestSupport.image(1 << 21, 0).secs());
        byte[] src = new byte[70 * 4096];
        fd.addPages(new SgxIoctl.AddPages(MemorySegment.ofArray(src), 0, 60 * PAGE, SecInfo.reg(SecInfo.R | SecInfo.W), 0));
        long u = f.usage("/a");
        f.limit("/a", u);
        long events = f.events("/a");
        t.signalAfter(1); // the ioctl's own check passes, the charge loop's check sees the signal
        SgxIoctl.AddPages more = new SgxIoctl.AddPages(MemorySegment.ofArray(src).asSlice(60 * PAGE), 60 * PAGE, 10 * PAGE,
                SecInfo.reg(SecInfo.R | SecInfo.W), 0);
        errno(Errno.EINTR, () -> fd.addPages(more));
        assertThat(more.count).isZero();
        assertThat(fd.enclave().pageCount()).isEqualTo(60);
        assertThat(f.usage("/a")).isEqualTo(u);
        assertThat(f.events("/a")).isEqualTo(events + 1);
        t.clearSignal();
        fd.addPages(more);
        assertThat(fd.enclave().pageCount()).isEqualTo(70);
        fd.close();
    }

    // ---- the failure table: fault paths and SGX_NO_RECLAIM ------------------------------------------

    @Test
    void reclaimDisabledAllocationsGetEbusyWithAsyncWorkOrEnomem() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 40);
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = load(f, t, 1 << 21, 100);
        SgxCgroup a = f.group("/a");
        EpcAllocator alloc = f.p.epcManager().allocator();
        assertThat(f.ctl.workBusy(a)).as("v17 queues nothing after successful charges").isFalse();
        errno(Errno.EBUSY, () -> alloc.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        assertThat(f.ctl.workBusy(a)).isTrue();
        errno(Errno.EBUSY, () -> alloc.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        t.kill();
        errno(Errno.ERESTARTSYS, () -> alloc.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        t.clearSignal();
        assertThat(f.p.controller().runPendingWork()).as("one work item, queued twice").isEqualTo(1);
        assertThat(f.usage("/a")).as("async reclaim ran while at the limit: one batch").isEqualTo(40 - 16);
        assertThat(a.asyncRuns()).isEqualTo(1);
        EpcPage got = alloc.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t);
        alloc.free(got);
        evictAll(f, "/a");
        f.limit("/a", f.usage("/a"));
        errno(Errno.ENOMEM, () -> alloc.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        assertThat(f.ctl.workBusy(a)).isFalse();
        fd.close();
    }

    @Test
    void anElduFaultOverTheLimitQueuesAsyncReclaimAndIsRetried() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 40);
        EnclaveFd fd = load(f, f.task("w", "/a"), 1 << 21, 100);
        EnclaveContext ctx = fd.context();
        long runs = f.group("/a").asyncRuns();
        for (int i = 0; i < 100; i++) {
            ctx.writeInt(HEAP + i * 4096L, i * 31);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(ctx.readInt(HEAP + i * 4096L)).isEqualTo(i * 31);
        }
        assertThat(f.group("/a").asyncRuns()).as("EBUSY faults queued the cgroup's work").isGreaterThan(runs);
        assertThat(fd.stats().count(CostEvent.ELDU)).isGreaterThanOrEqualTo(100);
        assertThat(f.usage("/a")).isLessThanOrEqualTo(40);
        fd.close();
    }

    @Test
    void anElduFaultWithNothingReclaimableInTheSubtreeIsSigbus() {
        EpcCg f = new EpcCg(1024).mkdir("/a", -1);
        EnclaveFd fd = load(f, f.task("w", "/a"), 1 << 20, 20);
        evictAll(f, "/a");
        assertThat(fd.enclave().isSecsResident()).isFalse();
        assertThat(f.usage("/a")).as("the VA page").isEqualTo(1);
        f.limit("/a", 1);
        fault(EnclaveFault.Kind.SIGBUS, () -> fd.context().readByte(HEAP));
        f.limit("/a", 3);
        assertThat(fd.context().readByte(BASE + 0x1000)).isEqualTo((byte) 3);
        fd.close();
    }

    @Test
    void anEaugFaultOverTheLimitIsRetriedAndWithNothingReclaimableIsSigbus() {
        EpcCg f = new EpcCg(1024).mkdir("/a", -1).mkdir("/b", 0);
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = load(f, t, 1 << 21, 10);
        f.limit("/a", f.usage("/a"));
        EnclaveContext ctx = fd.context();
        long far = BASE + (1 << 20);
        SecInfo pending = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);
        assertThat(ctx.eaccept(far, pending)).isZero();   // EAUG: EBUSY, async reclaim, retry
        ctx.writeLong(far, 42);
        assertThat(ctx.readLong(far)).isEqualTo(42);
        assertThat(f.group("/a").asyncRuns()).isPositive();
        // moved to a cgroup that holds nothing: EAUG's charge fails there and /a's pages do not help
        f.fs.write(t, "/b", "cgroup.procs", "0");
        fault(EnclaveFault.Kind.SIGBUS, () -> ctx.eaccept(far + 4096, pending));
        assertThat(f.eventsLocal("/b")).isEqualTo(1);
        fd.close();
    }

    @Test
    void virtualEpcOverTheLimitRetriesWhenTheSubtreeCanReclaimElseSigbus() {
        EpcCg f = new EpcCg(1024).mkdir("/v", 10).mkdir("/w", 30);
        VirtualEpc vm = f.p.openVepc(f.task("qemu", "/v"), 20);
        for (int i = 0; i < 10; i++) {
            assertThat(vm.fault(i, true)).isEqualTo(VirtualEpc.FaultResult.MAPPED);
        }
        assertThat(vm.fault(10, true)).as("vEPC pages are not reclaimable: ENOMEM").isEqualTo(VirtualEpc.FaultResult.SIGBUS);
        assertThat(f.usage("/v")).isEqualTo(10);

        EnclaveFd fd = load(f, f.task("encl", "/w"), 1 << 21, 20);
        VirtualEpc vm2 = f.p.openVepc(f.task("qemu2", "/w"), 20);
        int i = 0;
        while (vm2.fault(i, true) == VirtualEpc.FaultResult.MAPPED) {
            i++;
        }
        assertThat(f.usage("/w")).isEqualTo(30);
        assertThat(f.ctl.workBusy(f.group("/w"))).as("EBUSY queued the async work").isTrue();
        assertThat(vm2.fault(i, false)).as("no retry allowed: SIGBUS").isEqualTo(VirtualEpc.FaultResult.SIGBUS);
        f.p.controller().runPendingWork();
        assertThat(vm2.fault(i, true)).isEqualTo(VirtualEpc.FaultResult.MAPPED);
        vm.close();
        vm2.close();
        fd.close();
        assertThat(f.usage("/v") + f.usage("/w")).isZero();
    }

    @Test
    void edmmIoctlsReloadingAPageGetEagainOnEbusyAndEfaultOnEnomem() {
        EpcCg f = new EpcCg(1024).mkdir("/p", 40).mkdir("/p/a", -1).mkdir("/p/b", -1);
        HostTask a = f.task("a", "/p/a");
        EnclaveFd fd = load(f, a, 1 << 20, 8);
        evictAll(f, "/p/a");
        EnclaveFd hog = load(f, f.task("b", "/p/b"), 1 << 21, 100);
        f.limit("/p", f.usage("/p"));
        SgxIoctl.RestrictPermissions rp = new SgxIoctl.RestrictPermissions(0x2000, 4096, SecInfo.R);
        // the SECS reload charges /p/a, the limit is hit at /p, /p/a has nothing reclaimable: ENOMEM -> EFAULT
        errno(Errno.EFAULT, () -> fd.restrictPermissions(rp));
        hog.close();
        f.limit("/p", 40);
        assertThat(fd.context().readByte(BASE + 0x1000)).isEqualTo((byte) 3);   // SECS and the code page back
        hog = load(f, f.task("b2", "/p/b"), 1 << 21, 100);
        f.limit("/p", f.usage("/p"));
        SgxIoctl.RestrictPermissions rp2 = new SgxIoctl.RestrictPermissions(0x2000, 4096, SecInfo.R);
        // now /p/a has a reclaimable page: EBUSY -> EAGAIN, async work queued for /p/a
        errno(Errno.EAGAIN, () -> fd.restrictPermissions(rp2));
        SgxCgroup ga = f.group("/p/a");
        assertThat(f.ctl.workBusy(ga)).isTrue();
        long usage = f.usage("/p/a");
        f.p.controller().runPendingWork();
        assertThat(f.usage("/p/a")).as("v17: /p/a is under its own threshold, its work reclaims nothing").isEqualTo(usage);
        hog.close();
        fd.close();
    }

    // ---- reclaim scope, limits, migration ---------------------------------------------------------

    @Test
    void aCgroupWhoseParentASiblingExhaustedGetsEnomem() {
        EpcCg f = new EpcCg(1024).mkdir("/p", 20).mkdir("/p/a", -1).mkdir("/p/b", -1);
        EnclaveFd hog = load(f, f.task("b", "/p/b"), 1 << 21, 50);
        f.limit("/p", f.usage("/p"));
        int resident = hog.enclave().residentPages();
        EnclaveFd fd = f.p.openEnclave(f.task("a", "/p/a"));
        errno(Errno.ENOMEM, () -> fd.create(SgxTestSupport.image(1 << 20, 1).secs()));
        assertThat(hog.enclave().residentPages()).as("the sibling's pages are not reclaimed").isEqualTo(resident);
        assertThat(f.eventsLocal("/p")).isPositive();
        assertThat(f.events("/p/a")).isZero();
        fd.close();
        hog.close();
    }

    @Test
    void aLimitWrittenBelowUsageTakesEffectOnlyOnTheNextCharge() {
        EpcCg f = new EpcCg(1024).mkdir("/a", -1);
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = load(f, t, 1 << 21, 100);
        long evicted = f.p.epcManager().reclaimer().evictedPages();
        f.limit("/a", 50);
        assertThat(f.usage("/a")).as("non-preemptive: nothing reclaimed, nothing killed").isEqualTo(104);
        assertThat(f.p.epcManager().reclaimer().evictedPages()).isEqualTo(evicted);
        assertThat(f.events("/a")).isZero();
        assertThat(t.killed()).isFalse();
        EnclaveFd second = load(f, t, 1 << 20, 4);
        assertThat(f.usage("/a")).isLessThanOrEqualTo(50);
        assertThat(f.events("/a")).isPositive();
        second.close();
        fd.close();
    }

    @Test
    void migrationLeavesChargesAndLaterAllocationsChargeTheNewCgroup() {
        EpcCg f = new EpcCg(1024).mkdir("/a", -1).mkdir("/b", -1);
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = load(f, t, 1 << 21, 100);
        f.fs.write(t, "/b", "cgroup.procs", "0");
        assertThat(f.usage("/a")).isEqualTo(104);
        assertThat(f.usage("/b")).isZero();
        evictAll(f, "/a");
        assertThat(f.usage("/a")).as("the VA page stays with /a").isEqualTo(1);
        assertThat(fd.context().readByte(BASE + 0x1000)).isEqualTo((byte) 3);
        assertThat(f.usage("/b")).as("the reloaded SECS and page are charged to the faulting task's cgroup").isEqualTo(2);
        EnclaveFd second = load(f, t, 1 << 20, 4);
        assertThat(f.usage("/b")).isEqualTo(2 + 8);
        second.close();
        fd.close();
        assertThat(f.usage("/a") + f.usage("/b")).isZero();
    }

    // ---- async, preemptive and global reclaim ----------------------------------------------------

    @Test
    void v17NeverQueuesAsyncReclaimAfterASuccessfulCharge() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 200);
        assertThat(f.ctl.statedIntent()).isFalse();
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = load(f, t, 1 << 21, 300);
        SgxCgroup a = f.group("/a");
        assertThat(f.usage("/a")).as("the build charged up to the limit").isGreaterThan(200 - 16);
        assertThat(f.ctl.shouldReclaim(a)).as("at the soft threshold (200 - 32)").isTrue();
        assertThat(f.ctl.workBusy(a)).isFalse();
        long u = f.usage("/a");
        f.limit("/a", u);
        // a reclaim-disabled charge fails: async reclaim brings usage under the threshold
        errno(Errno.EBUSY, () -> f.p.epcManager().allocator().allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        f.p.controller().runPendingWork();
        assertThat(f.usage("/a")).isLessThan(u - SgxEpcCgroup.SGX_CG_MIN_FREE_PAGE)
                .isGreaterThanOrEqualTo(u - SgxEpcCgroup.SGX_CG_MIN_FREE_PAGE - 16);
        assertThat(f.ctl.shouldReclaim(a)).isFalse();
        fd.close();
    }

    @Test
    void theStatedIntentQueuesAsyncReclaimAfterAChargeReachesTheThreshold() {
        EpcCg f = new EpcCg(SgxTestSupport.config(1024).epcCgroup(PlatformConfig.EpcCgroup.INTENT)).mkdir("/a", 200);
        assertThat(f.ctl.statedIntent()).isTrue();
        EnclaveFd fd = load(f, f.task("w", "/a"), 1 << 21, 300);
        SgxCgroup a = f.group("/a");
        assertThat(f.ctl.workBusy(a)).as("queued by a successful charge at the threshold").isTrue();
        f.p.controller().runPendingWork();
        assertThat(f.usage("/a")).isLessThan(200 - SgxEpcCgroup.SGX_CG_MIN_FREE_PAGE);
        fd.close();
    }

    @Test
    void theStatedIntentQueuesNothingWhileChargesStayBelowTheThreshold() {
        EpcCg f = new EpcCg(SgxTestSupport.config(1024).epcCgroup(PlatformConfig.EpcCgroup.INTENT)).mkdir("/a", 200);
        EnclaveFd fd = load(f, f.task("w", "/a"), 1 << 21, 16);
        SgxCgroup a = f.group("/a");
        assertThat(f.usage("/a")).as("far below the soft threshold (200 - 32)").isLessThan(200 - 2 * SgxEpcCgroup.SGX_CG_MIN_FREE_PAGE);
        assertThat(f.ctl.shouldReclaim(a)).isFalse();
        assertThat(f.ctl.workBusy(a)).isFalse();
        assertThat(a.asyncRuns()).isZero();
        fd.close();
    }

    @Test
    void theControllerNamesItsVariantAndItsHierarchy() {
        EpcCg posted = new EpcCg(256);
        assertThat(posted.ctl).hasToString("SgxEpcCgroup[v17]");
        assertThat(posted.ctl.cgroups()).isSameAs(posted.p.cgroups());
        EpcCg intent = new EpcCg(SgxTestSupport.config(256).epcCgroup(PlatformConfig.EpcCgroup.INTENT));
        assertThat(intent.ctl).hasToString("SgxEpcCgroup[v17 + stated intent]");
    }

    @Test
    void globalReclaimIsPossibleOnlyWhileSomeLruHoldsAPage() {
        EpcCg f = new EpcCg(1024).mkdir("/a", -1).mkdir("/a/b", -1);
        assertThat(f.ctl.canReclaimGlobal()).as("no enclave yet").isFalse();
        EnclaveFd fd = load(f, f.task("w", "/a/b"), 1 << 20, 4);
        assertThat(f.ctl.canReclaimGlobal()).as("pages on /a/b's LRU, two levels down").isTrue();
        fd.close();
        assertThat(f.ctl.canReclaimGlobal()).isFalse();
    }

    @Test
    void shuttingTheControllerDownStopsItsWorkQueue() {
        EpcCg f = new EpcCg(256).mkdir("/a", -1);
        SgxCgroup a = f.group("/a");
        f.ctl.shutdown();
        assertThat(f.ctl.workqueue().isStopped()).isTrue();
        assertThat(f.ctl.workqueue().queue(a)).as("no async work after shutdown").isFalse();
        assertThat(f.ctl.workBusy(a)).isFalse();
    }

    @Test
    void theSoftThresholdKeepsNoCreditAtOrBelowTheLowLimit() {
        EpcCg f = new EpcCg(1024).mkdir("/p", 128).mkdir("/p/a", -1);
        EnclaveFd fd = load(f, f.task("w", "/p/a"), 1 << 21, 124);
        SgxCgroup a = f.group("/p/a");
        assertThat(SgxEpcCgroup.maxPagesToRoot(a)).as("the parent's limit").isEqualTo(128);
        assertThat(f.usage("/p/a")).isEqualTo(128);
        assertThat(f.ctl.shouldReclaim(a)).isTrue();
        f.ctl.reclaimPages(a, null, 1);
        assertThat(f.usage("/p/a")).as("one batch").isEqualTo(112);
        assertThat(f.ctl.shouldReclaim(a)).as("112 < 128: no SGX_CG_MIN_FREE_PAGE credit at a 128-page limit").isFalse();
        f.limit("/p", 129);
        assertThat(f.ctl.shouldReclaim(a)).as("129 - 32 = 97 <= 112").isTrue();
        fd.close();
        assertThat(f.ctl.shouldReclaim(a)).as("empty LRUs").isFalse();
    }

    @Test
    void sgx2IoctlsReclaimPreemptivelyWhenTheCgroupIsAtItsThreshold() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 60);
        EnclaveFd fd = load(f, f.task("w", "/a"), 1 << 21, 100);
        long u = f.usage("/a");
        f.limit("/a", u);   // exactly at the (credit-less) threshold
        long evicted = f.p.epcManager().reclaimer().evictedPages();
        SgxIoctl.RestrictPermissions rp = new SgxIoctl.RestrictPermissions(0x2000 + 99 * 4096L, 4096, SecInfo.R);
        fd.restrictPermissions(rp);
        assertThat(f.p.epcManager().reclaimer().evictedPages() - evicted).as("one preemptive batch").isEqualTo(16);
        assertThat(f.usage("/a")).isEqualTo(u - 16);
        fd.close();
    }

    @Test
    void globalReclaimVisitsTheCgroupsInTurn() {
        EpcCg f = new EpcCg(1024).mkdir("/A", -1).mkdir("/A/A1", -1).mkdir("/A/A2", -1).mkdir("/B", -1);
        List<EnclaveFd> fds = new ArrayList<>();
        for (String path : List.of("/A/A1", "/A/A2", "/B")) {
            fds.add(load(f, f.task("w" + path, path), 1 << 21, 60));
        }
        List<String> order = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            long[] before = sizes(f);
            assertThat(f.ctl.reclaimPages(f.ctl.root(), null, 16)).isEqualTo(16);
            long[] after = sizes(f);
            for (int k = 0; k < 3; k++) {
                if (after[k] < before[k]) {
                    order.add(List.of("/A/A1", "/A/A2", "/B").get(k));
                }
            }
        }
        assertThat(order).as("the root's cursor: R, A (empty LRUs), A1, A2, B, R, ...")
                .containsExactly("/A/A1", "/A/A2", "/B", "/A/A1", "/A/A2", "/B");
        fds.forEach(EnclaveFd::close);
    }

    private static long[] sizes(EpcCg f) {
        return new long[] {f.group("/A/A1").lru().size(), f.group("/A/A2").lru().size(), f.group("/B").lru().size()};
    }

    @Test
    void ksgxdReclaimsFairlyOverTheCgroupsAtTheGlobalWatermark() {
        EpcCg f = new EpcCg(256).mkdir("/a", -1).mkdir("/b", -1).mkdir("/c", -1);
        List<EnclaveFd> fds = new ArrayList<>();
        for (String path : List.of("/a", "/b", "/c")) {
            fds.add(load(f, f.task("w" + path, path), 1 << 21, 75));
        }
        assertThat(f.p.epcManager().allocator().freePages()).as("below SGX_NR_LOW_PAGES: ksgxd was woken").isLessThan(32);
        f.p.ksgxd().runPending();
        assertThat(f.p.epcManager().allocator().freePages()).isGreaterThanOrEqualTo(64);
        long[] ewb = fds.stream().mapToLong(fd -> fd.stats().count(CostEvent.EWB)).toArray();
        assertThat(java.util.Arrays.stream(ewb).min().getAsLong()).isPositive();
        long spread = java.util.Arrays.stream(ewb).max().getAsLong() - java.util.Arrays.stream(ewb).min().getAsLong();
        assertThat(spread).as("evictions per cgroup %s", java.util.Arrays.toString(ewb)).isLessThanOrEqualTo(16);
        fds.forEach(EnclaveFd::close);
    }

    @Test
    void atCapacityTheChargeFailsAtTheRootAndTheChargingCgroupReclaimsItsOwnPages() {
        EpcCg f = new EpcCg(SgxTestSupport.config(128).epcCgroup(PlatformConfig.EpcCgroup.V17).watermarks(0, 0))
                .mkdir("/a", -1).mkdir("/b", -1);
        EnclaveFd first = load(f, f.task("a", "/a"), 1 << 21, 110);
        EnclaveFd second = load(f, f.task("b", "/b"), 1 << 21, 60);
        // the misc capacity check fails at the root before the free lists run dry: /b reclaims /b
        assertThat(first.stats().count(CostEvent.EWB)).isZero();
        assertThat(second.stats().count(CostEvent.EWB)).isPositive();
        assertThat(f.events("/b")).as("a capacity failure is recorded at the root only").isZero();
        assertThat(f.fs.cgroup("/").misc().eventsLocal(io.jocclum.sgx.cgroup.MiscResource.SGX_EPC)).isPositive();
        assertThat(f.fs.list("/")).doesNotContain("misc.events");
        assertThat(f.usage("/a") + f.usage("/b")).isLessThanOrEqualTo(128);
        first.close();
        second.close();
    }

    // ---- release --------------------------------------------------------------------------------

    @Test
    void releaseUnchargesEveryPageAndFreesTheDyingCgroup() {
        EpcCg f = new EpcCg(1024).mkdir("/a", 30);
        HostTask t = f.task("w", "/a");
        EnclaveFd fd = load(f, t, 1 << 21, 100);
        long u = f.usage("/a");
        errno(Errno.EBUSY, () -> f.fs.rmdir("/a"));
        f.p.exit(t);
        var css = f.fs.cgroup("/a").misc();
        f.fs.rmdir("/a");
        assertThat(css.isOnline()).isFalse();
        assertThat(css.isReleased()).as("its pages keep the dying css").isFalse();
        assertThat(f.fs.read("/", "misc.current")).isEqualTo("sgx_epc " + u * PAGE + "\n");
        assertThat(f.ctl.reclaimPages(f.ctl.root(), null, 16)).as("global reclaim still reaches the dying cgroup")
                .isEqualTo(16);
        fd.close();
        assertThat(css.isReleased()).isTrue();
        assertThat(f.fs.read("/", "misc.current")).isEqualTo("sgx_epc 0\n");
    }
}
