package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Pages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The host page pool's handles: adjacency, reuse, the slab and offset they name, zeroing. */
class HostPagePoolTest {
    @Test
    void freshPagesOfASlabHaveHandles4096ApartAndNameAdjacentMemory() {
        try (HostPagePool pool = new HostPagePool("test")) {
            long a = pool.takeHandle(false);
            long b = pool.takeHandle(false);
            assertThat(a).isNotEqualTo(HostPagePool.NONE);
            assertThat(b).isEqualTo(a + Pages.SIZE);
            assertThat(pool.slab(b)).isSameAs(pool.slab(a));
            assertThat(HostPagePool.offset(b)).isEqualTo(HostPagePool.offset(a) + Pages.SIZE);
            pool.segment(a).fill((byte) 1);
            pool.segment(b).fill((byte) 2);
            MemorySegment slab = pool.slab(a);
            assertThat(slab.get(ValueLayout.JAVA_BYTE, HostPagePool.offset(a) + Pages.SIZE - 1)).isEqualTo((byte) 1);
            assertThat(slab.get(ValueLayout.JAVA_BYTE, HostPagePool.offset(a) + Pages.SIZE)).isEqualTo((byte) 2);
            assertThat(pool.pagesInUse()).isEqualTo(2);
        }
    }

    @Test
    void compactHandlesRoundTripAndStayOneApartWithinASlabOnly() {
        assertThat(HostPagePool.compact(HostPagePool.NONE)).isZero();
        assertThat(HostPagePool.expand(0)).isEqualTo(HostPagePool.NONE);
        long lastOfFirst = 1L << 32 | HostPagePool.MAX_SLAB - Pages.SIZE;
        long firstOfSecond = 2L << 32;
        long lastOfLast = (long) HostPagePool.MAX_SLABS << 32 | HostPagePool.MAX_SLAB - Pages.SIZE;
        for (long h : new long[] {1L << 32, lastOfFirst, firstOfSecond, lastOfLast}) {
            assertThat(HostPagePool.expand(HostPagePool.compact(h))).as("0x%x", h).isEqualTo(h);
            assertThat(HostPagePool.compact(h)).as("0x%x", h).isPositive();
        }
        assertThat(HostPagePool.compact(firstOfSecond)).isEqualTo(HostPagePool.compact(lastOfFirst) + 1);
        assertThat(HostPagePool.expand(HostPagePool.compact(lastOfFirst) + 1)).as("the next slab's page, not past the slab")
                .isNotEqualTo(lastOfFirst + Pages.SIZE);
        try (HostPagePool pool = new HostPagePool("test")) {
            int n = (int) ((24L << 20) / Pages.SIZE); // past 12.8 MB of file, where a quarter of it is no whole number of pages
            for (int i = 0; i < n; i++) {
                long h = pool.takeHandle(false);
                assertThat(HostPagePool.offset(h) % Pages.SIZE).as("page %d at 0x%x", i, h).isZero();
                assertThat(HostPagePool.expand(HostPagePool.compact(h))).isEqualTo(h);
            }
            assertThat(pool.hostBytes() % Pages.SIZE).isZero();
        }
    }

    @Test
    void theLastPageGivenBackIsTakenFirstAndZeroedOnRequest() {
        try (HostPagePool pool = new HostPagePool("test")) {
            long a = pool.takeHandle(false);
            long b = pool.takeHandle(false);
            pool.segment(b).fill((byte) 7);
            pool.giveHandle(a);
            pool.giveHandle(b);
            assertThat(pool.pagesInUse()).isZero();
            long again = pool.takeHandle(false);
            assertThat(again).isEqualTo(b);
            assertThat(pool.segment(again).get(ValueLayout.JAVA_BYTE, 100)).as("not zeroed").isEqualTo((byte) 7);
            pool.giveHandle(again);
            long zeroed = pool.takeHandle(true);
            assertThat(zeroed).isEqualTo(b);
            assertThat(pool.segment(zeroed).mismatch(MemorySegment.ofArray(new byte[Pages.SIZE]))).isEqualTo(-1);
        }
    }

    @Test
    void pagesOfLaterSlabsHaveDistinctHandlesAndTheirOwnSlabs() {
        try (HostPagePool pool = new HostPagePool("test")) {
            int n = (int) (3 * HostPagePool.MIN_SLAB / Pages.SIZE) + 5; // into a fourth slab
            List<Long> handles = new ArrayList<>();
            Set<MemorySegment> slabs = new HashSet<>();
            for (int i = 0; i < n; i++) {
                long h = pool.takeHandle(false);
                handles.add(h);
                slabs.add(pool.slab(h));
                pool.slab(h).set(ValueLayout.JAVA_INT, HostPagePool.offset(h), i);
            }
            assertThat(new HashSet<>(handles)).hasSize(n);
            assertThat(slabs).hasSize(4);
            assertThat(pool.hostBytes()).isEqualTo(4 * HostPagePool.MIN_SLAB);
            for (int i = 0; i < n; i++) {
                long h = handles.get(i);
                assertThat(pool.slab(h).get(ValueLayout.JAVA_INT, HostPagePool.offset(h))).isEqualTo(i);
            }
            // the record form names the same page
            HostPagePool.Page p = pool.take(false);
            assertThat(p.slab()).isSameAs(pool.slab(p.handle()));
            assertThat(p.offset()).isEqualTo(HostPagePool.offset(p.handle()));
            pool.give(p);
            assertThat(pool.takeHandle(false)).isEqualTo(p.handle());
        }
    }

