package io.jocclum.dcap;

import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prepared collateral checks a PCK chain once and reuses the result, for the same chain bytes only;
 * without a cache every quote's chain is checked anew.
 */
class ChainCacheTest {

    @Test
    void aChainIsCheckedOnceAndReused() {
        Fixtures f = Fixtures.PHALA;
        PreparedCollateral cached = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        Verification a = cached.verify(f.quote(), f.at());
        Verification b = cached.verify(f.quote(), f.at());
        assertThat(b.pck()).as("the cached chain check").isSameAs(a.pck());
        assertThat(b.result()).isEqualTo(a.result());
        PreparedCollateral uncached = new PreparedCollateral(f.collateral(), TrustedRoot.intel(), 0);
        Verification c = uncached.verify(f.quote(), f.at());
        Verification d = uncached.verify(f.quote(), f.at());
        assertThat(d.pck()).isNotSameAs(c.pck()).isEqualTo(c.pck());
        PreparedCollateral one = new PreparedCollateral(f.collateral(), TrustedRoot.intel(), 1);
        Verification e = one.verify(f.quote(), f.at());
        assertThat(one.verify(f.quote(), f.at()).pck()).as("a cache of one keeps its chain").isSameAs(e.pck());
    }

    private static boolean base64(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/';
    }

    /**
     * The quote with two adjacent base64 characters near the end of the PCK certificate (in its
     * signature) changed so that the chain's bytes keep their {@link Arrays#hashCode}: the first
     * goes up by one, the second down by 31.
     */
    private static byte[] sameHashOtherChain(byte[] quote) {
        Quote q = Quote.parse(quote);
        int off = q.pckCertChainOffset();
        String pem = new String(q.pckCertChainPem(), StandardCharsets.US_ASCII);
        int end = pem.indexOf("-----END CERTIFICATE-----");
        for (int i = end - 8; i > end - 64; i--) {
            char c1 = pem.charAt(i);
            char c2 = pem.charAt(i + 1);
            if (base64(c1) && base64(c2) && base64(c1 + 1) && base64(c2 - 31)) {
                byte[] out = quote.clone();
                out[off + i] = (byte) (c1 + 1);
                out[off + i + 1] = (byte) (c2 - 31);
                return out;
            }
        }
        throw new AssertionError("no pair of base64 characters to change near the end of the PCK certificate");
    }

    private static String outcome(PreparedCollateral p, byte[] quote, Fixtures f) {
        try {
            return p.verify(quote, f.at()).status().name();
        } catch (QuoteFormatException e) {
            return "format: " + e.getMessage();
        }
    }

    @Test
    void aChainWithTheSameHashButOtherBytesIsCheckedAnew() {
        Fixtures f = Fixtures.PHALA;
        byte[] genuine = f.quote();
        byte[] other = sameHashOtherChain(genuine);
        byte[] a = Quote.parse(genuine).pckCertChainPem();
        byte[] b = Quote.parse(other).pckCertChainPem();
        assertThat(b).isNotEqualTo(a);
        assertThat(Arrays.hashCode(b)).isEqualTo(Arrays.hashCode(a));
        String fresh = outcome(new PreparedCollateral(f.collateral(), TrustedRoot.intel(), 0), other, f);
        PreparedCollateral cached = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        String good = outcome(cached, genuine, f);
        assertThat(fresh).isNotEqualTo(good);
        assertThat(outcome(cached, other, f)).as("not the genuine chain's cached check").isEqualTo(fresh);
        assertThat(outcome(cached, genuine, f)).isEqualTo(good);
    }
}
