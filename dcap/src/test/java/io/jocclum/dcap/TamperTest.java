package io.jocclum.dcap;

import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every single-bit flip in the signed parts of a genuine quote is rejected with the reason of the
 * part it hit: exhaustively for the header, report body, attestation key, QE report, QE
 * authentication data and both signatures (the second fixture's report body and QE report: a seeded
 * sample); a seeded sample for the PCK certificate. Seeds are printed.
 */
class TamperTest {
    private static final long SEED = Long.getLong("dcap.tamper.seed", System.nanoTime());
    private static final int LEAF_SAMPLES = Integer.getInteger("dcap.tamper.leafSamples", 400);
    private static final int SAMPLE = 768;

    /** What a tampered quote gave: a verdict's status, or "format:FIELD". */
    private static String outcome(PreparedCollateral p, byte[] quote, Fixtures f) {
        try {
            Verification v = p.verify(quote, f.at());
            return v.status().name();
        } catch (QuoteFormatException e) {
            return "format:" + e.field();
        }
    }

    /**
     * Flips every bit of {@code [from, to)}; for the second fixture's 384-byte regions a seeded
     * sample of {@link #SAMPLE} flips instead (each flip costs two ECDSA verifications).
     */
    private static Map<String, Integer> flipAll(PreparedCollateral p, Fixtures f, int from, int to) {
        byte[] q = f.quote();
        Map<String, Integer> seen = new TreeMap<>();
        if (f != Fixtures.PHALA && (to - from) * 8 > SAMPLE) {
            System.out.println("TamperTest " + f + " flips in [" + from + ", " + to + "): seed " + SEED + " (replay: -Ddcap.tamper.seed="
                    + SEED + ")");
            Random rnd = new Random(SEED ^ from);
            for (int n = 0; n < SAMPLE; n++) {
                int i = from + rnd.nextInt(to - from);
                int bit = rnd.nextInt(8);
                q[i] ^= (byte) (1 << bit);
                seen.merge(outcome(p, q, f), 1, Integer::sum);
                q[i] ^= (byte) (1 << bit);
            }
            return seen;
        }
        for (int i = from; i < to; i++) {
            for (int bit = 0; bit < 8; bit++) {
                q[i] ^= (byte) (1 << bit);
                seen.merge(outcome(p, q, f), 1, Integer::sum);
                q[i] ^= (byte) (1 << bit);
            }
        }
        return seen;
    }

    private static void assertOnly(Fixtures f, Map<String, Integer> seen, String region, Predicate<String> allowed, int flips) {
        int expected = f != Fixtures.PHALA && flips > SAMPLE ? SAMPLE : flips;
        assertThat(seen.values().stream().mapToInt(Integer::intValue).sum()).as(region + " flips").isEqualTo(expected);
        assertThat(seen.keySet()).as(region + " flips gave " + seen).allMatch(allowed);
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void everyFlipInTheHeaderIsAFormatErrorOrBreaksTheQuoteSignature(Fixtures f) {
        PreparedCollateral p = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        Map<String, Integer> seen = flipAll(p, f, 0, 48);
        assertOnly(f, seen, "header", s -> s.startsWith("format:header.") || s.equals("INVALID_QUOTE_SIGNATURE"), 48 * 8);
        // version, key type, reserved/TEE type and vendor ID are refused by name; SVNs and user data break the signature
        assertThat(seen).containsKeys("format:header.version", "format:header.attestation_key_type", "format:header.reserved",
                "format:header.qe_vendor_id");
        assertThat(seen.get("INVALID_QUOTE_SIGNATURE")).isEqualTo((2 + 2 + 20) * 8);
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void everyFlipInTheReportBodyOrQuoteSignatureBreaksTheQuoteSignature(Fixtures f) {
        PreparedCollateral p = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        assertOnly(f, flipAll(p, f, 48, 432), "report body", "INVALID_QUOTE_SIGNATURE"::equals, 384 * 8);
        assertOnly(f, flipAll(p, f, 436, 500), "quote signature", "INVALID_QUOTE_SIGNATURE"::equals, 64 * 8);
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void everyFlipInTheAttestationKeyOrQeAuthDataBreaksTheQeReportData(Fixtures f) {
        PreparedCollateral p = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        Quote q = Quote.parse(f.quote());
        assertOnly(f, flipAll(p, f, 500, 564), "attestation key", "INVALID_QE_REPORT_DATA"::equals, 64 * 8);
        int auth = q.qeAuthDataOffset();
        assertOnly(f, flipAll(p, f, auth, auth + 32), "QE auth data", "INVALID_QE_REPORT_DATA"::equals, 32 * 8);
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void everyFlipInTheQeReportOrItsSignatureBreaksTheQeReportSignature(Fixtures f) {
        PreparedCollateral p = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        assertOnly(f, flipAll(p, f, 564, 948), "QE report", "INVALID_QE_REPORT_SIGNATURE"::equals, 384 * 8);
        assertOnly(f, flipAll(p, f, 948, 1012), "QE report signature", "INVALID_QE_REPORT_SIGNATURE"::equals, 64 * 8);
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void flipsInThePckCertificateBreakThePckChain(Fixtures f) {
        System.out.println("TamperTest PCK certificate flips: seed " + SEED + " (replay: -Ddcap.tamper.seed=" + SEED + ")");
        Random rnd = new Random(SEED ^ f.ordinal());
        PreparedCollateral p = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        byte[] q = f.quote();
        Quote parsed = Quote.parse(q);
        String pem = new String(parsed.pckCertChainPem(), StandardCharsets.US_ASCII);
        int leafEnd = pem.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length();
        int base = parsed.pckCertChainOffset();
        Set<String> allowed = Set.of("INVALID_PCK_CERT", "UNSUPPORTED_PCK_CERT_FORMAT");
        Map<String, Integer> seen = new TreeMap<>();
        for (int n = 0; n < LEAF_SAMPLES; n++) {
            int i = base + rnd.nextInt(leafEnd);
            int bit = rnd.nextInt(8);
            q[i] ^= (byte) (1 << bit);
            String o = outcome(p, q, f);
            assertThat(o).as("flip of bit " + bit + " at offset " + i + " (seed " + SEED + ")")
                    .matches(s -> allowed.contains(s) || s.startsWith("format:certification_data"));
            seen.merge(o, 1, Integer::sum);
            q[i] ^= (byte) (1 << bit);
        }
        assertThat(seen).containsKey("format:certification_data (PCK certificate chain)");
        assertThat(outcome(p, q, f)).as("the restored quote").isEqualTo("TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED");
    }
}
