package io.jocclum.sgx.crypto;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PagingCryptoTest {
    private final PagingCrypto pc = new PagingCrypto(new PlatformKeys(7).pagingKey());

    private static byte[] page(long seed) {
        byte[] b = new byte[4096];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void roundTripHeapAndNative() {
        byte[] plain = page(1);
        byte[] blob = new byte[4096];
        byte[] mac = new byte[128];
        pc.seal(MemorySegment.ofArray(plain), 5, 0x1000, 9, 0x203, blob, mac, 112);
        assertThat(blob).isNotEqualTo(plain);
        byte[] out = new byte[4096];
        assertThat(pc.open(blob, mac, 112, 5, 0x1000, 9, 0x203, MemorySegment.ofArray(out))).isTrue();
        assertThat(out).isEqualTo(plain);

        MemorySegment nat = Arena.ofAuto().allocate(4096);
        nat.copyFrom(MemorySegment.ofArray(plain));
        pc.seal(nat, 6, 0x1000, 9, 0x203, blob, mac, 0);
        MemorySegment dst = Arena.ofAuto().allocate(4096);
        assertThat(pc.open(blob, mac, 0, 6, 0x1000, 9, 0x203, dst)).isTrue();
        assertThat(dst.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(plain);
    }

    @Test
    void pagesInsideLargerSegmentsAreNamedByOffset() {
        byte[] plain = page(4);
        MemorySegment src = Arena.ofAuto().allocate(3 * 4096L);
        MemorySegment.copy(MemorySegment.ofArray(plain), 0, src, 8192, 4096);
        MemorySegment slab = Arena.ofAuto().allocate(2 * 4096L);
        slab.fill((byte) 0x5A);
        MemorySegment pcmd = Arena.ofAuto().allocate(4096);
        pc.seal(src, 8192, 7, 0x3000, 2, 0x203, slab, 4096, pcmd, 1000);
        assertThat(slab.asSlice(0, 4096).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .as("the page before the blob is untouched").containsOnly((byte) 0x5A);
        byte[] blob = slab.asSlice(4096, 4096).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        byte[] mac = pcmd.asSlice(1000, 16).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        byte[] viaArrays = new byte[4096];
        assertThat(pc.open(blob, mac, 0, 7, 0x3000, 2, 0x203, MemorySegment.ofArray(viaArrays))).isTrue();
        assertThat(viaArrays).isEqualTo(plain);

        MemorySegment dst = Arena.ofAuto().allocate(3 * 4096L);
        dst.fill((byte) 0x33);
        assertThat(pc.open(slab, 4096, pcmd, 1000, 7, 0x3000, 2, 0x203, dst, 4096)).isTrue();
        assertThat(dst.asSlice(4096, 4096).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(plain);
        assertThat(dst.asSlice(0, 4096).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsOnly((byte) 0x33);
        assertThat(dst.asSlice(8192, 4096).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsOnly((byte) 0x33);
        slab.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4096 + 17, (byte) (blob[17] ^ 1));
        assertThat(pc.open(slab, 4096, pcmd, 1000, 7, 0x3000, 2, 0x203, dst, 4096)).as("tampered blob").isFalse();
    }

    @Test
    void nullSourceIsAZeroPage() {
        byte[] blob = new byte[4096];
        byte[] mac = new byte[16];
        pc.seal(null, 1, 0, 1, 0, blob, mac, 0);
        byte[] out = page(3);
        assertThat(pc.open(blob, mac, 0, 1, 0, 1, 0, MemorySegment.ofArray(out))).isTrue();
        assertThat(out).isEqualTo(new byte[4096]);
    }

    @Test
    void everyBoundInputIsChecked() {
        byte[] plain = page(2);
        byte[] blob = new byte[4096];
        byte[] mac = new byte[16];
        pc.seal(MemorySegment.ofArray(plain), 10, 0x5000, 3, 0x207, blob, mac, 0);
        MemorySegment out = MemorySegment.ofArray(new byte[4096]);
        assertThat(pc.open(blob, mac, 0, 11, 0x5000, 3, 0x207, out)).as("other version").isFalse();
        assertThat(pc.open(blob, mac, 0, 10, 0x6000, 3, 0x207, out)).as("other address").isFalse();
        assertThat(pc.open(blob, mac, 0, 10, 0x5000, 4, 0x207, out)).as("other enclave").isFalse();
        assertThat(pc.open(blob, mac, 0, 10, 0x5000, 3, 0x203, out)).as("other SECINFO").isFalse();
        byte[] flipped = blob.clone();
        flipped[1234] ^= 0x10;
        assertThat(pc.open(flipped, mac, 0, 10, 0x5000, 3, 0x207, out)).as("flipped blob bit").isFalse();
        byte[] badMac = mac.clone();
        badMac[15] ^= 1;
        assertThat(pc.open(blob, badMac, 0, 10, 0x5000, 3, 0x207, out)).as("flipped MAC bit").isFalse();
        PagingCrypto other = new PagingCrypto(new PlatformKeys(8).pagingKey());
        assertThat(other.open(blob, mac, 0, 10, 0x5000, 3, 0x207, out)).as("other platform").isFalse();
        assertThat(pc.open(blob, mac, 0, 10, 0x5000, 3, 0x207, out)).isTrue();
    }

    @Test
    void platformKeysAreDeterministicPerSeed() {
        assertThat(new PlatformKeys(42).pagingKey()).isEqualTo(new PlatformKeys(42).pagingKey());
        assertThat(new PlatformKeys(42).pagingKey()).isNotEqualTo(new PlatformKeys(43).pagingKey());
        assertThat(new PlatformKeys(42).reportKeyId()).hasSize(32).isNotEqualTo(new PlatformKeys(43).reportKeyId());
    }
}
