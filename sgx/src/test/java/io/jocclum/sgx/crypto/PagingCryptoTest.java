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
