package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.PageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The runs of multi-page accesses ({@link AccessRuns}) against the frames' fences, blocks and
 * EREMOVE's exclusive hold: a fence waits for a run that published its frame and only for that, a
 * run that starts after a frame was fenced or blocked leaves the frame alone, and EREMOVE's hold
 * fails while a run holds the frame. The waiting side is observed through the test hook that runs
 * when it starts waiting, never by sleeping.
 */
class AccessRunsTest {
    private static final long PAGE = 0x7000_0000L;
    private static final int RW_REG = EpcFrame.EPCM_VALID | EpcFrame.EPCM_R | EpcFrame.EPCM_W
            | PageType.REG.encoding() << EpcFrame.TYPE_SHIFT;

    private final Epc epc = new Epc(List.of(64L * 4096));

    @AfterEach
    void close() {
        epc.close();
    }

    private EpcFrame regularPage(long pfn, long address) {
        EpcFrame f = epc.frame(pfn);
        synchronized (f) {
            f.setEpcm(RW_REG, address, null);
        }
        return f;
    }

    @Test
    void aFenceWaitsForTheRunThatHoldsTheFrameUntilItEnds() throws Exception {
        EpcFrame f = regularPage(3, PAGE);
        long t = f.translation();
        int slot = epc.claimRuns();
        epc.beginRun(slot, new long[] {t}, 1);
        assertThat(epc.checkRun(t, PAGE, true, true)).as("the host page of a checked frame").isNotEqualTo(HostPagePool.NONE);
        assertThat(f.inUse()).isTrue();

        CompletableFuture<Void> waiting = new CompletableFuture<>();
        epc.runs().onWait = () -> waiting.complete(null);
        CompletableFuture<Boolean> fence = CompletableFuture.supplyAsync(f::fence, r -> Thread.ofPlatform().start(r));
        CompletableFuture.anyOf(waiting, fence).join();
        // the fencer cannot return before the run ends: it waits for exactly that
        assertThat(waiting).as("the fencer waits for the run").isDone();
        assertThat(fence).isNotDone();
        assertThat(f.tryExclusive()).as("EREMOVE's hold while a run holds the frame").isFalse();

        // a run that starts now sees FENCED and leaves the frame to the fault path
        int other = epc.claimRuns();
        assertThat(other).isNotEqualTo(slot);
        epc.beginRun(other, new long[] {t}, 1);
        assertThat(epc.checkRun(t, PAGE, true, false)).isEqualTo(-1);
        epc.truncateRun(other, 0);
        epc.endRun(other);
        epc.releaseRuns(other);

        epc.endRun(slot);
        assertThat(fence.get()).as("the fence had to wait").isTrue();
        epc.releaseRuns(slot);
        f.unfence();
        epc.runs().onWait = null;
        assertThat(f.inUse()).isFalse();
        assertThat(epc.runsInFlight()).isFalse();
        assertThat(f.tryExclusive()).isTrue();
        f.releaseExclusive();
    }

    @Test
    void aFenceDoesNotWaitForRunsOfOtherFrames() {
        EpcFrame f = regularPage(3, PAGE);
        EpcFrame g = regularPage(4, PAGE + 4096);
        int slot = epc.claimRuns();
        epc.beginRun(slot, new long[] {g.translation()}, 1);
        List<Boolean> hooked = new ArrayList<>();
        epc.runs().onWait = () -> hooked.add(true);
        assertThat(f.fence()).as("no access held the fenced frame").isFalse();
        assertThat(hooked).isEmpty();
        assertThat(g.inUse()).isTrue();
        assertThat(f.inUse()).isFalse();
        f.unfence();
        epc.endRun(slot);
        epc.releaseRuns(slot);
    }

    @Test
    void aRunLeavesABlockedOrReusedFrameToTheFaultPath() {
        EpcFrame f = regularPage(5, PAGE);
        long t = f.translation();
        synchronized (f) {
            assertThat(f.block(0)).isTrue();
        }
        int slot = epc.claimRuns();
        epc.beginRun(slot, new long[] {t}, 1);
        assertThat(epc.checkRun(t, PAGE, false, false)).as("blocked").isEqualTo(-1);
        epc.endRun(slot);

        EpcFrame g = regularPage(6, PAGE);
        long stale = g.translation();
        synchronized (g) {
            g.setEpcm(RW_REG, PAGE + 4096, null); // a new entry: the translation's generation is gone
        }
        epc.beginRun(slot, new long[] {stale}, 1);
        assertThat(epc.checkRun(stale, PAGE, false, false)).as("another entry").isEqualTo(-1);
        assertThat(epc.checkRun(g.translation(), PAGE + 4096, false, false)).as("never written: no host page")
                .isEqualTo(HostPagePool.NONE);
        assertThat(g.isAccessed()).as("the check sets the accessed bit").isTrue();
        epc.endRun(slot);
        epc.releaseRuns(slot);
    }

