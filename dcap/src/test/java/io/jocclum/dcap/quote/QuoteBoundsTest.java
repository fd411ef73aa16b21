package io.jocclum.dcap.quote;

import io.jocclum.dcap.Fixtures;
import io.jocclum.dcap.QuoteFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The quote parser's bounds: the little-endian readers, a size that reaches exactly to the end,
 * one byte too far, the certification data's type and size.
 */
class QuoteBoundsTest {

    @Test
    void littleEndianReadersUseEveryByte() {
        byte[] b = {(byte) 0x81, (byte) 0x92, (byte) 0xA3, (byte) 0xB4, (byte) 0xC5, (byte) 0xD6, (byte) 0xE7, (byte) 0xF8};
        assertThat(Le.u16(b, 0)).isEqualTo(0x9281);
        assertThat(Le.u16(b, 6)).isEqualTo(0xF8E7);
        assertThat(Le.u32(b, 0)).isEqualTo(0xB4A39281L);
        assertThat(Le.u32(b, 4)).isEqualTo(0xF8E7D6C5L);
        assertThat(Le.u64(b, 0)).isEqualTo(0xF8E7D6C5B4A39281L);
    }

    private static String error(byte[] q) {
        QuoteFormatException e = catchThrowableOfType(QuoteFormatException.class, () -> Quote.parse(q));
        assertThat(e).as("a format error").isNotNull();
        return e.getMessage();
    }

    private static byte[] withU16(byte[] q, int off, int v) {
        byte[] c = q.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putShort(off, (short) v);
        return c;
    }

    private static byte[] withU32(byte[] q, int off, long v) {
        byte[] c = q.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(off, (int) v);
        return c;
    }

    @Test
    void authDataReachingExactlyToTheEndLeavesNoRoomForTheChain() {
        byte[] q = Fixtures.UDSAMANI.quote();
        Quote parsed = Quote.parse(q);
        int auth = parsed.qeAuthDataOffset();
        int len = q.length;
        String f = "signature_data";
        assertThat(error(withU16(q, auth - 2, len - auth))).isEqualTo("the quote is truncated: " + f
                + ".certification_data_type needs 2 bytes but only 0 remain of " + len + " (" + f + ".certification_data_type at offset " + len + ")");
        assertThat(error(withU16(q, auth - 2, len - auth + 1))).isEqualTo("the quote is truncated: " + f + ".qe_auth_data needs "
                + (len - auth + 1) + " bytes but only " + (len - auth) + " remain of " + len + " (" + f + ".qe_auth_data at offset " + auth + ")");
        assertThat(error(withU16(q, auth - 2, len - auth - 4))).isEqualTo("the quote is truncated: " + f
                + ".certification_data_size needs 4 bytes but only 2 remain of " + len + " (" + f + ".certification_data_size at offset " + (len - 2) + ")");
    }

    @Test
    void theCertificationDataMustBeAPckChainOfTheStatedSize() {
        byte[] q = Fixtures.UDSAMANI.quote();
        Quote parsed = Quote.parse(q);
        int typeOff = parsed.pckCertChainOffset() - 6;
        String f = "signature_data";
        assertThat(error(withU16(q, typeOff, 4))).isEqualTo("certification data type 4 (PCK leaf certificate) is not supported here"
                + " (expected 5, PCK certificate chain) (" + f + ".certification_data_type at offset " + typeOff + ")");
        long size = parsed.pckCertChainSize();
        assertThat(error(withU32(q, typeOff + 2, size - 1))).isEqualTo("certification data size " + (size - 1) + " does not match the "
                + size + " bytes present (" + f + ".certification_data_size at offset " + (typeOff + 2) + ")");
    }
}
