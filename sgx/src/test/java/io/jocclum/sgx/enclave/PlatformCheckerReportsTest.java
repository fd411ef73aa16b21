package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.cgroup.MemCgroup;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.FrameHooks;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.EpcHooks;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.NoEpcCgroup;
import io.jocclum.sgx.epc.Reclaim;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each kind of problem the enclave checker ({@link Enclave#checkInvariants}), the platform checker
 * ({@link SgxPlatform#checkInvariants}), the allocator's ({@code EpcManager.checkInvariants}),
 * the memory cgroups' ({@code BackingMemcgs}) and the cgroup-less controller's report: a test
 * corrupts the state on purpose, asserts the exact report, undoes the damage and asserts a clean
 * platform.
 */
@ExtendWith(SgxInvariantsExtension.class)
class PlatformCheckerReportsTest {
    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("checked"), SgxTestSupport.image(1 << 20, 8));
    private final Enclave encl = fd.enclave();

    private String me() {
        return "enclave " + encl.account.name() + ": ";
    }

    private List<String> problems() {
        return p.checkInvariants();
    }

    private void clean() {
        assertThat(problems()).isEmpty();
    }

    private List<EnclavePage> pages(boolean resident) {
        List<EnclavePage> out = new ArrayList<>();
        encl.pages.forEach(x -> {
            if (x.isResident() == resident) {
                out.add(x);
            }
        });
        assertThat(out).isNotEmpty();
        return out;
    }

    private EnclavePage resident() {
        return pages(true).getFirst();
    }

    private void evictAll() {
        while (p.controller().canReclaimGlobal()) {
            p.controller().reclaimGlobal(null);
        }
    }

    private int usedSlots() {
        int[] n = {0};
        encl.vaPages.forEach(v -> n[0] += v.used());
        return n[0];
    }

    @SuppressWarnings("unchecked")
    private static <T> T field(Object o, String name) {
        try {
            var f = o.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return (T) f.get(o);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static void setInt(Object o, String name, int value) throws ReflectiveOperationException {
        var f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        f.setInt(o, value);
    }

    private static int getInt(Object o, String name) throws ReflectiveOperationException {
        var f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.getInt(o);
    }

    // ---- resident pages ------------------------------------------------------------------------

    @Test
    void aPageWhoseTypeDisagreesWithTheEpcmIsFound() {
        EnclavePage pg = resident();
        PageType t = pg.type;
        pg.type = t == PageType.TCS ? PageType.REG : PageType.TCS;
        try {
            assertThat(problems()).contains(me() + pg + " disagrees with its EPCM entry " + pg.frame.epcmEntry());
        } finally {
            pg.type = t;
        }
        clean();
    }

    @Test
    void aPageBeingReclaimedWhileQuiescentIsFound() {
        EnclavePage pg = resident();
        pg.beingReclaimed = true;
        try {
            assertThat(problems()).containsExactly(me() + pg + " is being reclaimed while quiescent");
        } finally {
            pg.beingReclaimed = false;
        }
        clean();
    }

    @Test
    void aResidentPageHoldingAVaSlotIsFound() {
        EnclavePage pg = resident();
        pg.vaPage = encl.vaPages.first();
        try {
            assertThat(problems()).containsExactly(me() + pg + " is resident but holds a VA slot");
        } finally {
            pg.vaPage = null;
        }
        clean();
    }

    @Test
    void aWrongFrameTranslationIsFound() {
        EnclavePage pg = resident();
        EpcFrame own = pg.frame;
        EpcFrame other = encl.secs.frame;
        pg.frame = other;
        try {
            assertThat(problems()).contains(me() + pg + " frame translation does not match its EPC page",
                    me() + pg + " disagrees with its EPCM entry " + other.epcmEntry());
        } finally {
            pg.frame = own;
        }
        clean();
    }

    @Test
    void aStaleTranslationInThePageTableIsFound() {
        EnclavePage pg = resident();
        long idx = pg.backingIndex();
        long own = pg.frame.translation();
        long stale = Epc.translation(pg.frame.pfn(), pg.frame.generation() - 1);
        encl.pages.setTranslation(idx, stale);
        try {
            assertThat(problems()).containsExactly(me() + pg + " has translation frame " + pg.frame.pfn() + " generation "
                    + pg.frame.generation() + " but the page table records frame " + pg.frame.pfn() + " generation "
                    + (pg.frame.generation() - 1));
        } finally {
            encl.pages.setTranslation(idx, own);
        }
        clean();
    }

    @Test
    void anEvictedPageWithATranslationInThePageTableIsFound() {
        evictAll();
        EnclavePage pg = pages(false).getFirst();
        long idx = pg.backingIndex();
        EpcFrame va = encl.vaPages.first().epcPage.frame();
        encl.pages.setTranslation(idx, va.translation());
        try {
            assertThat(problems()).containsExactly(me() + pg + " has translation none but the page table records frame "
                    + va.pfn() + " generation " + va.generation());
        } finally {
            encl.pages.setTranslation(idx, Epc.NO_TRANSLATION);
        }
        clean();
    }

    @Test
    void aPageThatDoesNotOwnItsEpcPageIsFound() {
        EnclavePage pg = resident();
        Object old = EpcHooks.setOwner(pg.epcPage, encl);
        try {
            assertThat(problems()).containsExactly(me() + pg + " is not the owner of its EPC page");
        } finally {
            EpcHooks.setOwner(pg.epcPage, old);
        }
        clean();
    }

    @Test
    void aResidentPageOffTheReclaimerIsFound() {
        EnclavePage pg = resident();
        EpcPage x = pg.epcPage;
        int flags = x.flags();
        int resident = encl.residentPages();
        EpcHooks.setFlags(x, flags & ~EpcPage.RECLAIMER_TRACKED);
        try {
            assertThat(problems()).contains(me() + pg + " is resident but not on an LRU",
                    x + " is on " + x.lruList() + " without RECLAIMER_TRACKED",
                    (resident - 1) + " pages tracked by the reclaimer but enclaves have " + resident + " resident pages");
        } finally {
            EpcHooks.setFlags(x, flags);
        }
        clean();
    }

    @Test
    void pinnedAndBlockedFramesWhileQuiescentAreFound() throws ReflectiveOperationException {
        EnclavePage pg = pages(true).stream().filter(x -> x.frame.isMaterialized()).findFirst().orElseThrow();
        EpcFrame f = pg.frame;
        assertThat(f.pinOwned(encl.control().eid(), pg.addr)).isTrue();
        try {
            assertThat(problems()).contains(f + " has access pins while quiescent",
                    pg.epcPage + " has 1 access pins while quiescent");
        } finally {
            f.unpin();
        }
        int state = FrameHooks.state(f);
        FrameHooks.setState(f, state | (1 << 30)); // EpcFrame.BLOCKED
        try {
            assertThat(problems()).contains(f + " is BLOCKED while quiescent", me() + pg + " is being reclaimed while quiescent");
        } finally {
            FrameHooks.setState(f, state);
        }
        clean();
    }

    @Test
    void nonZeroBytesOutsideTheDirtyLinesOfAHostPageAreFound() {
        EpcFrame f = pages(true).stream().map(x -> x.frame).filter(x -> !x.contentIsZero()).findFirst().orElseThrow();
        long dirty = FrameHooks.dirty(f);
        assertThat(dirty).as("a page stored whole").isEqualTo(-1L);
        FrameHooks.setDirty(f, 0);
        try {
            assertThat(problems()).anySatisfy(x -> assertThat(x).startsWith(f + " has non-zero bytes in line ")
                    .endsWith(" of its host page, which is not marked dirty"));
        } finally {
            FrameHooks.setDirty(f, dirty);
        }
        EpcFrame free = p.epc().frame(p.epc().totalPages() - 1);
        assertThat(free.isValid()).isFalse();
        FrameHooks.setDirty(free, 0x10);
        try {
            assertThat(problems()).contains(free + " has no host page but dirty lines 0x10");
        } finally {
            FrameHooks.setDirty(free, 0);
        }
        clean();
    }

    @Test
    void aFrameMarkedAsWrittenWholeWithoutEveryDirtyLineIsFound() {
        EpcFrame f = pages(true).stream().map(x -> x.frame).filter(x -> !x.contentIsZero()).findFirst().orElseThrow();
        int state = FrameHooks.state(f);
        assertThat(state & FrameHooks.WRITTEN).as("a page stored whole says so in its state word").isNotZero();
        assertThat(FrameHooks.dirty(f)).isEqualTo(-1L);
        EpcFrame free = p.epc().frame(p.epc().totalPages() - 1);
        assertThat(free.isValid()).isFalse();
        int freeState = FrameHooks.state(free);
        FrameHooks.setState(free, freeState | FrameHooks.WRITTEN);
        try {
            assertThat(problems()).contains(free + " is marked as stored to in every line but has no host page");
        } finally {
            FrameHooks.setState(free, freeState);
        }
        clean();
    }

    @Test
    void anAccessedBitOnAFrameWithoutAnEntryIsFound() {
        EpcFrame f = resident().frame;
        f.markAccessed();
        assertThat(FrameHooks.state(f) & FrameHooks.ACCESSED).as("the accessed bit is in the state word").isNotZero();
        assertThat(f.testAndClearAccessed()).isTrue();
        assertThat(FrameHooks.state(f) & FrameHooks.ACCESSED).as("aging clears it").isZero();
        assertThat(f.testAndClearAccessed()).isFalse();
        EpcFrame free = p.epc().frame(p.epc().totalPages() - 1);
        assertThat(free.isValid()).isFalse();
        int freeState = FrameHooks.state(free);
        FrameHooks.setState(free, freeState | FrameHooks.ACCESSED);
        try {
            assertThat(problems()).contains(free + " has no EPCM entry but its accessed bit is set");
        } finally {
            FrameHooks.setState(free, freeState);
        }
        clean();
    }

    @Test
    void aMultiPageAccessInFlightWhileQuiescentIsFound() {
        EpcFrame f = resident().frame;
        io.jocclum.sgx.cpu.Epc epc = p.epc();
        int slot = epc.claimRuns();
        epc.beginRun(slot, new long[] {f.translation()}, 1);
        try {
            assertThat(problems()).containsExactly("a multi-page enclave access is in flight while quiescent");
        } finally {
            epc.endRun(slot);
            epc.releaseRuns(slot);
        }
        clean();
    }

    // ---- evicted pages and VA slots ----------------------------------------------------------

    @Test
    void anEvictedPageWithoutAVaSlotIsFound() {
        evictAll();
        EnclavePage pg = pages(false).getFirst();
        int slots = usedSlots();
        int slot = pg.vaSlot;
        pg.vaSlot = -1;
        try {
            assertThat(problems()).containsExactly(me() + pg + " is evicted without a VA slot",
                    me() + slots + " VA slots in use but " + (slots - 1) + " evicted pages");
        } finally {
            pg.vaSlot = slot;
        }
        clean();
    }

    @Test
    void twoPagesSharingAVaSlotAreFound() {
        evictAll();
        List<EnclavePage> evicted = pages(false);
        EnclavePage a = evicted.get(0);
        EnclavePage b = evicted.get(1);
        VaPage va = b.vaPage;
        int slot = b.vaSlot;
        int slots = usedSlots();
        b.vaPage = a.vaPage;
        b.vaSlot = a.vaSlot;
        try {
            assertThat(problems()).containsExactly(me() + b + " shares its VA slot with another page",
                    me() + slots + " VA slots in use but " + (slots - 1) + " evicted pages");
        } finally {
            b.vaPage = va;
            b.vaSlot = slot;
        }
        clean();
    }

    @Test
    void aFreedVaSlotStillInUseIsFound() {
        evictAll();
        EnclavePage pg = pages(false).getFirst();
        long[] bitmap = field(pg.vaPage, "bitmap");
        long word = bitmap[pg.vaSlot >>> 6];
        long version = pg.vaPage.epcPage.frame().vaSlot(pg.vaSlot);
        bitmap[pg.vaSlot >>> 6] = word & ~(1L << (pg.vaSlot & 63));
        try {
            assertThat(problems()).containsExactly(me() + pg + " points at a free VA slot",
                    me() + "VA slot " + pg.vaSlot + " bitmap says false but version is " + version);
        } finally {
            bitmap[pg.vaSlot >>> 6] = word;
        }
        clean();
    }

    @Test
    void aVaSlotCountThatDisagreesIsFound() throws ReflectiveOperationException {
        VaPage va = encl.vaPages.first();
        int used = va.used();
        int slots = usedSlots();
        setInt(va, "used", used + 1);
        try {
            assertThat(problems()).containsExactly(me() + (slots + 1) + " VA slots in use but " + slots + " evicted pages");
        } finally {
            setInt(va, "used", used);
        }
        clean();
    }

    @Test
    void anEvictedPageWithoutItsBackingIsFound() {
        evictAll();
        EnclavePage pg = pages(false).getFirst();
        BackingStore.FilePages<Object> backing = field(encl.backing, "contents");
        long evicted = encl.backing.fileIndexes().stream().filter(i -> i <= io.jocclum.sgx.arch.Pages.count(encl.size)).count();
        long handle = backing.handleAt(backing.find(pg.backingIndex()));
        Object page = backing.remove(pg.backingIndex());
        try {
            assertThat(problems()).containsExactly(me() + pg + " is evicted but its backing pages are missing",
                    me() + (evicted - 1) + " contents pages in the backing store for " + evicted + " evicted pages");
        } finally {
            backing.put(pg.backingIndex(), handle, page);
        }
        clean();
    }

    @Test
    void aVaPageOnAnLruIsFound() {
        VaPage va = encl.vaPages.first();
        EpcPage x = va.epcPage;
        int flags = x.flags();
        int resident = encl.residentPages();
        EpcHooks.setFlags(x, flags | EpcPage.RECLAIMER_TRACKED);
        try {
            assertThat(problems()).contains(me() + "a VA page is on an LRU",
                    x + " is tracked by the reclaimer but on no LRU (isolated while quiescent)",
                    (resident + 1) + " pages tracked by the reclaimer but enclaves have " + resident + " resident pages");
        } finally {
            EpcHooks.setFlags(x, flags);
        }
        clean();
    }

    // ---- the SECS and the counters -------------------------------------------------------------

    @Test
    void wrongChildAndPageCountsAreFound() {
        int children = encl.secsChildCnt;
        encl.secsChildCnt = children + 1;
        try {
            // the platform counts resident pages by secs_child_cnt, so it disagrees with the allocator and the LRUs too
            assertThat(problems()).containsExactly(me() + "secs_child_cnt " + (children + 1) + " != resident pages " + children,
                    (p.epcManager().allocator().capacityPages() - p.epcManager().allocator().freePages())
                            + " EPC pages allocated but enclaves and vEPCs account for "
                            + (p.epcManager().allocator().capacityPages() - p.epcManager().allocator().freePages() + 1),
                    children + " pages tracked by the reclaimer but enclaves have " + (children + 1) + " resident pages");
        } finally {
            encl.secsChildCnt = children;
        }
        long cnt = encl.pageCnt;
        encl.pageCnt = cnt + VaPage.SLOTS;
        try {
            long needed = (cnt + VaPage.SLOTS + VaPage.SLOTS - 1) / VaPage.SLOTS;
            assertThat(problems()).containsExactly(
                    me() + encl.vaPages.size() + " VA pages for " + (cnt + VaPage.SLOTS) + " pages, at least " + needed + " needed",
                    me() + "page_cnt " + (cnt + VaPage.SLOTS) + " != pages + SECS " + cnt);
        } finally {
            encl.pageCnt = cnt;
        }
        clean();
    }

    @Test
    void anEvictedSecsWithResidentChildrenIsFound() {
        EpcPage secs = encl.secs.epcPage;
        long used = p.epcManager().allocator().capacityPages() - p.epcManager().allocator().freePages();
        int resident = encl.residentPages();
        encl.secs.epcPage = null;
        try {
            assertThat(problems()).contains(me() + "SECS page is evicted without a VA slot",
                    me() + "SECS is evicted but " + resident + " children are resident",
                    me() + "0 contents pages in the backing store for 1 evicted pages",
                    used + " EPC pages allocated but enclaves and vEPCs account for " + (used - 1));
        } finally {
            encl.secs.epcPage = secs;
        }
        clean();
    }

    @Test
    void aSecsFrameThatLostItsSecsOrMiscountsItsChildrenIsFound() throws ReflectiveOperationException {
        EpcFrame f = encl.secs.frame;
        Object secs = field(f, "secs");
        var slot = EpcFrame.class.getDeclaredField("secs");
        slot.setAccessible(true);
        slot.set(f, null);
        try {
            assertThat(problems()).contains(me() + "SECS frame does not hold a valid SECS");
        } finally {
            slot.set(f, secs);
        }
        int children = getInt(secs, "children");
        setInt(secs, "children", children + 1);
        try {
            assertThat(problems()).containsExactly(me() + "SECS child count " + (children + 1) + " != resident pages " + children);
        } finally {
            setInt(secs, "children", children);
        }
        clean();
    }

    @Test
    void aVaFrameThatIsNotAValidVaPageIsFound() throws ReflectiveOperationException {
        EpcFrame f = encl.vaPages.first().epcPage.frame();
        int epcm = FrameHooks.epcm(f);
        FrameHooks.setEpcm(f, 0);
        try {
            assertThat(problems()).contains(me() + "VA page frame is not a valid VA page: " + f.epcmEntry());
        } finally {
            FrameHooks.setEpcm(f, epcm);
        }
        clean();
    }

    // ---- the platform as a whole ---------------------------------------------------------------

    @Test
    void aStrayAllocationIsFound() {
        long used = p.epcManager().allocator().capacityPages() - p.epcManager().allocator().freePages();
        EpcPage x = p.epcManager().allocator().allocate("stray", Reclaim.SGX_NO_RECLAIM, fd.task());
        try {
            assertThat(problems()).contains((used + 1) + " EPC pages allocated but enclaves and vEPCs account for " + used,
                    x + " is allocated to stray but its EPCM entry is invalid");
        } finally {
            p.epcManager().allocator().free(x);
        }
        clean();
    }

    @Test
    void aWrongFreePageCounterIsFound() throws ReflectiveOperationException {
        long free = p.epcManager().allocator().freePages();
        EpcHooks.miscountFree(p.epcManager().allocator(), 1);
        try {
            assertThat(problems()).contains("sgx_nr_free_pages is " + (free + 1) + " but the free lists hold " + free);
        } finally {
            EpcHooks.miscountFree(p.epcManager().allocator(), -1);
        }
        clean();
    }

    @Test
    void aKernelWarningIsReported() {
        encl.drv.warn("test warning");
        List<String> warnings = field(encl.drv, "warnings");
        try {
            assertThat(problems()).containsExactly("kernel warning: test warning");
        } finally {
            warnings.clear();
        }
        clean();
    }

    @Test
    void memoryCgroupChargesWithoutBackingAreFound() {
        long held = p.memcgs().chargedBytes();
        assertThat(p.memcgs().root().tryCharge(4096)).isTrue();
        try {
            assertThat(problems()).containsExactly("memory cgroups hold " + (held + 4096) + " bytes but backing stores hold " + held);
        } finally {
            p.memcgs().root().uncharge(4096);
        }
        var fs = p.cgroups().fs();
        fs.write("/", "cgroup.subtree_control", "+memory");
        fs.mkdir("/m");
        MemCgroup m = fs.cgroup("/m").memory();
        assertThat(p.cgroups().memory().tryChargePages(m, 1)).isTrue();
        try {
            assertThat(problems()).contains("memory cgroup /m holds 1 pages but the backing store charged 0 pages to its subtree");
        } finally {
            p.cgroups().memory().unchargePages(m, 1);
        }
        clean();
        var adapter = p.memcgs().of(m);
        assertThat(adapter.tryCharge(4096)).isTrue();
        try {
            var released = io.jocclum.sgx.cgroup.Css.class.getDeclaredField("released");
            released.setAccessible(true);
            released.setBoolean(m, true);
            try {
                assertThat(problems()).contains("released memory cgroup /m still has 4096 backing bytes charged");
            } finally {
                released.setBoolean(m, false);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        } finally {
            adapter.uncharge(4096);
        }
        clean();
        fs.rmdir("/m");
        clean();
    }

    @Test
    void aPageOnTheGlobalLruChargedElsewhereIsFound() {
        SgxPlatform q = SgxPlatform.start(SgxTestSupport.config(256).build(), NoEpcCgroup.factory());
        SgxTestSupport.track(q);
        SgxTestSupport.load(q, q.newTask("w"), SgxTestSupport.image(1 << 20, 4));
        NoEpcCgroup c = (NoEpcCgroup) q.controller();
        EpcPage[] first = {null};
        c.globalLru().forEach(x -> {
            if (first[0] == null) {
                first[0] = x;
            }
        });
        var group = first[0].group();
        io.jocclum.sgx.epc.EpcGroup stranger = () -> "stranger";
        EpcHooks.setGroup(first[0], stranger);
        try {
            List<String> out = new ArrayList<>();
            c.checkInvariants(out::add);
            assertThat(out).containsExactly(first[0] + " on the global LRU is charged to " + stranger);
        } finally {
            EpcHooks.setGroup(first[0], group);
        }
        assertThat(q.checkInvariants()).isEmpty();
    }
}
