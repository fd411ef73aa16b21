package io.jocclum.libos.vm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CommitTrackerTest {
    private static final long P = 4096;
    private static final long TB = 1L << 40;
    private static final long BASE = 1L << 44;

    @Test
    void commitsOnlyMissingPagesAndReportsRuns() {
        CommitTracker t = new CommitTracker(BASE, 64L << 20);
        List<Long> calls = new ArrayList<>();
        assertThat(t.commit(BASE + 2 * P, BASE + 5 * P, calls::add)).isEqualTo(3);
        assertThat(t.commit(BASE, BASE + 8 * P, calls::add)).isEqualTo(5);
        assertThat(calls).hasSize(8).doesNotHaveDuplicates();
        List<long[]> runs = new ArrayList<>();
        t.forEachCommittedRun(BASE, BASE + 16 * P, false, (s, e) -> runs.add(new long[] {s, e}));
        assertThat(runs).hasSize(1);
        assertThat(runs.getFirst()).containsExactly(BASE, BASE + 8 * P);
        t.forEachCommittedRun(BASE + 3 * P, BASE + 4 * P, true, (s, e) -> { });
        assertThat(t.isCommitted(BASE + 3 * P)).isFalse();
        assertThat(t.allCommitted(BASE, BASE + 3 * P)).isTrue();
        assertThat(t.allCommitted(BASE, BASE + 4 * P)).isFalse();
        assertThat(t.committedPages()).isEqualTo(7);
        assertThat(t.check()).isEmpty();
    }

    @Test
    void aFailedCommitKeepsWhatWasCommittedBeforeIt() {
        CommitTracker t = new CommitTracker(BASE, 8L << 20);
        try {
            t.commit(BASE, BASE + 10 * P, a -> {
                if (a == BASE + 6 * P) {
                    throw new IllegalStateException("no EPC");
                }
            });
        } catch (IllegalStateException expected) {
            // as the platform's SIGBUS would
        }
        assertThat(t.committedPages()).isEqualTo(6);
        assertThat(t.isCommitted(BASE + 5 * P)).isTrue();
        assertThat(t.isCommitted(BASE + 6 * P)).isFalse();
    }

    @Test
    void runCommitsMatchAPageModelAcrossLeavesWithFailuresPartWay() {
        long seed = System.nanoTime();
        System.out.println("CommitTrackerTest seed " + seed);
        java.util.Random rnd = new java.util.Random(seed);
        int pages = 3 * CommitTracker.LEAF_PAGES + 77;   // three leaves and a short one
        CommitTracker t = new CommitTracker(BASE, pages * P);
        boolean[] model = new boolean[pages];
        for (int op = 0; op < 400; op++) {
            int from = rnd.nextInt(pages);
            int to = Math.min(pages, from + 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 2 * CommitTracker.LEAF_PAGES));
            String where = "seed " + seed + ", op " + op + ", pages [" + from + ", " + to + ")";
            if (rnd.nextInt(3) == 0) {
                t.uncommit(BASE + from * P, BASE + to * P);
                java.util.Arrays.fill(model, from, to, false);
                continue;
            }
            // the action commits the run's pages in order and stops (throws) at a random missing page, or never
            int failAt = rnd.nextInt(4) == 0 ? from + rnd.nextInt(to - from) : -1;
            List<long[]> runs = new ArrayList<>();
            long done;
            try {
                done = t.commitRuns(BASE + from * P, BASE + to * P, (a, b, committed) -> {
                    runs.add(new long[] {a, b});
                    for (long x = a; x < b; x += P) {
                        if ((x - BASE) / P >= failAt && failAt >= 0) {
                            throw new IllegalStateException("no EPC");
                        }
                        committed.accept(x);
                    }
                });
            } catch (IllegalStateException expected) {
                done = -1;
            }
            int expected = 0;
            boolean failed = false;
            for (int q = from; q < to && !failed; q++) {
                if (!model[q]) {
                    if (failAt >= 0 && q >= failAt) {
                        failed = true;
                    } else {
                        model[q] = true;
                        expected++;
                    }
                }
            }
            assertThat(done).as(where).isEqualTo(failed ? -1 : expected);
            for (long[] r : runs) {
                assertThat((r[0] - BASE) / P >> CommitTracker.LEAF_SHIFT).as(where + ": a run stays within a leaf")
                        .isEqualTo((r[1] - 1 - BASE) / P >> CommitTracker.LEAF_SHIFT);
            }
            long count = 0;
            for (int q = 0; q < pages; q++) {
                assertThat(t.isCommitted(BASE + q * P)).as(where + ": page " + q).isEqualTo(model[q]);
                count += model[q] ? 1 : 0;
            }
            assertThat(t.committedPages()).as(where).isEqualTo(count);
            assertThat(t.check()).as(where).isEmpty();
        }
    }

    @Test
    void aClearingWalkGivesBackEverySeparateRunOfALeaf() {
        CommitTracker t = new CommitTracker(BASE, 64L << 20);
        t.commit(BASE + P, BASE + 3 * P, a -> { });
        t.commit(BASE + 5 * P, BASE + 6 * P, a -> { });
        t.commit(BASE + 9 * P, BASE + 12 * P, a -> { });
        List<long[]> runs = new ArrayList<>();
        t.forEachCommittedRun(BASE, BASE + 16 * P, true, (s, e) -> runs.add(new long[] {s, e}));
        assertThat(runs).extracting(r -> (r[1] - r[0]) / P).containsExactly(2L, 1L, 3L);
        assertThat(t.committedPages()).as("every run reported was cleared").isZero();
        assertThat(t.check()).isEmpty();
    }

    @Test
    void aRunActionThatReturnsEarlyIsCaughtWithItsCountsAwayFromTheStart() {
        CommitTracker t = new CommitTracker(BASE, 8L << 20);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.commitRuns(BASE + 3 * P, BASE + 9 * P,
                (a, b, committed) -> {
                    committed.accept(a);
                    committed.accept(a + P);
                }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("after committing 2 of 6 pages");
    }

    @Test
    void aRunActionThatReturnsEarlyIsCaught() {
        CommitTracker t = new CommitTracker(BASE, 8L << 20);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.commitRuns(BASE, BASE + 4 * P, (a, b, committed) -> committed.accept(a)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("after committing 1 of 4 pages");
        assertThat(t.committedPages()).isEqualTo(1);
    }

    @Test
    void fullLeavesCollapseAndUncollapseWhenPagesAreGivenBack() {
        CommitTracker t = new CommitTracker(BASE, 16L << 20);
        t.commit(BASE, BASE + (8L << 20), a -> { });
        assertThat(t.partialLeaves()).as("two full 4 MB leaves collapse to sentinels").isZero();
        t.forEachCommittedRun(BASE + P, BASE + 2 * P, true, (s, e) -> { });
        assertThat(t.partialLeaves()).isEqualTo(1);
        t.commit(BASE + P, BASE + 2 * P, a -> { });
        assertThat(t.partialLeaves()).isZero();
        t.forEachCommittedRun(BASE, BASE + (8L << 20), true, (s, e) -> { });
        assertThat(t.committedPages()).isZero();
        assertThat(t.partialLeaves()).isZero();
        assertThat(t.check()).isEmpty();
    }

    @Test
    void uncommitClearsARangeAcrossLeavesAndKeepsTheRest() {
        CommitTracker t = new CommitTracker(BASE, 16L << 20);
        t.commit(BASE, BASE + (12L << 20), a -> { });
        t.uncommit(BASE + (3L << 20), BASE + (9L << 20));
        assertThat(t.committedPages()).isEqualTo((6L << 20) / P);
        assertThat(t.isCommitted(BASE + (3L << 20) - P)).isTrue();
        assertThat(t.isCommitted(BASE + (3L << 20))).isFalse();
        assertThat(t.isCommitted(BASE + (9L << 20) - P)).isFalse();
        assertThat(t.isCommitted(BASE + (9L << 20))).isTrue();
        assertThat(t.partialLeaves()).isEqualTo(2);
        t.uncommit(BASE, BASE + (16L << 20));
        assertThat(t.committedPages()).isZero();
        assertThat(t.check()).isEmpty();
    }

    @Test
    void memoryStaysBoundedForATerabyteRegion() {
        CommitTracker t = new CommitTracker(BASE, TB);
        assertThat(t.directories()).as("nothing allocated up front").isZero();
        // scattered pages in 100 different gigabytes, and 3 fully committed gigabytes
        for (int g = 0; g < 100; g++) {
            long a = BASE + g * 10L * (1L << 30) + g * P;
            t.commit(a, a + P, x -> { });
        }
        t.commit(BASE + TB - (3L << 30), BASE + TB, x -> { });
        assertThat(t.committedPages()).isEqualTo(100 + 3L * (1 << 18));
        assertThat(t.partialLeaves()).as("one bitmap per scattered page's 4 MB, none for full ones").isEqualTo(100);
        assertThat(t.directories()).isEqualTo(103);
        assertThat(t.allCommitted(BASE + TB - (3L << 30), BASE + TB)).isTrue();
        assertThat(t.check()).isEmpty();
    }

    @Test
    void aTerabyteUserSpaceIsCheapToCreate() {
        UserSpaceLayout layout = new UserSpaceLayout(BASE, 16L << 20, BASE + (32L << 20), TB);
        try (io.jocclum.libos.vm.testing.FakeEnclave fake = io.jocclum.libos.vm.testing.FakeEnclave.forLayout(layout, true)) {
            terabyteUserSpace(fake, layout, fake);
        }
    }

    /** The same on the simulated SGX platform: a 2 TB ELRANGE costs the driver's page table nothing until used. */
    @Test
    void aTerabyteUserSpaceIsCheapToCreateOnTheSimulatedPlatform() {
        UserSpaceLayout layout = new UserSpaceLayout(BASE, 16L << 20, BASE + (32L << 20), TB);
        try (var e = io.jocclum.libos.vm.testing.PlatformEnclave.start(io.jocclum.sgx.testing.SgxTestSupport.config(16384).build(),
                layout, io.jocclum.sgx.testing.SgxTestSupport.signingKey())) {
            assertThat(e.context().size()).isEqualTo(2 * TB);
            terabyteUserSpace(e.context(), layout, e.epcmView());
            assertThat(e.checkPlatform()).isEmpty();
        }
    }

    private static void terabyteUserSpace(io.jocclum.sgx.cpu.EnclaveContext ctx, UserSpaceLayout layout, EpcmView view) {
        UserSpace space = UserSpace.create(ctx, layout, VmConfig.defaults());
        ProcessVm p = space.createProcess(1, ProcessVmSpec.defaults());
        long a = p.mmap(0, 512L << 30, io.jocclum.api.Mman.PROT_READ | io.jocclum.api.Mman.PROT_WRITE,
                io.jocclum.api.Mman.MAP_PRIVATE | io.jocclum.api.Mman.MAP_ANONYMOUS, null, 0);
        GuestMemory m = p.memory(AccessMode.USER);
        long before = space.committedPages();
        m.writeLong(a, 1);
        m.writeLong(a + (511L << 30), 2);
        assertThat(m.readLong(a + (511L << 30))).isEqualTo(2);
        assertThat(space.committedPages() - before).isEqualTo(2L * VmConfig.defaults().faultWindowInitialPages());
        space.checkInvariants(view);
        p.exit();
        space.checkInvariants(view);
        space.shutdown();
    }

    @Test
    void allCommittedAcrossWholeLeavesAnAbsentLeafAndAShortLastLeaf() {
        int pages = 2 * CommitTracker.LEAF_PAGES + 5;   // two whole leaves and a short one of 5 pages
        CommitTracker t = new CommitTracker(BASE, pages * P);
        long leaf = CommitTracker.LEAF_PAGES * P;
        t.commit(BASE, BASE + leaf, a -> { });
        assertThat(t.allCommitted(BASE, BASE + leaf)).as("one whole leaf").isTrue();
        assertThat(t.allCommitted(BASE, BASE + leaf + P)).as("into a leaf never touched").isFalse();
        assertThat(t.allCommitted(BASE + leaf - P, BASE + leaf + P)).isFalse();
        t.commit(BASE + leaf, BASE + 2 * leaf - P, a -> { });
        assertThat(t.allCommitted(BASE, BASE + 2 * leaf - P)).isTrue();
        assertThat(t.allCommitted(BASE, BASE + 2 * leaf)).as("the second leaf's last page is missing").isFalse();
        t.commit(BASE, BASE + pages * P, a -> { });
        assertThat(t.allCommitted(BASE, BASE + pages * P)).as("up to the end of the short last leaf").isTrue();
        assertThat(t.committedPages()).isEqualTo(pages);
        assertThat(t.check()).isEmpty();
    }

    @Test
    void addressesOutsideTheRangeAndAnEmptyRangeAreRefused() {
        CommitTracker t = new CommitTracker(BASE, 8 * P);
        assertThat(t.isCommitted(BASE)).isFalse();
        assertThat(t.isCommitted(BASE + 7 * P)).isFalse();
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> t.isCommitted(BASE + 8 * P))
                .withMessageContaining("outside the user region");
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> t.isCommitted(BASE - P));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> new CommitTracker(BASE, 0))
                .withMessageContaining("non-empty");
    }
}