    @Test
    void aRunsPagesAreCheckedAtOnceUpToTheFirstThatDoesNotPass() {
        EpcFrame a = regularPage(10, PAGE);
        EpcFrame b = regularPage(11, PAGE + 4096);
        EpcFrame readOnly = epc.frame(12);
        synchronized (readOnly) {
            readOnly.setEpcm(RW_REG & ~EpcFrame.EPCM_W, PAGE + 2 * 4096, null);
        }
        EpcFrame after = regularPage(13, PAGE + 3 * 4096);
        long[] run = new long[2 * Epc.MAX_RUN];
        run[0] = a.translation();
        run[1] = b.translation();
        run[2] = readOnly.translation();
        run[3] = after.translation();
        int slot = epc.claimRuns();
        epc.beginRun(slot, run, 4);
        assertThat(epc.checkRunPages(run, 4, Epc.MAX_RUN, false, false)).as("a read passes all four").isEqualTo(4);
        assertThat(run[Epc.MAX_RUN]).as("never written: no host page").isEqualTo(HostPagePool.NONE);
        assertThat(a.isAccessed() && b.isAccessed() && readOnly.isAccessed() && after.isAccessed()).isTrue();
        epc.endRun(slot);

        EpcFrame c = regularPage(14, PAGE + 4 * 4096);
        run[0] = a.translation();
        run[1] = b.translation();
        run[2] = readOnly.translation();
        run[3] = c.translation();
        run[Epc.MAX_RUN + 2] = 42;
        epc.beginRun(slot, run, 4);
        assertThat(epc.checkRunPages(run, 4, Epc.MAX_RUN, true, true)).as("a store stops at the read-only page").isEqualTo(2);
        assertThat(run[Epc.MAX_RUN]).as("a store's host page").isNotEqualTo(HostPagePool.NONE);
        assertThat(run[Epc.MAX_RUN + 1]).isNotEqualTo(HostPagePool.NONE);
        assertThat(run[Epc.MAX_RUN + 2]).as("the page that did not pass is left as it was").isEqualTo(42);
        assertThat(c.isAccessed()).as("nor are the pages after it checked").isFalse();
        assertThatThrownBy(() -> epc.checkRun(run[2], PAGE + 2 * 4096, true, true)).as("which checkRun tells is a violation")
                .isInstanceOf(EnclaveFault.class);
        epc.endRun(slot);
        epc.releaseRuns(slot);
    }

    @Test
    void aRunAcrossTwoChunksOfFramesIsCheckedInBoth() {
        try (Epc big = new Epc(List.of((FrameChunk.SIZE + 64L) * 4096))) {
            long last = FrameChunk.SIZE - 1;
            long[] run = new long[2 * Epc.MAX_RUN];
            for (int i = 0; i < 3; i++) {
                EpcFrame f = big.frame(last + i);
                synchronized (f) {
                    f.setEpcm(i == 2 ? RW_REG & ~EpcFrame.EPCM_W : RW_REG, PAGE + i * 4096L, null);
                }
                run[i] = f.translation();
            }
            int slot = big.claimRuns();
            big.beginRun(slot, run, 3);
            assertThat(big.checkRunPages(run, 3, Epc.MAX_RUN, false, false)).as("a read passes the last frame of one chunk"
                    + " and the first two of the next").isEqualTo(3);
            assertThat(big.checkRunPages(run, 3, Epc.MAX_RUN, true, true)).as("a store stops at the read-only frame of the"
                    + " second chunk").isEqualTo(2);
            assertThat(big.frame(last).isAccessed() && big.frame(last + 1).isAccessed()).isTrue();
            big.endRun(slot);
            big.releaseRuns(slot);
        }
    }

    @Test
    void anEpcmViolationInARunIsAPageFault() {
        EpcFrame f = epc.frame(7);
        synchronized (f) {
            f.setEpcm(RW_REG & ~EpcFrame.EPCM_W, PAGE, null);
        }
        long t = f.translation();
        int slot = epc.claimRuns();
        epc.beginRun(slot, new long[] {t}, 1);
        assertThat(epc.checkRun(t, PAGE + 8, false, false)).isEqualTo(HostPagePool.NONE);
        assertThatThrownBy(() -> epc.checkRun(t, PAGE + 8, true, true)).isInstanceOf(EnclaveFault.class)
                .hasMessageContaining("do not allow a write");
        epc.endRun(slot);
        epc.releaseRuns(slot);
    }

    @Test
    void whenEverySlotIsTakenAClaimFailsUntilOneIsGivenBack() {
        List<Integer> slots = new ArrayList<>();
        for (int s = epc.claimRuns(); s >= 0; s = epc.claimRuns()) {
            slots.add(s);
        }
        assertThat(slots).hasSize(AccessRuns.SLOTS).doesNotHaveDuplicates();
        assertThat(epc.claimRuns()).isEqualTo(-1);
        epc.releaseRuns(slots.get(17));
        assertThat(epc.claimRuns()).isEqualTo(slots.get(17));
    }
}
