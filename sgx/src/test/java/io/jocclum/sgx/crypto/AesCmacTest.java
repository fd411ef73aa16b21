package io.jocclum.sgx.crypto;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RFC 4493 section 4 test vectors. */
class AesCmacTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY = HEX.parseHex("2b7e151628aed2a6abf7158809cf4f3c");
    private static final byte[] M64 = HEX.parseHex("6bc1bee22e409f96e93d7e117393172a"
            + "ae2d8a571e03ac9c9eb76fac45af8e51" + "30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710");

    @Test
    void subkeyGeneration() {
        AesCmac c = new AesCmac(KEY);
        assertThat(HEX.formatHex(c.k1())).isEqualTo("fbeed618357133667c85e08f7236a8de");
        assertThat(HEX.formatHex(c.k2())).isEqualTo("f7ddac306ae266ccf90bc11ee46d513b");
    }

    @Test
    void example1EmptyMessage() {
        assertThat(HEX.formatHex(AesCmac.mac(KEY, new byte[0]))).isEqualTo("bb1d6929e95937287fa37d129b756746");
    }

    @Test
    void example2SixteenBytes() {
        assertThat(HEX.formatHex(new AesCmac(KEY).mac(M64, 0, 16))).isEqualTo("070a16b46b4d4144f79bdd9dd04a287c");
    }

    @Test
    void example3FortyBytes() {
        assertThat(HEX.formatHex(new AesCmac(KEY).mac(M64, 0, 40))).isEqualTo("dfa66747de9ae63030ca32611497c827");
    }

    @Test
    void example4SixtyFourBytes() {
        assertThat(HEX.formatHex(AesCmac.mac(KEY, M64))).isEqualTo("51f0bebf7e3b9d92fc49741779363cfe");
    }

    @Test
    void rejectsBadKeyLength() {
        assertThatThrownBy(() -> new AesCmac(new byte[15])).isInstanceOf(IllegalArgumentException.class);
    }
}
