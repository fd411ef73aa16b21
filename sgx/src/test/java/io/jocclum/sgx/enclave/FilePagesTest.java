package io.jocclum.sgx.enclave;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backing store's map of file pages against a {@link TreeMap}: random puts, lookups and
 * removals over clustered page numbers, each entry's handle checked too (long probe runs, removals inside them, growth). Seed:
 * {@code -Djocclum.seed=N} replays a run; the seed is printed and in every failure message.
 */
class FilePagesTest {
    /** A distinct value (the map compares values by identity only). */
    private static Object page() {
        return new Object();
    }

    @Test
    void behavesLikeASortedMap() {
        Long fixed = Long.getLong("jocclum.seed");
        long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
        System.out.println("FilePagesTest: seed " + seed + " (replay with -Djocclum.seed=" + seed + ")");
        Random r = new Random(seed);
        BackingStore.FilePages<Object> m = new BackingStore.FilePages<>();
        TreeMap<Long, Object> model = new TreeMap<>();
        for (int step = 0; step < 200_000; step++) {
            // mostly a small range (collisions, long runs), sometimes far away
            long key = r.nextInt(10) == 0 ? r.nextLong(1L << 40) : r.nextInt(3000);
            String at = "seed " + seed + ", step " + step + ", page " + key;
            switch (r.nextInt(3)) {
                case 0 -> {
                    if (!model.containsKey(key)) {
                        Object p = page();
                        m.put(key, key * 4096 + 1, p);
                        model.put(key, p);
                    }
                }
                case 1 -> assertThat(m.remove(key)).as(at).isSameAs(model.remove(key));
                default -> {
                    assertThat(m.get(key)).as(at).isSameAs(model.get(key));
                    int slot = m.find(key);
                    assertThat(slot < 0 ? -1 : m.handleAt(slot)).as(at).isEqualTo(model.containsKey(key) ? key * 4096 + 1 : -1);
                }
            }
            assertThat(m.size()).as(at).isEqualTo(model.size());
        }
        assertThat(m.keys()).as("seed " + seed).containsExactly(model.keySet().stream().mapToLong(Long::longValue).toArray());
        for (long k : model.keySet()) {
            assertThat(m.get(k)).as("seed %d, page %d", seed, k).isSameAs(model.get(k));
            assertThat(m.handleAt(m.find(k))).as("seed %d, page %d", seed, k).isEqualTo(k * 4096 + 1);
        }
    }

    @Test
    void refusesADuplicateOrANegativePage() {
        BackingStore.FilePages<Object> m = new BackingStore.FilePages<>();
        m.put(7, 1, page());
        assertThatThrownBy(() -> m.put(7, 2, page())).isInstanceOf(IllegalStateException.class)
                .hasMessage("file page 7 already exists");
        assertThatThrownBy(() -> m.put(-1, 3, page())).isInstanceOf(IllegalArgumentException.class);
        assertThat(m.remove(8)).isNull();
        assertThat(m.size()).isEqualTo(1);
    }
}
