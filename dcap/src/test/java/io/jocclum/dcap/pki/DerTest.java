package io.jocclum.dcap.pki;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Known answers of the DER reader of the SGX extension, at its bounds. */
class DerTest {

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void objectIdentifiersDecodeEveryArc() {
        // 1.2.840.113741.1.13.1: the SGX extension
        Der.Tlv t = new Der(bytes(0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01, 0x00)).next();
        assertThat(t.oid()).isEqualTo("1.2.840.113741.1.13.1.0");
        assertThat(new Der(bytes(0x06, 0x01, 0x50)).next().oid()).as("first arc 2 (80 = 2 x 40)").isEqualTo("2.0");
        assertThat(new Der(bytes(0x06, 0x02, 0x81, 0x00)).next().oid()).isEqualTo("2.48");
        assertThatThrownBy(() -> new Der(bytes(0x06, 0x02, 0x2A, 0x86)).next().oid()).hasMessage("truncated OBJECT IDENTIFIER");
        byte[] big = new byte[12];
        java.util.Arrays.fill(big, (byte) 0xFF);
        big[11] = 0x7F;
        byte[] tlv = new byte[14];
        tlv[0] = 0x06;
        tlv[1] = 12;
        System.arraycopy(big, 0, tlv, 2, 12);
        assertThatThrownBy(() -> new Der(tlv).next().oid()).hasMessage("OBJECT IDENTIFIER arc too large");
        // nine 7-bit groups fill 63 bits: the largest arc that fits
        byte[] max = bytes(0x06, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
        assertThat(new Der(max).next().oid()).isEqualTo("2." + (Long.MAX_VALUE - 80));
    }

    @Test
    void booleansAndIntegers() {
        assertThat(new Der(bytes(0x01, 0x01, 0xFF)).next().bool()).isTrue();
        assertThat(new Der(bytes(0x01, 0x01, 0x00)).next().bool()).isFalse();
        assertThatThrownBy(() -> new Der(bytes(0x01, 0x02, 0x00, 0x00)).next().bool()).hasMessage("expected a BOOLEAN");
        assertThatThrownBy(() -> new Der(bytes(0x02, 0x01, 0x00)).next().bool()).hasMessage("expected a BOOLEAN");
        assertThat(new Der(bytes(0x02, 0x02, 0xFF, 0x7F)).next().integer()).isEqualTo(BigInteger.valueOf(-129));
    }

    @Test
    void lengthsAtTheirBounds() {
        assertThat(new Der(bytes(0x04, 0x00)).next().octets()).isEmpty();
        assertThatThrownBy(() -> new Der(bytes(0x04)).next()).hasMessage("truncated DER at offset 0");
        byte[] longForm = new byte[3 + 0x80];
        longForm[0] = 0x04;
        longForm[1] = (byte) 0x81;
        longForm[2] = (byte) 0x80;
        assertThat(new Der(longForm).next().octets()).hasSize(0x80);
        assertThatThrownBy(() -> new Der(bytes(0x04, 0x82, 0x01)).next()).hasMessage("bad DER length at offset 1");
        assertThat(new Der(bytes(0x04, 0x82, 0x00, 0x01, 0x07)).next().octets()).containsExactly(7);
        assertThat(new Der(bytes(0x04, 0x81, 0x00)).next().octets()).as("the length's bytes end exactly at the end").isEmpty();
        assertThat(new Der(bytes(0x04, 0x83, 0x00, 0x00, 0x01, 0x09)).next().octets()).as("three length bytes").containsExactly(9);
        assertThatThrownBy(() -> new Der(bytes(0x04, 0x80)).next()).hasMessage("bad DER length at offset 1");
        assertThatThrownBy(() -> new Der(bytes(0x04, 0x84, 0, 0, 0, 1, 0)).next()).hasMessage("bad DER length at offset 1");
        assertThatThrownBy(() -> new Der(bytes(0x04, 0x02, 0x01)).next()).hasMessage("DER value runs past its container at offset 2");
        Der two = new Der(bytes(0x04, 0x01, 0x05, 0x02, 0x01, 0x06));
        assertThat(two.next().octets()).containsExactly(5);
        assertThat(two.more()).isTrue();
        assertThat(two.next(Der.INTEGER).integer()).isEqualTo(BigInteger.valueOf(6));
        assertThat(two.more()).isFalse();
        assertThatThrownBy(() -> new Der(bytes(0x1F, 0x01, 0x00)).next()).hasMessage("multi-byte DER tags are not expected");
    }
}
