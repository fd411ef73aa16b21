package io.jocclum.libos.vm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FreeSpaceTest {
    private static final long P = 4096;

    @Test
    void bestFitTakesAHoleOfTheSmallestSizeThatFits() {
        FreeSpace f = new FreeSpace();
        f.free(0, 10 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(20 * P, 23 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(30 * P, 33 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(40 * P, 42 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        long first = f.allocBestFit(3 * P);
        long second = f.allocBestFit(3 * P);
        assertThat(java.util.List.of(first, second)).containsExactlyInAnyOrder(20 * P, 30 * P);
        assertThat(f.allocBestFit(P)).isEqualTo(40 * P);
        assertThat(f.allocBestFit(11 * P)).isEqualTo(-1);
        assertThat(f.freeBytes()).isEqualTo(11 * P);
        assertThat(f.check("t")).isEmpty();
    }

    /**
     * Among holes of one size the most recently freed is taken, also after holes left the bin
     * from the middle of its stack, from its top, and after the stack was compacted.
     */
    @Test
    void bestFitTakesTheMostRecentlyFreedHoleOfItsSize() {
        FreeSpace f = new FreeSpace();
        int n = 400;
        for (int k = 0; k < n; k++) {
            f.free(4 * k * P, (4 * k + 1) * P, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        // every hole but the last ten taken by address: the bin's stack is mostly holes that left
        for (int k = 0; k < n - 10; k++) {
            assertThat(f.allocExact(4 * k * P, (4 * k + 1) * P)).isTrue();
        }
        assertThat(f.check("t")).isEmpty();
        assertThat(f.bySize.get(P).stack.length).as("compacted and shrunk").isLessThan(n / 4);
        // freed again in another order: the last freed comes first
        for (int k = 0; k < 5; k++) {
            f.free(4 * k * P, (4 * k + 1) * P, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        f.allocExact(4 * 2 * P, (4 * 2 + 1) * P); // from the middle of the stack
        assertThat(f.allocBestFit(P)).isEqualTo(4 * 4 * P);
        assertThat(f.allocBestFit(P)).isEqualTo(4 * 3 * P);
        assertThat(f.allocBestFit(P)).isEqualTo(4 * P);
        assertThat(f.allocBestFit(P)).isEqualTo(0);
        assertThat(f.allocBestFit(P)).as("then the ten left, the last freed first").isEqualTo(4 * (n - 1) * P);
        assertThat(f.check("t")).isEmpty();
        for (int k = 0; k < 9; k++) {
            assertThat(f.allocBestFit(P)).isEqualTo(4 * (n - 2 - k) * P);
        }
        assertThat(f.allocBestFit(P)).isEqualTo(-1);
        assertThat(f.bySize).isEmpty();
        assertThat(f.check("t")).isEmpty();
    }

    @Test
    void freeingCoalescesOnlyInsideTheBounds() {
        FreeSpace f = new FreeSpace();
        f.free(0, 4 * P, 0, 4 * P);
        f.free(4 * P, 8 * P, 4 * P, 8 * P); // the next chunk: must not merge across 4P
        assertThat(f.holeCount()).isEqualTo(2);
        assertThat(f.allocExact(2 * P, 3 * P)).isTrue();
        f.free(2 * P, 3 * P, 0, 4 * P);
        assertThat(f.holes()).extracting(FreeSpace.Hole::start).containsExactly(0L, 4 * P);
        assertThat(f.allocExact(P, 2 * P)).isTrue(); // a split in the middle of a hole
        assertThat(f.holes()).extracting(FreeSpace.Hole::start).containsExactly(0L, 2 * P, 4 * P);
        assertThat(f.freeBytes()).isEqualTo(7 * P);
        assertThat(f.check("t")).isEmpty();
        f.free(P, 2 * P, 0, 4 * P); // both neighbours merge
        assertThat(f.holes()).extracting(FreeSpace.Hole::start).containsExactly(0L, 4 * P);
        assertThat(f.check("t")).isEmpty();
        assertThat(f.allocExact(3 * P, 5 * P)).as("never spans two holes").isFalse();
    }

    @Test
    void firstFitBelowTakesTheLowestHoleWhereTheRangeEndsAtOrBelowTheLimit() {
        FreeSpace f = new FreeSpace();
        f.free(2 * P, 3 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(10 * P, 14 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(20 * P, 30 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(f.allocFirstFitBelow(2 * P, 12 * P)).as("too small first, then ending exactly at the limit").isEqualTo(10 * P);
        assertThat(f.allocFirstFitBelow(2 * P, 12 * P)).as("the rest starts at the limit").isEqualTo(-1);
        assertThat(f.allocFirstFitBelow(3 * P, 22 * P)).as("would end above the limit").isEqualTo(-1);
        assertThat(f.allocFirstFitBelow(3 * P, 23 * P)).isEqualTo(20 * P);
        assertThat(f.holes()).extracting(FreeSpace.Hole::start).containsExactly(2 * P, 12 * P, 23 * P);
        assertThat(f.freeBytes()).isEqualTo(10 * P);
        assertThat(f.check("t")).isEmpty();
    }

    @Test
    void doubleFreeIsRefused() {
        FreeSpace f = new FreeSpace();
        f.free(0, 4 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        assertThatThrownBy(() -> f.free(P, 2 * P, Long.MIN_VALUE, Long.MAX_VALUE)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void randomOperationsAgreeWithAPageSetModel() {
        long seed = Long.getLong("vm.seed", 77);
        SplittableRandom rnd = new SplittableRandom(seed);
        FreeSpace f = new FreeSpace();
        TreeSet<Long> free = new TreeSet<>();
        f.free(0, 512 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        for (long p = 0; p < 512; p++) {
            free.add(p);
        }
        java.util.List<long[]> used = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            if (rnd.nextBoolean() || used.isEmpty()) {
                long n = 1 + rnd.nextInt(12);
                long s = f.allocBestFit(n * P);
                // the model: the result starts a maximal free run of the smallest size >= n; none: -1
                long bestSize = Long.MAX_VALUE;
                java.util.Map<Long, Long> runs = new java.util.HashMap<>();
                Long x = free.isEmpty() ? null : free.first();
                while (x != null) {
                    long y = x;
                    while (free.contains(y + 1)) {
                        y++;
                    }
                    long size = y - x + 1;
                    runs.put(x, size);
                    if (size >= n && size < bestSize) {
                        bestSize = size;
                    }
                    x = free.higher(y);
                }
                if (bestSize == Long.MAX_VALUE) {
                    assertThat(s).as("seed %d step %d", seed, i).isEqualTo(-1);
                } else {
                    assertThat(runs.get(s / P)).as("seed %d step %d: run at 0x%x", seed, i, s).isEqualTo(bestSize);
                }
                if (s >= 0) {
                    for (long p = s / P; p < s / P + n; p++) {
                        free.remove(p);
                    }
                    used.add(new long[] {s, s + n * P});
                }
            } else {
                long[] u = used.remove(rnd.nextInt(used.size()));
                f.free(u[0], u[1], Long.MIN_VALUE, Long.MAX_VALUE);
                for (long p = u[0] / P; p < u[1] / P; p++) {
                    free.add(p);
                }
            }
            assertThat(f.freeBytes()).isEqualTo(free.size() * P);
            if (i % 500 == 0) {
                assertThat(f.check("random")).isEmpty();
            }
        }
        assertThat(f.check("random")).isEmpty();
    }

    @Test
    void firstFitBelowTakesAnExactFitAndARangeEndingAtTheLimit() {
        FreeSpace f = new FreeSpace();
        f.free(P, 2 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(4 * P, 12 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(f.allocFirstFitBelow(P, 12 * P)).as("a hole of exactly the size").isEqualTo(P);
        assertThat(f.allocFirstFitBelow(2 * P, 6 * P)).as("a range ending exactly at the limit").isEqualTo(4 * P);
        assertThat(f.allocFirstFitBelow(2 * P, 7 * P)).as("past the limit").isEqualTo(-1);
        assertThat(f.check("t")).isEmpty();
    }

    @Test
    void freeingAnEmptyRangeIsRefused() {
        FreeSpace f = new FreeSpace();
        assertThatThrownBy(() -> f.free(2 * P, 2 * P, Long.MIN_VALUE, Long.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty or inverted range");
        assertThat(f.holeCount()).isZero();
    }

    /**
     * Exact allocation (every way a range can lie in a hole), the hole lookup, bounded
     * coalescing and removal of a whole hole against a page-set model, with the checker (which
     * also compares the start the address index keeps for each hole with the hole's) after
     * every step. Four chunks of 64 pages: holes merge inside a chunk, never across.
     */
    @Test
    void exactAllocationAndBoundedFreeingAgreeWithAPageSetModel() {
        long seed = Long.getLong("vm.seed", 91);
        System.out.println("exactAllocationAndBoundedFreeingAgreeWithAPageSetModel seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int chunk = 64;
        int pages = 4 * chunk;
        FreeSpace f = new FreeSpace();
        boolean[] free = new boolean[pages];
        for (int c = 0; c < pages; c += chunk) {
            f.free(c * P, (c + chunk) * P, c * P, (c + chunk) * P);
        }
        java.util.Arrays.fill(free, true);
        for (int i = 0; i < 4000; i++) {
            int s = rnd.nextInt(pages);
            int e = Math.min(pages, s + 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 40));
            int lo = s / chunk * chunk;
            boolean inOneHole = (e - 1) / chunk == s / chunk;
            for (int p = s; p < e && inOneHole; p++) {
                inOneHole = free[p];
            }
            boolean allUsed = true;
            for (int p = s; p < e; p++) {
                allUsed &= !free[p];
            }
            String step = "seed " + seed + " step " + i + " [" + s + ", " + e + ")";
            assertThat(f.contains(s * P, e * P)).as(step).isEqualTo(inOneHole);
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    assertThat(f.allocExact(s * P, e * P)).as(step).isEqualTo(inOneHole);
                    if (inOneHole) {
                        java.util.Arrays.fill(free, s, e, false);
                    }
                }
                case 1 -> {
                    if (allUsed && (e - 1) / chunk == s / chunk) {
                        f.free(s * P, e * P, lo * P, (lo + chunk) * P);
                        java.util.Arrays.fill(free, s, e, true);
                    }
                }
                default -> {
                    boolean whole = true;
                    for (int p = lo; p < lo + chunk; p++) {
                        whole &= free[p];
                    }
                    assertThat(f.removeExactHole(lo * P, (lo + chunk) * P)).as(step).isEqualTo(whole);
                    if (whole) {
                        f.free(lo * P, (lo + chunk) * P, lo * P, (lo + chunk) * P);
                    }
                }
            }
            long count = 0;
            for (boolean b : free) {
                count += b ? 1 : 0;
            }
            assertThat(f.freeBytes()).as(step).isEqualTo(count * P);
            assertThat(f.check("exact")).as(step).isEmpty();
        }
    }
}
