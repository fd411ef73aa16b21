package io.jocclum.sgx.epc;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cgroup.CgroupFs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.MemCgroup;
import io.jocclum.sgx.cgroup.MemoryEvent;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.driver.VirtualEpc;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The EPC allocator, free lists, watermarks, ksgxd, vEPC and the failure semantics of allocation. */
@ExtendWith(SgxInvariantsExtension.class)
class EpcAllocatorTest {

    private static void errno(Errno e, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(ErrnoException.class, x -> assertThat(x.errno()).isEqualTo(e));
    }

    private static int frames(SgxPlatform p) {
        int[] n = {0};
        p.epc().forEachMaterializedFrame(f -> n[0]++);
        return n[0];
    }

    @Test
    void aSixtyFourGibEpcCostsNothingUntilUsed() {
        SgxPlatform p = SgxTestSupport.platform(PlatformConfig.builder().epcSections(32L << 30, 32L << 30)
                .ksgxd(Ksgxd.Mode.MANUAL).build());
        assertThat(p.epc().capacityBytes()).isEqualTo(64L << 30);
        assertThat(p.epcManager().allocator().freePages()).isEqualTo((64L << 30) / 4096);
        assertThat(frames(p)).isZero();
        assertThat(p.epc().hostBytes()).isZero();
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("small"), SgxTestSupport.image(1 << 20, 8));
        assertThat(frames(p)).as("SECS, VA, TCS, code and 8 heap pages").isEqualTo(12);
        assertThat(p.epc().materializedPages()).as("only non-zero pages hold host memory").isEqualTo(2);
        fd.close();
    }

    @Test
    void freeingARunAtOnceLeavesTheFreeListsAsFreeingItPageByPage() {
        long seed = System.nanoTime();
        System.out.println("EpcAllocatorTest freeAll seed " + seed);
        java.util.Random rnd = new java.util.Random(seed);
        List<SgxPlatform> sides = new ArrayList<>();
        List<List<EpcPage>> held = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            sides.add(SgxTestSupport.platform(SgxTestSupport.config(0).epcSections(96 * 4096, 64 * 4096).build()));
            held.add(new ArrayList<>());
        }
        List<HostTask> tasks = List.of(sides.get(0).newTask("alloc"), sides.get(1).newTask("alloc"));
        for (int round = 0; round < 200; round++) {
            String where = "seed " + seed + ", round " + round;
            int allocate = rnd.nextInt(24);
            for (int s = 0; s < 2; s++) {
                EpcAllocator a = sides.get(s).epcManager().allocator();
                for (int i = 0; i < allocate && a.freePages() > 0; i++) {
                    held.get(s).add(a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, tasks.get(s)));
                }
            }
            // the same pages (by frame) freed on both sides: page by page on one, as one run on the other
            int n = held.get(0).isEmpty() ? 0 : rnd.nextInt(Math.min(64, held.get(0).size()) + 1);
            List<Integer> picks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                picks.add(rnd.nextInt(held.get(0).size() - i));
            }
            EpcPage[] run = new EpcPage[64];
            for (int i = 0; i < n; i++) {
                EpcPage one = held.get(0).remove((int) picks.get(i));
                EpcPage other = held.get(1).remove((int) picks.get(i));
                assertThat(other.frame().pfn()).as(where).isEqualTo(one.frame().pfn());
                sides.get(0).epcManager().allocator().free(one);
                run[i] = other;
            }
            sides.get(1).epcManager().allocator().freeAll(run, n);
            assertThat(sides.get(1).epcManager().allocator().freePages()).as(where)
                    .isEqualTo(sides.get(0).epcManager().allocator().freePages());
        }
        // the free lists hand the frames out in the same order
        List<List<Long>> order = new ArrayList<>();
        long free = sides.get(0).epcManager().allocator().freePages();
        for (int s = 0; s < 2; s++) {
            EpcAllocator a = sides.get(s).epcManager().allocator();
            List<Long> pfns = new ArrayList<>();
            while (a.freePages() > 0) {
                EpcPage pg = a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, tasks.get(s));
                pfns.add(pg.frame().pfn());
                held.get(s).add(pg);
            }
            order.add(pfns);
            a.freeAll(held.get(s).toArray(EpcPage[]::new), held.get(s).size());
        }
        assertThat(order.get(1)).as("seed " + seed).hasSize((int) free).isEqualTo(order.get(0));
    }

    @Test
    void allocatingARunAtOnceGetsTheFramesOfAllocatingItPageByPage() {
        long seed = System.nanoTime();
        System.out.println("EpcAllocatorTest allocateRun seed " + seed);
        java.util.Random rnd = new java.util.Random(seed);
        List<SgxPlatform> sides = new ArrayList<>();
        List<List<EpcPage>> held = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            // two nodes: a run that empties the first goes on in the second, as single allocations do
            sides.add(SgxTestSupport.platform(SgxTestSupport.config(0).epcSections(160 * 4096, 96 * 4096).build()));
            held.add(new ArrayList<>());
        }
        List<HostTask> tasks = List.of(sides.get(0).newTask("alloc"), sides.get(1).newTask("alloc"));
        int runs = 0;
        for (int round = 0; round < 300; round++) {
            String where = "seed " + seed + ", round " + round;
            EpcAllocator one = sides.get(0).epcManager().allocator();
            EpcAllocator all = sides.get(1).epcManager().allocator();
            int want = 1 + rnd.nextInt(64);
            Object[] owners = new Object[want];
            for (int i = 0; i < want; i++) {
                owners[i] = new Object();
            }
            EpcPage[] run = new EpcPage[want];
            int got = all.allocateRun(owners, run, want, tasks.get(1));
            // some rounds give the end of the run back unused: as if the single allocations had stopped there
            int limit = rnd.nextInt(4) == 0 ? rnd.nextInt(want + 1) : want;
            // the single allocations it stands for: while plentiful(3) holds before each
            List<EpcPage> singles = new ArrayList<>();
            while (singles.size() < limit && one.plentiful(3)) {
                singles.add(one.allocate(owners[singles.size()], Reclaim.SGX_NO_RECLAIM, tasks.get(0)));
            }
            int keep = Math.min(limit, got);
            assertThat(singles).as(where + ": pages").hasSize(keep);
            runs += got > 0 ? 1 : 0;
            all.unallocateRun(run, keep, got);
            for (int i = 0; i < keep; i++) {
                assertThat(run[i].frame().pfn()).as(where + ": frame " + i).isEqualTo(singles.get(i).frame().pfn());
                assertThat(run[i].owner()).as(where).isSameAs(owners[i]);
                held.get(1).add(run[i]);
            }
            held.get(0).addAll(singles);
            assertThat(all.freePages()).as(where + ": free").isEqualTo(one.freePages());
            if (keep < got) {
                // what was given back unused comes out again as if never taken
                EpcPage a = one.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, tasks.get(0));
                EpcPage b = all.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, tasks.get(1));
                assertThat(b.frame().pfn()).as(where + ": after giving back").isEqualTo(a.frame().pfn());
                held.get(0).add(a);
                held.get(1).add(b);
            }
            // free the same random pages on both sides, so the free lists hold recycled frames in a random order
            int n = held.get(0).isEmpty() ? 0 : rnd.nextInt(Math.min(80, held.get(0).size()) + 1);
            for (int i = 0; i < n; i++) {
                int pick = rnd.nextInt(held.get(0).size());
                one.free(held.get(0).remove(pick));
                all.free(held.get(1).remove(pick));
            }
        }
        assertThat(runs).as("seed " + seed + ": runs allocated").isGreaterThan(50);
        for (int s = 0; s < 2; s++) {
            sides.get(s).epcManager().allocator().freeAll(held.get(s).toArray(EpcPage[]::new), held.get(s).size());
        }
    }

    @Test
    void freeingARunRejectsADoubleFree() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(0).epcSections(8 * 4096).build());
        EpcAllocator a = p.epcManager().allocator();
        EpcPage pg = a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, p.newTask("alloc"));
        a.freeAll(new EpcPage[] {pg}, 1);
        assertThat(a.freePages()).isEqualTo(8);
        assertThatThrownBy(() -> a.freeAll(new EpcPage[] {pg}, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sectionsAreNodesTriedRoundRobin() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(0).epcSections(64 * 4096, 64 * 4096).build());
        HostTask t = p.newTask("alloc");
        EpcAllocator a = p.epcManager().allocator();
        List<EpcPage> pages = new ArrayList<>();
        Set<Integer> nodes = new HashSet<>();
        for (int i = 0; i < 128; i++) {
            EpcPage pg = a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t);
            pages.add(pg);
            nodes.add(pg.node());
        }
        assertThat(nodes).containsExactlyInAnyOrder(0, 1);
        assertThat(a.freePages()).isZero();
        errno(Errno.ENOMEM, () -> a.allocate(new Object(), Reclaim.SGX_DO_RECLAIM, t)); // nothing reclaimable
        pages.forEach(a::free);
        assertThat(a.freePages()).isEqualTo(128);
        assertThatThrownBy(() -> a.free(pages.get(0))).isInstanceOf(IllegalStateException.class);
        EpcPage again = a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t);
        assertThat(pages).as("freed pages are reused before untouched frames").contains(again);
        a.free(again);
    }

    @Test
    void lowWatermarkWakesKsgxdWhichReclaimsToTheHighWatermark() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(200).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("w"), SgxTestSupport.image(1 << 20, 170));
        EpcAllocator a = p.epcManager().allocator();
        assertThat(a.freePages()).as("SECS + VA + TCS + code + 170").isEqualTo(200 - 174);
        assertThat(p.ksgxd().rounds()).isZero();
        int rounds = p.ksgxd().runPending();
        assertThat(rounds).isPositive();
        assertThat(a.freePages()).isGreaterThanOrEqualTo(EpcTunables.SGX_NR_HIGH_PAGES);
        assertThat(p.epcManager().reclaimer().evictedPages()).isEqualTo(a.freePages() - (200 - 174));
        assertThat(p.ksgxd().runPending()).as("nothing pending any more").isZero();
        fd.close();
    }

    @Test
    void ksgxdThreadIsJoinableAndReachesTheHighWatermark() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(200).ksgxd(Ksgxd.Mode.THREAD).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("w"), SgxTestSupport.image(1 << 20, 170));
        p.ksgxd().awaitIdle();
        assertThat(p.epcManager().allocator().freePages()).isGreaterThanOrEqualTo(EpcTunables.SGX_NR_HIGH_PAGES);
        fd.close();
    }

    @Test
    void directReclaimDuringTheBuild() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("big"), SgxTestSupport.image(1 << 22, 500));
        assertThat(fd.stats().count(CostEvent.EWB)).as("the build reclaimed its own pages").isGreaterThan(400);
        assertThat(fd.enclave().vaPageCount()).isEqualTo(1);
        fd.close();
    }

    @Test
    void noReclaimAllocationsGetEbusyAndDoReclaimOnesSeeSignals() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).watermarks(0, 0).build());
        HostTask t = p.newTask("t");
        EnclaveFd fd = SgxTestSupport.load(p, t, SgxTestSupport.image(1 << 20, 40));
        EpcAllocator a = p.epcManager().allocator();
        List<EpcPage> hog = new ArrayList<>();
        while (a.freePages() > 0) {
            hog.add(a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        }
        errno(Errno.EBUSY, () -> a.allocate(new Object(), Reclaim.SGX_NO_RECLAIM, t));
        t.kill();
        errno(Errno.ERESTARTSYS, () -> a.allocate(new Object(), Reclaim.SGX_DO_RECLAIM, t));
        t.clearSignal();
        EpcPage got = a.allocate(new Object(), Reclaim.SGX_DO_RECLAIM, t);
        assertThat(fd.stats().count(CostEvent.EWB)).as("global reclaim in the allocation loop").isPositive();
        a.free(got);
        hog.forEach(a::free);
        fd.close();
    }

    @Test
    void faultsWithoutFreeEpcWaitForKsgxd() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(96).ksgxd(Ksgxd.Mode.THREAD).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("f"), SgxTestSupport.image(1 << 22, 400));
        EnclaveContext ctx = fd.context();
        for (int i = 0; i < 400; i++) {
            ctx.writeInt(BASE + 0x2000 + i * 4096L, i);
        }
        for (int i = 0; i < 400; i++) {
            assertThat(ctx.readInt(BASE + 0x2000 + i * 4096L)).isEqualTo(i);
        }
        assertThat(p.ksgxd().rounds()).isPositive();
        fd.close();
    }

    @Test
    void virtualEpcIsUnreclaimable() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
        HostTask vmm = p.newTask("qemu");
        VirtualEpc vepc = p.openVepc(vmm, 100);
        for (int i = 0; i < 64; i++) {
            assertThat(vepc.fault(i, true)).isEqualTo(VirtualEpc.FaultResult.MAPPED);
        }
        assertThat(vepc.fault(3, false)).as("already mapped").isEqualTo(VirtualEpc.FaultResult.MAPPED);
        assertThat(vepc.fault(64, true)).as("nothing reclaimable anywhere").isEqualTo(VirtualEpc.FaultResult.SIGBUS);
        assertThat(vepc.fault(1000, true)).as("outside the mapping").isEqualTo(VirtualEpc.FaultResult.SIGBUS);
        errno(Errno.ENOMEM, () -> p.openEnclave(p.newTask("late")).create(
                SgxTestSupport.image(1 << 20, 1).secs()));
        assertThat(vepc.removeAll()).isZero();
        vepc.close();
        assertThat(p.epcManager().allocator().freePages()).isEqualTo(64);

        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("encl"), SgxTestSupport.image(1 << 20, 40));
        VirtualEpc v2 = p.openVepc(vmm, 100);
        int i = 0;
        while (v2.fault(i, true) == VirtualEpc.FaultResult.MAPPED) {
            i++;
        }
        assertThat(v2.fault(i, true)).as("enclave pages are reclaimable: retry").isEqualTo(VirtualEpc.FaultResult.RETRY);
        assertThat(v2.fault(i, false)).as("no retry allowed: SIGBUS").isEqualTo(VirtualEpc.FaultResult.SIGBUS);
        p.ksgxd().runPending();
        assertThat(v2.fault(i, true)).isEqualTo(VirtualEpc.FaultResult.MAPPED);
        v2.close();
        fd.close();
    }

    @Test
    void aFaultWithNoEpcAndNothingReclaimableIsSigbus() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("starved"), SgxTestSupport.image(1 << 20, 10));
        NoEpcCgroup c = (NoEpcCgroup) p.controller();
        while (!c.globalLru().isEmpty()) {
            p.epcManager().reclaimPages(c.globalLru(), null);
        }
        assertThat(fd.enclave().isSecsResident()).isFalse();
        VirtualEpc vm = p.openVepc(p.newTask("vmm"), 64);
        int i = 0;
        while (vm.fault(i, false) == VirtualEpc.FaultResult.MAPPED) {
            i++;
        }
        assertThat(p.epcManager().allocator().freePages()).isZero();
        assertThatThrownBy(() -> fd.context().readByte(BASE + 0x1000))
                .isInstanceOfSatisfying(io.jocclum.sgx.cpu.EnclaveFault.class,
                        f -> assertThat(f.kind()).isEqualTo(io.jocclum.sgx.cpu.EnclaveFault.Kind.SIGBUS));
        vm.close();
        assertThat(fd.context().readByte(BASE + 0x1000)).isEqualTo((byte) 3);
        fd.close();
    }

    @Test
    void vaPagesAreProvisionedPer512Pages() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(2048).build());
        HostTask t = p.newTask("va");
        // SECS + TCS + code + heap: 512 pages fit one VA page, the 513th needs a second
        EnclaveFd one = SgxTestSupport.load(p, t, SgxTestSupport.image(1 << 22, 509));
        EnclaveFd two = SgxTestSupport.load(p, t, SgxTestSupport.image(1 << 22, 510));
        assertThat(one.enclave().vaPageCount()).isEqualTo(1);
        assertThat(two.enclave().vaPageCount()).isEqualTo(2);
        one.close();
        two.close();
    }

    @Test
    void agingRotatesYoungPages() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(512).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("age"), SgxTestSupport.image(1 << 21, 64));
        EnclaveContext ctx = fd.context();
        long heap0 = BASE + 0x2000;
        ctx.readByte(heap0);                       // young
        NoEpcCgroup c = (NoEpcCgroup) p.controller();
        int isolated = p.epcManager().reclaimPages(c.globalLru(), null);
        assertThat(isolated).isEqualTo(16);
        assertThat(fd.enclave().epcmAt(heap0)).as("accessed since the last scan: rotated").isNotNull();
        assertThat(fd.enclave().epcmAt(BASE + 0x3000)).as("old: evicted").isNull();
        assertThat(p.epcManager().reclaimer().rotatedPages()).isEqualTo(1);
        assertThat(p.epcManager().reclaimer().evictedPages()).isEqualTo(15);
        assertThat(fd.stats().count(CostEvent.EWB)).as("the first EWB of a batch reports NOT_TRACKED, ETRACK, EWB again")
                .isEqualTo(16);
        assertThat(fd.stats().count(CostEvent.ETRACK)).isEqualTo(1);
        fd.close();
    }

    @Test
    void secsIsEvictedAfterItsLastChildAndReloadedFirst() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("secs"), SgxTestSupport.image(1 << 20, 20));
        NoEpcCgroup c = (NoEpcCgroup) p.controller();
        while (!c.globalLru().isEmpty()) {
            p.epcManager().reclaimPages(c.globalLru(), null);
        }
        assertThat(fd.enclave().isSecsResident()).isFalse();
        assertThat(fd.enclave().vaPageCount()).as("VA pages stay").isEqualTo(1);
        assertThat(p.epcManager().allocator().freePages()).as("only the VA page is left").isEqualTo(255);
        long eldu = fd.stats().count(CostEvent.ELDU);
        assertThat(fd.context().readByte(BASE + 0x1000)).isEqualTo((byte) 3);
        assertThat(fd.enclave().isSecsResident()).isTrue();
        assertThat(fd.stats().count(CostEvent.ELDU) - eldu).as("SECS then the page").isEqualTo(2);
        fd.close();
    }

    /** Puts {@code task} into a new cgroup {@code path} with the memory controller on; its memcg. */
    private static MemCgroup memcgFor(SgxPlatform p, HostTask task, String path) {
        CgroupFs fs = p.cgroups().fs();
        if (!fs.read("/", "cgroup.subtree_control").contains("memory")) {
            fs.write("/", "cgroup.subtree_control", "+memory");
        }
        fs.mkdir(path);
        fs.write(task, path, "cgroup.procs", "0");
        return fs.cgroup(path).memory();
    }

    @Test
    void backingPagesAreChargedToTheRightMemcg() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(128).watermarks(0, 0).build());
        HostTask a = p.newTask("a");
        BackingMemory memA = p.memcgs().of(memcgFor(p, a, "/a"));
        EnclaveFd fd = SgxTestSupport.load(p, a, SgxTestSupport.image(1 << 22, 300));
        long contents = fd.enclave().pageCount() - fd.enclave().residentPages();
        assertThat(memA.usage()).as("direct reclaim during A's build charges A's memcg")
                .isEqualTo(fd.enclave().backingFile().bytes()).isGreaterThanOrEqualTo(contents * 4096);
        assertThat(p.cgroups().fs().read("/a", "memory.current")).isEqualTo(memA.usage() + "\n");
        assertThat(p.rootMemcg().usage()).isZero();

        HostTask b = p.newTask("b");
        BackingMemory memB = p.memcgs().of(memcgFor(p, b, "/b"));
        long before = memA.usage();
        EnclaveFd fdB = SgxTestSupport.load(p, b, SgxTestSupport.image(1 << 20, 100));
        assertThat(memB.usage()).as("B's global reclaim evicting A's pages is charged to B (current mm)").isPositive();
        assertThat(memA.usage()).isEqualTo(before);

        // ksgxd charges no mm: the evicted page's enclave's first live mm (A)
        fdB.close();
        p.epcManager().allocator().allocate(new Object(), Reclaim.SGX_NO_RECLAIM, b);
        fd.close();
        p.epcManager().allocator().forEachPage(pg -> {
            if (!pg.isFree() && !(pg.owner() instanceof VirtualEpc) && pg.owner().getClass() == Object.class) {
                p.epcManager().allocator().free(pg);
            }
        });
        assertThat(memA.usage()).isZero();
        assertThat(memB.usage()).isZero();
        assertThat(p.cgroups().fs().read("/a", "memory.current")).isEqualTo("0\n");
    }

    @Test
    void ksgxdChargesTheEnclaveOwnersMemcg() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
        HostTask a = p.newTask("a");
        BackingMemory memA = p.memcgs().of(memcgFor(p, a, "/a"));
        EnclaveFd fd = SgxTestSupport.load(p, a, SgxTestSupport.image(1 << 21, 230));
        assertThat(memA.usage()).isZero();
        p.ksgxd().runPending();
        assertThat(fd.stats().count(CostEvent.EWB)).isPositive();
        assertThat(memA.usage()).isEqualTo(fd.enclave().backingFile().bytes()).isPositive();
        assertThat(p.rootMemcg().usage()).isZero();
        fd.close();
    }

    @Test
    void ksgxdChargesTheRootMemcgOnceTheOwnerExited() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
        HostTask a = p.newTask("a");
        BackingMemory memA = p.memcgs().of(memcgFor(p, a, "/a"));
        EnclaveFd fd = SgxTestSupport.load(p, a, SgxTestSupport.image(1 << 21, 230));
        p.exit(a);   // the mm is gone, the enclave file still open (e.g. passed to another process)
        p.ksgxd().runPending();
        assertThat(fd.stats().count(CostEvent.EWB)).isPositive();
        assertThat(memA.usage()).isZero();
        assertThat(p.rootMemcg().usage()).isEqualTo(fd.enclave().backingFile().bytes()).isPositive();
        fd.close();
    }

    @Test
    void aFullBackingMemcgWithSwapOffOomKillsTheTask() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).watermarks(0, 0).build());
        HostTask t = p.newTask("oom");
        MemCgroup m = memcgFor(p, t, "/tiny");
        BackingMemory tiny = p.memcgs().of(m);
        p.cgroups().fs().write("/tiny", "memory.max", Long.toString(10 * 4096));
        p.cgroups().memory().setSwapEnabled(false);
        EnclaveFd fd = p.openEnclave(t);
        fd.create(SgxTestSupport.image(1 << 22, 0).secs());
        io.jocclum.sgx.driver.SgxIoctl.AddPages add = new io.jocclum.sgx.driver.SgxIoctl.AddPages(
                java.lang.foreign.MemorySegment.ofArray(new byte[200 * 4096]), 0, 200 * 4096L,
                SecInfo.reg(SecInfo.R | SecInfo.W), 0);
        // backing allocations fail and the memcg OOM killer signals the task: the ioctl stops at the next
        // page with the count so far; resuming it fails with EINTR (ERRESTARTSYS before the first page)
        fd.addPages(add);
        assertThat(add.count).isPositive().isLessThan(200 * 4096L);
        assertThat(t.killed()).isTrue();
        long done = add.count;
        io.jocclum.sgx.driver.SgxIoctl.AddPages rest = new io.jocclum.sgx.driver.SgxIoctl.AddPages(
                java.lang.foreign.MemorySegment.ofArray(new byte[200 * 4096]).asSlice(done), done, 200 * 4096L - done,
                SecInfo.reg(SecInfo.R | SecInfo.W), 0);
        errno(Errno.EINTR, () -> fd.addPages(rest));
        assertThat(rest.count).isZero();
        assertThat(tiny.usage()).isLessThanOrEqualTo(10 * 4096);
        assertThat(m.events(MemoryEvent.OOM_KILL)).isEqualTo(1);
        assertThat(m.events(MemoryEvent.MAX)).as("backing allocations failed: pages were skipped").isPositive();
        fd.close();
        p.exit(t);
        p.cgroups().memory().setSwapEnabled(true);
        assertThat(tiny.usage()).isZero();
    }

    @Test
    void theOomKillerWaitsForItsVictimAndSparesOtherCgroups() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
        HostTask a = p.newTask("a");
        HostTask b = p.newTask("b");
        HostTask other = p.newTask("other");
        MemCgroup m = memcgFor(p, a, "/m");
        p.cgroups().fs().write(b, "/m", "cgroup.procs", "0");
        BackingMemory bm = p.memcgs().of(m);
        p.cgroups().fs().write("/m", "memory.max", "4096");
        p.cgroups().memory().setSwapEnabled(false);
        assertThat(bm.tryCharge(4096)).isTrue();
        assertThat(bm.tryCharge(4096)).as("over memory.max: OOM").isFalse();
        assertThat(a.killed()).as("lowest pid of the cgroup").isTrue();
        assertThat(b.killed()).isFalse();
        assertThat(bm.tryCharge(4096)).isFalse();
        assertThat(b.killed()).as("victim a has not exited: no second kill").isFalse();
        p.exit(a);
        assertThat(bm.tryCharge(4096)).isFalse();
        assertThat(b.killed()).isTrue();
        assertThat(other.killed()).isFalse();
        assertThat(m.events(MemoryEvent.OOM_KILL)).isEqualTo(2);
        bm.uncharge(4096);
        p.exit(b);
        p.cgroups().memory().setSwapEnabled(true);
    }

    @Test
    void edmmEnclaveWith16GibElrangeBootsInConstantSpace() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("huge"), SgxTestSupport.image(16L << 30, 4));
        EnclaveContext ctx = fd.context();
        assertThat(ctx.size()).isEqualTo(16L << 30);
        long far = BASE + (16L << 30) - 4096;
        assertThat(ctx.eaccept(far, SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING))).isZero();
        ctx.writeLong(far, 7);
        assertThat(ctx.readLong(far)).isEqualTo(7);
        assertThat(fd.enclave().pageCount()).isEqualTo(7);
        assertThat(frames(p)).isEqualTo(9);
        assertThat(fd.enclave().backingFile().bytes()).isZero();
        fd.close();
    }
}
