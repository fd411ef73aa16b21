package io.jocclum.libos.vm;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The primitive-keyed B+ tree map against {@link TreeMap} on random operations. */
class LongTreeMapTest {
    private static final long SEED = Long.getLong("vm.seed", 4242);

    private static SplittableRandom seeded() {
        System.out.println("LongTreeMapTest seed " + SEED);
        return new SplittableRandom(SEED);
    }

    /** The map is well-formed and holds the model's values in order. */
    private static void agrees(LongTreeMap<String> m, TreeMap<Long, String> ref) {
        assertThat(m.check()).isEmpty();
        assertThat(m.values()).containsExactlyElementsOf(ref.values());
    }

    private static Long key(LongTreeMap.Node<String> n) {
        return n == null ? null : n.key();
    }

    @Test
    void randomOperationsAgreeWithTreeMap() {
        long seed = SEED;
        SplittableRandom rnd = seeded();
        LongTreeMap<String> m = new LongTreeMap<>();
        TreeMap<Long, String> ref = new TreeMap<>();
        for (int i = 0; i < 60_000; i++) {
            long k = rnd.nextInt(i < 30_000 ? 2000 : 200) - 100;
            switch (rnd.nextInt(6)) {
                case 0, 1 -> assertThat(m.put(k, "v" + i)).isEqualTo(ref.put(k, "v" + i));
                case 2 -> assertThat(m.remove(k)).isEqualTo(ref.remove(k));
                default -> {
                    assertThat(m.get(k)).isEqualTo(ref.get(k));
                    assertThat(key(m.floor(k))).isEqualTo(ref.floorKey(k));
                    assertThat(key(m.ceiling(k))).isEqualTo(ref.ceilingKey(k));
                    assertThat(key(m.lower(k))).isEqualTo(ref.lowerKey(k));
                    assertThat(key(m.higher(k))).as("seed %d step %d", seed, i).isEqualTo(ref.higherKey(k));
                }
            }
            assertThat(m.size()).isEqualTo(ref.size());
            if (i % 5000 == 0) {
                assertThat(m.check()).as("seed %d step %d", seed, i).isEmpty();
                assertThat(m.values()).containsExactlyElementsOf(ref.values());
                LongTreeMap.Node<String> last = m.last();
                for (Map.Entry<Long, String> e : ref.descendingMap().entrySet()) {
                    assertThat(last.key()).isEqualTo(e.getKey());
                    assertThat(last.value()).isEqualTo(e.getValue());
                    last = last.prev();
                }
                assertThat(last).isNull();
            }
        }
        assertThat(m.check()).isEmpty();
        // sequential keys in and every other one out: splits, merges and refills at every level
        LongTreeMap<String> seq = new LongTreeMap<>();
        for (long k = 0; k < 65536; k++) {
            seq.put(k, "");
        }
        assertThat(seq.check()).isEmpty();
        for (long k = 0; k < 65536; k += 2) {
            seq.remove(k);
        }
        assertThat(seq.check()).isEmpty();
        assertThat(seq.size()).isEqualTo(32768);
        for (long k = 65535; k >= 0; k -= 2) {
            seq.remove(k);
        }
        assertThat(seq.check()).isEmpty();
        assertThat(seq.isEmpty()).isTrue();
        assertThat(seq.first()).isNull();
        assertThat(seq.last()).isNull();
        // again, on the node slices the removals freed: descending keys, then random ones against the model
        TreeMap<Long, String> again = new TreeMap<>();
        for (long k = 40_000; k > 0; k--) {
            seq.put(k * 3, "a" + k);
            again.put(k * 3, "a" + k);
        }
        assertThat(seq.check()).isEmpty();
        for (int i = 0; i < 100_000; i++) {
            long k = rnd.nextLong(150_000);
            if (rnd.nextBoolean()) {
                assertThat(seq.put(k, "b" + i)).isEqualTo(again.put(k, "b" + i));
            } else {
                assertThat(seq.remove(k)).as("seed %d step %d", seed, i).isEqualTo(again.remove(k));
            }
        }
        agrees(seq, again);
    }

    /** A walk of two maps in step leaves both where a lookup of either would start: lookups agree with the model after it. */
    @Test
    void seekingTwoMapsTogetherKeepsLookupsRight() {
        long seed = SEED;
        SplittableRandom rnd = seeded();
        LongTreeMap<String> big = new LongTreeMap<>();
        TreeMap<Long, String> bigRef = new TreeMap<>();
        LongTreeMap<String> small = new LongTreeMap<>();
        TreeMap<Long, String> smallRef = new TreeMap<>();
        for (int i = 0; i < 30_000; i++) {
            long k = rnd.nextLong(100_000);
            big.put(k, "b" + k);
            bigRef.put(k, "b" + k);
        }
        for (int i = 0; i < 20_000; i++) {
            long k = rnd.nextLong(100_000);
            long j = rnd.nextLong(100_000);
            big.seek(k, small, j);
            assertThat(key(big.floor(k))).as("seed %d step %d", seed, i).isEqualTo(bigRef.floorKey(k));
            assertThat(key(small.higher(j))).as("seed %d step %d", seed, i).isEqualTo(smallRef.higherKey(j));
            small.seek(j, big, k);
            assertThat(key(big.higher(k))).isEqualTo(bigRef.higherKey(k));
            assertThat(key(small.lower(j))).isEqualTo(smallRef.lowerKey(j));
            // change both near the keys sought, then look again
            if (rnd.nextBoolean()) {
                assertThat(big.remove(k)).isEqualTo(bigRef.remove(k));
                assertThat(small.put(j, "s" + i)).isEqualTo(smallRef.put(j, "s" + i));
            } else {
                assertThat(big.put(k, "b" + i)).isEqualTo(bigRef.put(k, "b" + i));
                assertThat(small.remove(k)).isEqualTo(smallRef.remove(k));
            }
            assertThat(key(big.ceiling(k))).isEqualTo(bigRef.ceilingKey(k));
            assertThat(small.get(j)).isEqualTo(smallRef.get(j));
        }
        agrees(big, bigRef);
        agrees(small, smallRef);
    }

