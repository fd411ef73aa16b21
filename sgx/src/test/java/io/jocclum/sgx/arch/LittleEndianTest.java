package io.jocclum.sgx.arch;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LittleEndianTest {

    @Test
    void lowByteFirst() {
        byte[] b = new byte[10];
        LittleEndian.putLong(b, 1, 0x0807_0605_0403_0201L);
        assertThat(b).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 0);
        LittleEndian.put(b, 0, 0xAABB_CCDDL, 3);
        assertThat(b).startsWith((byte) 0xDD, (byte) 0xCC, (byte) 0xBB, (byte) 3);
        assertThat(LittleEndian.get(b, 0, 3)).isEqualTo(0xBB_CCDDL);
        assertThat(LittleEndian.bytes(1, 2)).containsExactly(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void narrowFieldsAreUnsigned() {
        byte[] b = new byte[8];
        LittleEndian.put(b, 0, -1L, 8);
        assertThat(LittleEndian.get(b, 0, 2)).isEqualTo(0xFFFF);
        assertThat(LittleEndian.getUnsignedShort(b, 0)).isEqualTo(0xFFFF);
        assertThat(LittleEndian.get(b, 0, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(LittleEndian.getInt(b, 0)).isEqualTo(-1);
        assertThat(LittleEndian.get(b, 0, 8)).isEqualTo(-1L);
        assertThatThrownBy(() -> LittleEndian.get(b, 0, 9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 9");
    }

    /** Every width and offset against a little-endian ByteBuffer and MemorySegment. */
    @Test
    void agreesWithByteBufferAndMemorySegment() {
        long seed = System.nanoTime();
        System.out.println("LittleEndianTest seed " + seed);
        Random r = new Random(seed);
        byte[] b = new byte[64];
        for (int i = 0; i < 2_000; i++) {
            r.nextBytes(b);
            int at = r.nextInt(56);
            int len = 1 + r.nextInt(8);
            long v = r.nextLong();
            String where = "at " + at + " len " + len + " (seed " + seed + ")";
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            MemorySegment seg = MemorySegment.ofArray(b);
            assertThat(LittleEndian.getLong(b, at)).as(where).isEqualTo(bb.getLong(at))
                    .isEqualTo(seg.get(LittleEndian.LONG, at)).isEqualTo(LittleEndian.getLong(ByteBuffer.wrap(b), at));
            assertThat(LittleEndian.getInt(b, at)).as(where).isEqualTo(bb.getInt(at))
                    .isEqualTo(seg.get(LittleEndian.INT, at)).isEqualTo(LittleEndian.getInt(ByteBuffer.wrap(b), at));
            assertThat(LittleEndian.getUnsignedShort(b, at)).as(where).isEqualTo(bb.getShort(at) & 0xFFFF)
                    .isEqualTo(seg.get(LittleEndian.SHORT, at) & 0xFFFF);
            long expected = len == 8 ? bb.getLong(at) : bb.getLong(at) & ((1L << (8 * len)) - 1);
            assertThat(LittleEndian.get(b, at, len)).as(where).isEqualTo(expected);
            byte[] copy = b.clone();
            LittleEndian.put(b, at, v, len);
            for (int k = 0; k < 64; k++) {
                byte want = k >= at && k < at + len ? (byte) (v >>> (8 * (k - at))) : copy[k];
                assertThat(b[k]).as(where + " byte " + k).isEqualTo(want);
            }
            ByteBuffer big = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
            LittleEndian.putLong(big, at, v);
            assertThat(bb.getLong(at)).as("buffer order ignored, " + where).isEqualTo(v);
            LittleEndian.putInt(big, at, (int) v);
            assertThat(bb.getInt(at)).as(where).isEqualTo((int) v);
            assertThat(big.position()).isZero();
        }
    }
}
