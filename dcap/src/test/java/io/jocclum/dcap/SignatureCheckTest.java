package io.jocclum.dcap;

import io.jocclum.dcap.pki.Pem;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Each certificate's signature in the quote's PCK chain is checked: a chain whose leaf or
 * intermediate has a wrong signature (its last byte changed, the DER and every name and key still
 * intact) is refused, although the chain still leads to the pinned root by names and keys. The
 * unused-bits byte of a certificate's or CRL's signature, which no signature covers, must be 0.
 */
class SignatureCheckTest {

    /** The quote with the last byte of certificate {@code index}'s DER (inside its signature's s) changed. */
    static byte[] withBadSignature(byte[] quote, int index) {
        Quote q = Quote.parse(quote);
        int off = q.pckCertChainOffset();
        String pem = new String(quote, off, q.pckCertChainSize(), StandardCharsets.US_ASCII);
        int begin = -1;
        for (int i = 0; i <= index; i++) {
            begin = pem.indexOf("-----BEGIN CERTIFICATE-----", begin + 1);
        }
        int from = pem.indexOf('\n', begin) + 1;
        int to = pem.indexOf("-----END CERTIFICATE-----", from);
        String body = pem.substring(from, to);
        byte[] der = Base64.getMimeDecoder().decode(body);
        der[der.length - 1] ^= 0x01;
        String enc = Base64.getEncoder().encodeToString(der);
        byte[] out = quote.clone();
        int k = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\n' && c != '\r') {
                out[off + from + i] = (byte) enc.charAt(k++);
            }
        }
        assertThat(k).isEqualTo(enc.length());
        return out;
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void aPckCertificateWithAWrongSignatureIsRefused(Fixtures f) {
        Verification good = QuoteVerifier.verify(f.quote(), f.collateral(), f.at());
        assertThat(good.terminal()).isFalse();
        for (int cert = 0; cert < 2; cert++) {
            Verification bad = QuoteVerifier.verify(withBadSignature(f.quote(), cert), f.collateral(), f.at());
            assertThat(bad.result()).as("certificate " + cert + ": " + bad.detail()).isEqualTo(QvResult.UNSPECIFIED);
            assertThat(bad.error()).isEqualTo(Quote3Error.PCK_CERT_CHAIN_ERROR);
            assertThat(bad.status()).isEqualTo(cert == 0 ? QvlStatus.INVALID_PCK_CERT : QvlStatus.SGX_INTERMEDIATE_CA_INVALID);
        }
    }

    /**
     * The byte that counts the unused bits of the PCK certificate's signature BIT STRING is not
     * covered by the signature, and the JDK's parser ignores it. Setting it to 1 must still break the
     * chain, as OpenSSL (under Intel's QVL) refuses such a signature. A random flip found this gap.
     */
    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void unusedBitsInThePckCertificateSignatureAreRefused(Fixtures f) {
        byte[] q = f.quote();
        Quote parsed = Quote.parse(q);
        String pem = new String(parsed.pckCertChainPem(), StandardCharsets.US_ASCII);
        String begin = "-----BEGIN CERTIFICATE-----\n";
        int bodyStart = pem.indexOf(begin) + begin.length();
        int bodyEnd = pem.indexOf("-----END CERTIFICATE-----");
        String body = pem.substring(bodyStart, bodyEnd);
        byte[] der = Base64.getMimeDecoder().decode(body);
        int unusedBits = signatureBitStringContents(der);
        assertThat(der[unusedBits]).as("a genuine certificate's signature has no unused bits").isZero();
        der[unusedBits] = 1;
        String tampered = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n";
        assertThat(tampered).as("re-encoding keeps the fixture's line layout").hasSameSizeAs(body);
        byte[] t = tampered.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, q, parsed.pckCertChainOffset() + bodyStart, t.length);
        QuoteFormatException e = catchThrowableOfType(QuoteFormatException.class, () -> QuoteVerifier.verify(q, f.collateral(), f.at()));
        assertThat(e).as("a format error").isNotNull();
        assertThat(e.field()).isEqualTo("certification_data (PCK certificate chain)");
        assertThat(e.getMessage()).isEqualTo("the certificate's signature is not a whole number of bytes (its BIT STRING must have"
                + " 0 unused bits) (certification_data (PCK certificate chain) at offset " + (parsed.pckCertChainOffset() + pem.indexOf(begin)) + ")");
    }

    /** The same for a CRL: the JDK reads it, Intel's QVL (OpenSSL) refuses it. */
    @Test
    void unusedBitsInACrlSignatureAreRefused() throws Exception {
        byte[] der = Fixtures.PHALA.collateral().pckCrl().getEncoded();
        int unusedBits = signatureBitStringContents(der);
        assertThat(der[unusedBits]).as("a genuine CRL's signature has no unused bits").isZero();
        assertThat(Pem.crl(der).getEncoded()).isEqualTo(der);
        der[unusedBits] = 1;
        Pem.PemException e = catchThrowableOfType(Pem.PemException.class, () -> Pem.crl(der));
        assertThat(e).as("a PEM error").isNotNull();
        assertThat(e.getMessage()).isEqualTo("the CRL's signature is not a whole number of bytes (its BIT STRING must have 0 unused bits)");
    }

    /** Offset of the signature BIT STRING's first content byte in {@code SEQUENCE { tbs, alg, BIT STRING }}. */
    private static int signatureBitStringContents(byte[] der) {
        int[] p = {0};
        header(der, p);
        p[0] = header(der, p);
        p[0] = header(der, p);
        assertThat(der[p[0]]).as("BIT STRING tag").isEqualTo((byte) 0x03);
        header(der, p);
        return p[0];
    }

    /** Moves {@code p[0]} past a DER tag and length; returns the end of the contents. */
    private static int header(byte[] der, int[] p) {
        int len = der[p[0] + 1] & 0xFF;
        p[0] += 2;
        if (len > 0x80) {
            int n = len - 0x80;
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[p[0]++] & 0xFF);
            }
        }
        return p[0] + len;
    }
}