    @Test
    void aClosedPoolRefusesToGrow() {
        HostPagePool pool = new HostPagePool("test");
        pool.close();
        assertThatThrownBy(() -> pool.takeHandle(false)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the test page pool is closed");
    }

    @Test
    void aPageGivenBackWithItsDirtyLinesIsZeroedInThoseLinesOnly() {
        try (HostPagePool pool = new HostPagePool("test")) {
            long a = pool.takeHandle(true);
            MemorySegment page = pool.segment(a);
            page.set(ValueLayout.JAVA_BYTE, 5 * 64 + 3, (byte) 1);
            page.set(ValueLayout.JAVA_BYTE, 9 * 64, (byte) 2);
            page.set(ValueLayout.JAVA_BYTE, 10 * 64 - 1, (byte) 3);
            pool.giveHandle(a, HostPagePool.lines(5 * 64 + 3, 1) | HostPagePool.lines(9 * 64, 64));
            long again = pool.takeHandle(true);
            assertThat(again).isEqualTo(a);
            assertThat(page.get(ValueLayout.JAVA_BYTE, 5 * 64 + 3)).isZero();
            assertThat(page.get(ValueLayout.JAVA_BYTE, 9 * 64)).isZero();
            assertThat(page.get(ValueLayout.JAVA_BYTE, 10 * 64 - 1)).isZero();
            // a line the mask leaves out is not zeroed: the caller vouched for it
            page.set(ValueLayout.JAVA_BYTE, 20 * 64, (byte) 4);
            pool.giveHandle(again, HostPagePool.lines(0, 1));
            assertThat(pool.segment(pool.takeHandle(true)).get(ValueLayout.JAVA_BYTE, 20 * 64)).isEqualTo((byte) 4);
        }
    }

    @Test
    void linesCoverTheBytesTheyAreAskedFor() {
        assertThat(HostPagePool.lines(0, 1)).isEqualTo(1L);
        assertThat(HostPagePool.lines(63, 2)).isEqualTo(0b11L);
        assertThat(HostPagePool.lines(64, 64)).isEqualTo(0b10L);
        assertThat(HostPagePool.lines(4095, 1)).isEqualTo(1L << 63);
        assertThat(HostPagePool.lines(0, Pages.SIZE)).isEqualTo(HostPagePool.ALL_LINES);
        assertThat(HostPagePool.lines(1, Pages.SIZE - 1)).isEqualTo(HostPagePool.ALL_LINES);
        assertThat(HostPagePool.lines(100, 3000)).isEqualTo(((1L << 48) - 1) << 1);
    }

    /**
     * Seeded: a page that is non-zero only in some lines, zeroed in a random range with
     * {@link HostPagePool#zeroLines} given those lines (or more), equals the same page zeroed in
     * that range whole.
     */
    @Test
    void zeroingTheDirtyLinesOfARangeEqualsZeroingTheRange() {
        long seed = Long.getLong("jocclum.test.seed", System.nanoTime());
        System.out.println("HostPagePoolTest seed=" + seed + " (rerun with -Djocclum.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (HostPagePool pool = new HostPagePool("test")) {
            long h = pool.takeHandle(true);
            MemorySegment page = pool.segment(h);
            for (int round = 0; round < 2000; round++) {
                long dirty = switch (rnd.nextInt(4)) {
                    case 0 -> HostPagePool.ALL_LINES;
                    case 1 -> 1L << rnd.nextInt(64);
                    default -> rnd.nextLong();
                };
                byte[] model = new byte[Pages.SIZE];
                for (int line = 0; line < 64; line++) {
                    if ((dirty & 1L << line) != 0 && rnd.nextInt(4) != 0) {
                        for (int b = 0; b < 64; b++) {
                            model[line * 64 + b] = (byte) (rnd.nextInt(255) + 1);
                        }
                    }
                }
                long claimed = dirty | (rnd.nextBoolean() ? rnd.nextLong() : 0); // more lines than dirty are fine
                MemorySegment.copy(model, 0, page, ValueLayout.JAVA_BYTE, 0, Pages.SIZE);
                int from = rnd.nextInt(Pages.SIZE);
                int to = from + rnd.nextInt(Pages.SIZE - from + 1);
                HostPagePool.zeroLines(pool.slab(h), HostPagePool.offset(h), claimed, from, to);
                Arrays.fill(model, from, to, (byte) 0);
                assertThat(Arrays.mismatch(page.toArray(ValueLayout.JAVA_BYTE), model))
                        .as("seed %d round %d: lines 0x%x, zeroed [%d, %d): first byte that differs", seed, round, claimed, from, to)
                        .isEqualTo(-1);
            }
        }
    }

    @Test
    void slabsGoToTheMemoryDirectoryWhileItHasRoomThenToDiskForGood(@TempDir Path memory) {
        long[] room = {2 * HostPagePool.MIN_SLAB}; // room for the first two slabs only
        try (HostPagePool pool = new HostPagePool("test", memory, bytes -> bytes <= room[0])) {
            assertThat(pool.currentDirectory()).as("no slab yet").isNull();
            List<Long> pages = new ArrayList<>();
            int perSlab = (int) (HostPagePool.MIN_SLAB / Pages.SIZE);
            for (int i = 0; i < perSlab; i++) {
                pages.add(pool.takeHandle(true));
            }
            assertThat(pool.currentDirectory()).isEqualTo(memory);
            room[0] -= HostPagePool.MIN_SLAB;
            for (int i = 0; i < perSlab; i++) {
                pages.add(pool.takeHandle(true));
            }
            assertThat(pool.currentDirectory()).as("the second slab fits too").isEqualTo(memory);
            room[0] = 0;
            pages.add(pool.takeHandle(true));
            assertThat(pool.currentDirectory()).as("no room left in memory").isEqualTo(HostPagePool.diskDirectory());
            room[0] = Long.MAX_VALUE;
            for (int i = 0; i < 2 * perSlab; i++) {
                pages.add(pool.takeHandle(true));
            }
            assertThat(pool.currentDirectory()).as("a pool that went to disk stays there").isEqualTo(HostPagePool.diskDirectory());
            for (int i = 0; i < pages.size(); i++) {
                pool.segment(pages.get(i)).fill((byte) (i + 1));
            }
            for (int i = 0; i < pages.size(); i++) {
                MemorySegment seg = pool.segment(pages.get(i));
                assertThat(seg.get(ValueLayout.JAVA_BYTE, 0)).as("page %d", i).isEqualTo((byte) (i + 1));
                assertThat(seg.get(ValueLayout.JAVA_BYTE, Pages.SIZE - 1)).as("page %d", i).isEqualTo((byte) (i + 1));
            }
            assertThat(new HashSet<>(pages)).hasSize(pages.size());
        }
    }

    @Test
    void withoutAMemoryDirectoryThePagesGoToTheTemporaryDirectory() {
        try (HostPagePool pool = new HostPagePool("test", null, bytes -> true)) {
            long h = pool.takeHandle(true);
            pool.segment(h).fill((byte) 7);
            assertThat(pool.currentDirectory()).isEqualTo(HostPagePool.diskDirectory());
            assertThat(pool.segment(h).get(ValueLayout.JAVA_BYTE, 100)).isEqualTo((byte) 7);
        }
    }

    @Test
    void theMemoryDirectoryIsUsedWhileHalfOfItsFileSystemStaysFree() {
        long total = 1000L << 20;
        assertThat(HostPagePool.roomInMemory(600L << 20, total, 100L << 20)).isTrue();
        assertThat(HostPagePool.roomInMemory(600L << 20, total, 101L << 20)).isFalse();
        assertThat(HostPagePool.roomInMemory(400L << 20, total, 1L << 20)).isFalse();
    }

    @Test
    void theMemoryDirectoryMustBeAWritableDirectory(@TempDir Path dir) {
        String old = System.getProperty(HostPagePool.MEMORY_DIR_PROPERTY);
        try {
            System.setProperty(HostPagePool.MEMORY_DIR_PROPERTY, dir.toString());
            assertThat(HostPagePool.memoryDirectory()).isEqualTo(dir);
            System.setProperty(HostPagePool.MEMORY_DIR_PROPERTY, dir.resolve("missing").toString());
            assertThatThrownBy(HostPagePool::memoryDirectory).isInstanceOf(HostPagePool.HostMemoryExhausted.class)
                    .hasMessageContaining("=" + dir.resolve("missing") + " does not name a writable directory")
                    .matches(e -> ((HostPagePool.HostMemoryExhausted) e).isSetting(), "a wrong setting, not a lack of space");
            assertThat(HostPagePool.memoryDirectory(dir.resolve("missing").toString(), false)).as("the default, absent").isNull();
            assertThatThrownBy(() -> HostPagePool.memoryDirectory("relative/dir", true)).isInstanceOf(HostPagePool.HostMemoryExhausted.class)
                    .hasMessageContaining("=relative/dir does not name");
            assertThatThrownBy(() -> HostPagePool.memoryDirectory("bad\0path", true)).isInstanceOf(HostPagePool.HostMemoryExhausted.class);
            System.setProperty(HostPagePool.MEMORY_DIR_PROPERTY, "");
            assertThat(HostPagePool.memoryDirectory()).isNull();
            assertThat(HostPagePool.directoryFor(1)).isEqualTo(HostPagePool.diskDirectory());
        } finally {
            if (old == null) {
                System.clearProperty(HostPagePool.MEMORY_DIR_PROPERTY);
            } else {
                System.setProperty(HostPagePool.MEMORY_DIR_PROPERTY, old);
            }
        }
    }
}
