package io.jocclum.dcap;

import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each certificate's signature in the quote's PCK chain is checked: a chain whose leaf or
 * intermediate has a wrong signature (its last byte changed, the DER and every name and key still
 * intact) is refused, although the chain still leads to the pinned root by names and keys.
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
}
