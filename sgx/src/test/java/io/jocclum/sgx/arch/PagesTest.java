package io.jocclum.sgx.arch;

import org.junit.jupiter.api.Test;

import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PagesTest {

    @Test
    void constantsAreTheX86PageOfTheEpc() {
        assertThat(Pages.SIZE).isEqualTo(4096).isEqualTo(1 << Pages.SHIFT);
        assertThat(Pages.OFFSET_MASK).isEqualTo(0xFFF);
        assertThat(Pages.MASK).isEqualTo(0xFFFF_FFFF_FFFF_F000L);
    }

    @Test
    void roundingAtTheEdges() {
        assertThat(Pages.up(0)).isZero();
        assertThat(Pages.up(1)).isEqualTo(4096);
        assertThat(Pages.up(4096)).isEqualTo(4096);
        assertThat(Pages.up(4097)).isEqualTo(8192);
        assertThat(Pages.down(8191)).isEqualTo(4096);
        assertThat(Pages.up(-1L)).as("PAGE_ALIGN wraps past 2^64 to 0").isZero();
        assertThat(Pages.up(-4096L)).isEqualTo(-4096L);
        assertThat(Pages.upExact(Long.MAX_VALUE - 4095)).isEqualTo(Long.MAX_VALUE - 4095 & Pages.MASK);
        assertThatThrownBy(() -> Pages.upExact(Long.MAX_VALUE - 4094)).isInstanceOf(ArithmeticException.class);
        assertThat(Pages.countUp(0)).isZero();
        assertThat(Pages.countUp(1)).isEqualTo(1);
        assertThat(Pages.countUp(8192)).isEqualTo(2);
        assertThat(Pages.countUp(-1L)).as("unsigned").isEqualTo(1L << 52);
        assertThat(Pages.count(-1L)).as("unsigned").isEqualTo((1L << 52) - 1);
        assertThat(Pages.isAligned(-4096L)).isTrue();
        assertThat(Pages.isAligned(2048)).isFalse();
    }

    /** Every operation against plain division and multiplication on random non-negative values. */
    @Test
    void agreesWithDivision() {
        long seed = System.nanoTime();
        System.out.println("PagesTest seed " + seed);
        RandomGenerator r = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        for (int i = 0; i < 10_000; i++) {
            long v = i < 100 ? i * 2048L : r.nextLong(Long.MAX_VALUE - 4096);
            String at = "value " + v + " (seed " + seed + ")";
            assertThat(Pages.index(v)).as(at).isEqualTo(v / 4096);
            assertThat(Pages.count(v)).as(at).isEqualTo(v / 4096);
            assertThat(Pages.countUp(v)).as(at).isEqualTo((v + 4095) / 4096);
            assertThat(Pages.offset(v)).as(at).isEqualTo(v % 4096);
            assertThat(Pages.isAligned(v)).as(at).isEqualTo(v % 4096 == 0);
            assertThat(Pages.down(v)).as(at).isEqualTo(v / 4096 * 4096);
            assertThat(Pages.up(v)).as(at).isEqualTo((v + 4095) / 4096 * 4096).isEqualTo(Pages.upExact(v));
            assertThat(Pages.bytes(Pages.index(v))).as(at).isEqualTo(Pages.down(v));
        }
    }
}
