package io.jocclum.libos.config;

import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.LayoutInvariants;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Seeded random resource_limits, each resolved on both paths and checked against a reference
 * model: a load succeeds exactly when Init &lt;= Max holds after resolution, and then every
 * invariant of {@link ResolutionInvariants} and {@link LayoutInvariants} holds. Sizes are written
 * in random but equivalent spellings, which must not change the internal config.
 * Seed: {@code -Djocclum.seed=N} (printed in every failure).
 */
class RandomConfigTest {
    static final long SEED = Long.getLong("jocclum.seed", 0x5EED_C0F1_6L);
    static final int CASES = Integer.getInteger("jocclum.cases", 300);

    @Test
    void randomConfigurationsObeyTheResolutionRules() {
        RandomGenerator rnd = new Random(SEED);
        int[] outcomes = new int[4];
        for (int i = 0; i < CASES; i++) {
            long caseSeed = rnd.nextLong();
            check(caseSeed, outcomes);
        }
        // both outcomes on both paths, or the model was not exercised
        assertThat(java.util.Arrays.stream(outcomes).min().orElseThrow())
                .as("seed %d: [non-EDMM ok, non-EDMM error, EDMM ok, EDMM error] = %s", SEED, java.util.Arrays.toString(outcomes))
                .isPositive();
    }

    static void check(long caseSeed, int[] outcomes) {
        RandomGenerator r = new Random(caseSeed);
        String ctx = "seed " + SEED + ", case seed " + caseSeed + " (rerun with -Djocclum.seed)";
        long stack = pages(r, 1, 1024);
        long heap = pages(r, 1, r.nextInt(10) == 0 ? 1 << 19 : 1 << 16);
        Long heapMax = r.nextBoolean() ? pages(r, 1, 1 << 19) : null;
        long user = pages(r, 1, r.nextInt(10) == 0 ? 1 << 23 : 1 << 18);
        Long userMax = r.nextBoolean() ? pages(r, 1, r.nextInt(4) == 0 ? 1 << 23 : 1 << 18) : null;
        Long init = r.nextBoolean() ? (long) r.nextInt(1, 40) : null;
        long max = r.nextInt(1, 80);
        StringBuilder rl = new StringBuilder("{");
        rl.append("\"kernel_space_stack_size\": ").append(spell(r, stack)).append(", ");
        rl.append("\"kernel_space_heap_size\": ").append(spell(r, heap)).append(", ");
        if (heapMax != null) {
            rl.append("\"kernel_space_heap_max_size\": ").append(spell(r, heapMax)).append(", ");
        }
        rl.append("\"user_space_size\": ").append(spell(r, user)).append(", ");
        if (userMax != null) {
            rl.append("\"user_space_max_size\": ").append(spell(r, userMax)).append(", ");
        }
        if (init != null) {
            rl.append("\"init_num_of_threads\": ").append(init).append(", ");
        }
        rl.append("\"max_num_of_threads\": ").append(max).append("}");
        byte[] json = Json.set(Templates.occlumTemplate(), "resource_limits", rl.toString());
        for (boolean edmm : new boolean[]{false, true}) {
            long heapW = heapMax != null ? heapMax : heap;
            long userW = userMax != null ? userMax : user;
            // the reference model of "Init <= Max after resolution"
            boolean valid = edmm
                    ? heap <= Math.max(heapW, Resolver.DEFAULT_KERNEL_HEAP_MAX) && user <= Math.max(userW, Resolver.DEFAULT_USER_SPACE_MAX)
                    : user <= userW;
            BuildRequest req = BuildRequest.of(SgxMode.HW, edmm);
            outcomes[(edmm ? 2 : 0) + (valid ? 0 : 1)]++;
            if (!valid) {
                ConfigException e = catchThrowableOfType(ConfigException.class, () -> OcclumJson.load(json, "Occlum.json", req));
                assertThat(e).as(ctx + " " + rl + " edmm=" + edmm + " must fail").isNotNull();
                assertThat(e.errors()).as(ctx).allSatisfy(p -> assertThat(p.message()).contains("must not exceed its Max"));
                continue;
            }
            ResolvedConfig c;
            try {
                c = OcclumJson.load(json, "Occlum.json", req);
            } catch (ConfigException e) {
                throw new AssertionError(ctx + " " + rl + " edmm=" + edmm + " must load: " + e.getMessage());
            }
            ResolutionInvariants.check(c);
            byte[] internal = c.internalConfig("00".repeat(32)).toBytes();
            EnclaveLayout layout = EnclaveLayout.plan(c.enclaveXml(), internal, new byte[32]);
            LayoutInvariants.check(layout);
        }
    }

    static long pages(RandomGenerator r, long min, long max) {
        return r.nextLong(min, max + 1) * 4096;
    }

    /** One of the equivalent spellings of {@code bytes}. */
    static String spell(RandomGenerator r, long bytes) {
        String plain = switch (r.nextInt(4)) {
            case 0 -> bytes + "B";
            case 1 -> bytes / 1024 + "KB";
            case 2 -> bytes % (1 << 20) == 0 ? bytes / (1 << 20) + "MB" : bytes / 1024 + " KB";
            default -> Sizes.format(bytes);
        };
        return "\"" + (r.nextBoolean() ? " " + plain + " " : plain) + "\"";
    }

    @Test
    void equivalentSpellingsGiveTheSameInternalConfig() {
        RandomGenerator r = new Random(SEED);
        for (int i = 0; i < 50; i++) {
            long heap = pages(r, 1, 1 << 16);
            byte[] x = Json.set(Templates.occlumTemplate(), "process.default_heap_size", spell(r, heap));
            byte[] y = Json.set(Templates.occlumTemplate(), "process.default_heap_size", spell(r, heap));
            assertThat(internal(x)).as("seed %d case %d", SEED, i).isEqualTo(internal(y));
            assertThat(new String(internal(x), StandardCharsets.UTF_8)).contains("\"default_heap_size\": \"" + heap + "B\"");
        }
    }

    static byte[] internal(byte[] json) {
        return OcclumJson.load(json, "Occlum.json", BuildRequest.defaults()).internalConfig("00").toBytes();
    }
}
