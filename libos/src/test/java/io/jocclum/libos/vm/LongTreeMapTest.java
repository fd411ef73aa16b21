package io.jocclum.libos.vm;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The primitive-keyed AVL map against {@link TreeMap} on random operations. */
class LongTreeMapTest {
    private static Long key(LongTreeMap.Node<String> n) {
        return n == null ? null : n.key();
    }

    @Test
    void randomOperationsAgreeWithTreeMap() {
        long seed = Long.getLong("vm.seed", 4242);
        SplittableRandom rnd = new SplittableRandom(seed);
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
                    last = last.prev();
                }
                assertThat(last).isNull();
            }
        }
        assertThat(m.check()).isEmpty();
        // heights stay logarithmic: 2^16 sequential keys
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
    }
}
