package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.EpcmEntry;

import java.lang.foreign.MemorySegment;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The view of an invariant checker into one {@link Enclave}: the EPCM state and contents of its pages
 * whether resident or evicted, and the consistency of its page table, VA pages, backing store and
 * the EPCM. It changes nothing (no ELDU, no cost); call it when the enclave is quiescent.
 */
final class EnclaveInspection {
    private final Enclave encl;

    EnclaveInspection(Enclave encl) {
        this.encl = encl;
    }

    /** See {@link Enclave#inspectPage}. */
    EpcmEntry inspectPage(long addr) {
        return inspect(addr, null, EpcFrame::epcmEntry, (p, b) -> b == null ? null : savedEpcmEntry(p, b));
    }

    /** See {@link Enclave#inspectPageIsZero}. */
    boolean inspectPageIsZero(long addr) {
        return inspect(addr, true, EpcFrame::contentIsZero, this::evictedIsZero);
    }

    /**
     * The page at {@code addr} as a checker sees it: {@code resident} of its frame when it is in the
     * EPC; else, under the lock, {@code evicted} of the page and its backing slot (null when the slot
     * is missing); {@code absent} when the enclave has no page there.
     */
    private <T> T inspect(long addr, T absent, Function<EpcFrame, T> resident,
                          BiFunction<EnclavePage, BackingStore.Slot, T> evicted) {
        if (encl.pages == null || addr < encl.base || addr - encl.base >= encl.size) {
            return absent;
        }
        long idx = Pages.index(addr - encl.base);
        EnclavePage q = encl.pages.get(idx);
        if (q == null) {
            return absent;
        }
        EpcFrame rf = q.frame;
        if (rf != null) {
            return resident.apply(rf); // resident: no lock needed on a quiescent enclave
        }
        encl.lock.lock();
        try {
            EnclavePage p = encl.pages.get(idx);
            if (p == null) {
                return absent;
            }
            EpcFrame f = p.frame;
            if (f != null) {
                return resident.apply(f);
            }
            return evicted.apply(p, encl.backing.lookup(p.backingIndex()));
        } finally {
            encl.lock.unlock();
        }
    }

    /** The EPCM entry EWB saved in the PCMD of the evicted page {@code p}. */
    private EpcmEntry savedEpcmEntry(EnclavePage p, BackingStore.Slot b) {
        long si = Pcmd.secInfoFlags(b.pcmd().slab, b.pcmd().offset + b.pcmdOffset());
        return new EpcmEntry(true, PageType.fromEncoding((int) ((si >>> 8) & 0xFF)), si & SecInfo.PERM_MASK,
                (si & SecInfo.PENDING) != 0, (si & SecInfo.MODIFIED) != 0, (si & SecInfo.PR) != 0, false,
                p.addr, encl.control.eid());
    }