    /** Positions stay usable across changes of the tree's structure: they are found again by key. */
    @Test
    void nodesSurviveSplitsAndMerges() {
        long seed = SEED;
        SplittableRandom rnd = seeded();
        LongTreeMap<String> m = new LongTreeMap<>();
        TreeMap<Long, String> ref = new TreeMap<>();
        for (int i = 0; i < 20_000; i++) {
            long k = rnd.nextInt(3000);
            LongTreeMap.Node<String> n = m.insert(k, "v" + k);
            ref.putIfAbsent(k, "v" + k);
            // change the structure around the node, then go on from it
            for (int j = 0; j < 5; j++) {
                long other = rnd.nextInt(3000);
                if (other == k) {
                    continue;
                }
                if (rnd.nextBoolean()) {
                    m.put(other, "v" + other);
                    ref.put(other, "v" + other);
                } else {
                    m.remove(other);
                    ref.remove(other);
                }
            }
            assertThat(n.value()).isEqualTo("v" + k);
            assertThat(key(n.next())).as("seed %d step %d", seed, i).isEqualTo(ref.higherKey(k));
            assertThat(key(n.prev())).as("seed %d step %d", seed, i).isEqualTo(ref.lowerKey(k));
            n.setValue("w" + k);
            assertThat(m.get(k)).isEqualTo("w" + k);
            n.setValue("v" + k);
            if (rnd.nextInt(3) == 0) {
                m.delete(n);
                ref.remove(k);
                assertThatThrownBy(n::value).isInstanceOf(IllegalStateException.class).hasMessage("key " + k + " is no longer in the map");
            }
            assertThat(m.size()).isEqualTo(ref.size());
        }
        agrees(m, ref);
    }

    /**
     * A map with aux longs keeps each entry's aux long with its key through splits, merges and
     * refills: every aux long read back, by position and by walking, is the one last stored.
     */
    @Test
    void auxLongsStayWithTheirKeys() {
        long seed = SEED;
        SplittableRandom rnd = seeded();
        LongTreeMap<String> m = new LongTreeMap<>(true);
        TreeMap<Long, Long> ref = new TreeMap<>();
        for (int i = 0; i < 80_000; i++) {
            long k = rnd.nextInt(i < 40_000 ? 5000 : 400);
            long aux = rnd.nextLong();
            switch (rnd.nextInt(4)) {
                case 0, 1 -> {
                    LongTreeMap.Node<String> n = m.insert(k, "v" + k, aux);
                    if (ref.putIfAbsent(k, aux) != null) {
                        n.set("v" + k, aux); // an existing entry is left as it was: store anew
                        ref.put(k, aux);
                    }
                }
                case 2 -> assertThat(m.remove(k)).isEqualTo(ref.remove(k) == null ? null : "v" + k);
                default -> {
                    LongTreeMap.Node<String> n = m.floor(k);
                    Map.Entry<Long, Long> e = ref.floorEntry(k);
                    assertThat(key(n)).as("seed %d step %d", seed, i).isEqualTo(e == null ? null : e.getKey());
                    if (n != null) {
                        assertThat(n.aux()).as("seed %d step %d", seed, i).isEqualTo(e.getValue());
                    }
                }
            }
            if (i % 4000 == 0) {
                assertThat(m.check()).as("seed %d step %d", seed, i).isEmpty();
                LongTreeMap.Node<String> n = m.first();
                for (Map.Entry<Long, Long> e : ref.entrySet()) {
                    assertThat(n.key()).isEqualTo(e.getKey());
                    assertThat(n.aux()).as("seed %d step %d key %d", seed, i, e.getKey()).isEqualTo(e.getValue());
                    assertThat(n.value()).isEqualTo("v" + e.getKey());
                    n = n.next();
                }
                assertThat(n).isNull();
            }
        }
        assertThat(m.size()).isEqualTo(ref.size());
        // a map without aux longs reads 0 and refuses to store one
        LongTreeMap<String> plain = new LongTreeMap<>();
        LongTreeMap.Node<String> n = plain.insert(7, "x", 99);
        assertThat(n.aux()).isZero();
        assertThatThrownBy(() -> n.set("y", 1)).isInstanceOf(IllegalStateException.class).hasMessage("this map keeps no aux longs");
    }
}