    /** True if the evicted page {@code p} decrypts (MAC checked) to zeros. */
    private boolean evictedIsZero(EnclavePage p, BackingStore.Slot b) {
        if (b == null || p.vaPage == null) {
            return false;
        }
        byte[] plain = new byte[Pages.SIZE];
        if (!encl.cpu.inspectEvicted(b.contentsData(), b.pcmd().data(), b.pcmdOffset(), p.vaPage.epcPage.frame(),
                p.vaSlot, p.addr, encl.control.eid(), MemorySegment.ofArray(plain))) {
            return false;
        }
        for (byte x : plain) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** See {@link Enclave#countPages}. */
    long countPages(long start, long end) {
        if (encl.pages == null) {
            return 0;
        }
        long from = Pages.index(Math.max(0, start - encl.base));
        long to = Pages.countUp(Math.min(encl.size, Math.max(0, end - encl.base)));
        long[] n = {0};
        encl.lock.lock();
        try {
            encl.pages.forEachInRange(from, to, p -> n[0]++);
        } finally {
            encl.lock.unlock();
        }
        return n[0];
    }

    /** See {@link Enclave#checkInvariants}. */
    void checkInvariants(Consumer<String> problems) {
        encl.lock.lock();
        try {
            if (!encl.has(Enclave.CREATED) || encl.has(Enclave.RELEASED)) {
                return;
            }
            String me = "enclave " + encl.account.name() + ": ";
            int[] resident = {0};
            long[] evicted = {0};
            java.util.Set<Long> usedSlots = new java.util.HashSet<>();
            encl.pages.forEach(p -> {
                long recorded = encl.pages.translationOf(p.backingIndex());
                long actual = p.frame == null ? Epc.NO_TRANSLATION : p.frame.translation();
                if (recorded != actual) {
                    problems.accept(me + p + " has translation " + translationString(actual) + " but the page table records "
                            + translationString(recorded));
                }
                if (p.isResident()) {
                    resident[0]++;
                    EpcmEntry e = p.frame.epcmEntry();
                    if (p.frame != p.epcPage.frame()) {
                        problems.accept(me + p + " frame translation does not match its EPC page");
                    }
                    if (!e.valid() || e.linaddr() != p.addr || e.ownerEid() != encl.control.eid()
                            || e.type() != p.type) {
                        problems.accept(me + p + " disagrees with its EPCM entry " + e);
                    }
                    if (p.beingReclaimed || e.blocked()) {
                        problems.accept(me + p + " is being reclaimed while quiescent");
                    }
                    if (p.epcPage.owner() != p) {
                        problems.accept(me + p + " is not the owner of its EPC page");
                    }
                    if (!p.epcPage.isReclaimerTracked()) {
                        problems.accept(me + p + " is resident but not on an LRU");
                    }
                    if (p.vaPage != null) {
                        problems.accept(me + p + " is resident but holds a VA slot");
                    }
                } else {
                    evicted[0]++;
                    checkEvicted(p, usedSlots, problems, me);
                }
            });
            if (!encl.secs.isResident()) {
                checkEvicted(encl.secs, usedSlots, problems, me);
                if (resident[0] != 0) {
                    problems.accept(me + "SECS is evicted but " + resident[0] + " children are resident");
                }
            } else if (encl.secs.frame.secs() == null) {
                problems.accept(me + "SECS frame does not hold a valid SECS");
            } else if (encl.secs.frame.secs().children() != resident[0]) {
                problems.accept(me + "SECS child count " + encl.secs.frame.secs().children() + " != resident pages "
                        + resident[0]);
            }
            if (encl.secsChildCnt != resident[0]) {
                problems.accept(me + "secs_child_cnt " + encl.secsChildCnt + " != resident pages " + resident[0]);
            }
            // sgx_encl_grow adds a VA page whenever page_cnt is a multiple of 512; REMOVE_PAGES lowers
            // page_cnt (sgx_encl_shrink(encl, NULL)) but frees no VA page, so after EAUG/REMOVE cycles
            // an enclave may hold more VA pages than its page count needs, never fewer
            long neededVa = (encl.pageCnt + VaPage.SLOTS - 1) / VaPage.SLOTS;
            if (encl.vaPages.size() < neededVa) {
                problems.accept(me + encl.vaPages.size() + " VA pages for " + encl.pageCnt + " pages, at least "
                        + neededVa + " needed");
            }
            if (encl.pageCnt != encl.pages.size() + 1) {
                problems.accept(me + "page_cnt " + encl.pageCnt + " != pages + SECS " + (encl.pages.size() + 1));
            }
            int[] slotsUsed = {0};
            encl.vaPages.forEach(v -> {
                slotsUsed[0] += v.used();
                EpcmEntry e = v.epcPage.frame().epcmEntry();
                if (!e.valid() || e.type() != PageType.VA) {
                    problems.accept(me + "VA page frame is not a valid VA page: " + e);
                }
                if (v.epcPage.isReclaimerTracked()) {
                    problems.accept(me + "a VA page is on an LRU");
                }
                for (int i = 0; i < VaPage.SLOTS; i++) {
                    long version = v.epcPage.frame().vaSlot(i);
                    if (v.isUsed(i) != (version != 0)) {
                        problems.accept(me + "VA slot " + i + " bitmap says " + v.isUsed(i) + " but version is "
                                + version);
                    }
                }
            });
            if (slotsUsed[0] != usedSlots.size()) {
                problems.accept(me + slotsUsed[0] + " VA slots in use but " + usedSlots.size() + " evicted pages");
            }
            long expectedBacking = 0;
            java.util.Set<Long> pcmdPages = new java.util.HashSet<>();
            for (Long idx : encl.backing.fileIndexes()) {
                if (idx <= Pages.count(encl.size)) {
                    expectedBacking++;
                } else {
                    pcmdPages.add(idx);
                }
            }
            long evictedTotal = evicted[0] + (encl.secs.isResident() ? 0 : 1);
            if (expectedBacking != evictedTotal) {
                problems.accept(me + expectedBacking + " contents pages in the backing store for " + evictedTotal
                        + " evicted pages");
            }
        } finally {
            encl.lock.unlock();
        }
    }

    private void checkEvicted(EnclavePage p, java.util.Set<Long> usedSlots, Consumer<String> problems, String me) {
        if (p.vaPage == null || p.vaSlot < 0) {
            problems.accept(me + p + " is evicted without a VA slot");
            return;
        }
        if (!p.vaPage.isUsed(p.vaSlot)) {
            problems.accept(me + p + " points at a free VA slot");
        }
        if (!usedSlots.add(p.vaPage.epcPage.frame().pfn() * VaPage.SLOTS + p.vaSlot)) {
            problems.accept(me + p + " shares its VA slot with another page");
        }
        if (!encl.backing.hasPage(p.backingIndex())
                || !encl.backing.hasPage(Pages.index(encl.backing.pcmdOffset(p.backingIndex())))) {
            problems.accept(me + p + " is evicted but its backing pages are missing");
        }
    }

    /** "frame N generation G", or "none". */
    static String translationString(long t) {
        return t == Epc.NO_TRANSLATION ? "none" : "frame " + Epc.frameNumber(t) + " generation " + (t >>> 32);
    }
}
