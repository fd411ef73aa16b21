package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verdicts that genuine data cannot show, on quotes and collateral minted by a test PKI with
 * Bouncy Castle (the trusted root replaced by the test root): revocation by CRL, every TCB status,
 * Intel's convergence of platform and QE status, QE identity mismatches, version 4 quotes.
 */
class MintedQuoteTest {
    private static final int[] UP_TO_DATE = {7, 7, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    @Test
    void aMintedV3QuoteIsUpToDate() {
        TestPki pki = new TestPki();
        Verification v = pki.verify();
        assertThat(v.result()).as(v.detail()).isEqualTo(QvResult.OK);
        assertThat(v.status()).isEqualTo(QvlStatus.OK);
        assertThat(v.tcbStatus()).isEqualTo(TcbStatus.UpToDate);
        assertThat(v.advisoryIds()).isEmpty();
        assertThat(v.collateralExpired()).isFalse();
        assertThat(v.supplemental().rootKeyId()).isNotEqualTo(new byte[48]);
        assertThat(v.quote().version()).isEqualTo(3);
    }

    @Test
    void aMintedV4QuoteWithQeReportCertificationDataVerifies() {
        TestPki pki = new TestPki();
        pki.version = 4;
        byte[] quote = pki.quote();
        Quote q = Quote.parse(quote);
        assertThat(q.version()).isEqualTo(4);
        assertThat(q.certificationDataType()).isEqualTo(Quote.CERT_QE_REPORT);
        assertThat(q.qeReportOffset()).isEqualTo(570);
        Verification v = QuoteVerifier.verify(quote, pki.collateral(), TestPki.NOW, pki.trustedRoot());
        assertThat(v.result()).as(v.detail()).isEqualTo(QvResult.OK);
        // the v4 QE report and its signature are checked as in v3
        quote[q.qeReportOffset() + 100] ^= 1;
        assertThat(QuoteVerifier.verify(quote, pki.collateral(), TestPki.NOW, pki.trustedRoot()).status())
                .isEqualTo(QvlStatus.INVALID_QE_REPORT_SIGNATURE);
        quote[q.qeReportOffset() + 100] ^= 1;
        quote[100] ^= 1;
        assertThat(QuoteVerifier.verify(quote, pki.collateral(), TestPki.NOW, pki.trustedRoot()).status())
                .isEqualTo(QvlStatus.INVALID_QUOTE_SIGNATURE);
    }

    @Test
    void aV4QuoteWhoseInnerCertificationDataIsNotAPckChainIsRefused() {
        byte[] quote = v4Quote();
        Quote q = Quote.parse(quote);
        int innerTypeOff = q.pckCertChainOffset() - 6;
        assertThat(quote[innerTypeOff] & 0xff).as("the inner type is a PCK chain").isEqualTo(5);
        quote[innerTypeOff] = 4;
        assertThat(parseError(quote)).isEqualTo("certification data type 4 (PCK leaf certificate) is not supported here"
                + " (expected 5, PCK certificate chain) (qe_report_certification_data.certification_data_type at offset "
                + innerTypeOff + ")");
    }

    @Test
    void bothCertificationDataSizesOfAV4QuoteMustMatchTheBytesPresent() {
        byte[] quote = v4Quote();
        Quote q = Quote.parse(quote);
        int outerSize = q.qeReportOffset() - 4;
        int innerSize = q.pckCertChainOffset() - 4;
        long outer = q.certificationDataSize();
        int inner = q.pckCertChainSize();
        assertThat(outer).isEqualTo(quote.length - q.qeReportOffset());
        assertThat(parseError(withLe32(quote, outerSize, outer - 1))).isEqualTo("certification data size " + (outer - 1)
                + " does not match the " + outer + " bytes present (signature_data.certification_data_size at offset " + outerSize + ")");
        assertThat(parseError(withLe32(quote, innerSize, inner + 1))).isEqualTo("certification data size " + (inner + 1)
                + " does not match the " + inner + " bytes present (qe_report_certification_data.certification_data_size at offset "
                + innerSize + ")");
        assertThat(q.header().teeType()).as("SGX").isZero();
    }

    private static byte[] v4Quote() {
        TestPki pki = new TestPki();
        pki.version = 4;
        return pki.quote();
    }

    private static byte[] withLe32(byte[] quote, int off, long v) {
        byte[] c = quote.clone();
        System.arraycopy(TestPki.le32(v), 0, c, off, 4);
        return c;
    }

    private static String parseError(byte[] quote) {
        QuoteFormatException e = org.assertj.core.api.Assertions.catchThrowableOfType(QuoteFormatException.class, () -> Quote.parse(quote));
        assertThat(e).as("a format error").isNotNull();
        return e.getMessage();
    }

    @Test
    void aCrlListingThePckSerialGivesRevoked() {
        TestPki pki = new TestPki();
        pki.pckCrlRevoked.add(pki.pck.getSerialNumber());
        Verification v = pki.verify();
        assertThat(v.result()).isEqualTo(QvResult.REVOKED);
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_PCK_REVOKED);
        assertThat(v.error()).isEqualTo(Quote3Error.PCK_REVOKED);
        assertThat(v.detail()).contains("revokes the PCK certificate").contains(pki.pck.getSerialNumber().toString(16));
        assertThat(v.terminal()).isTrue();
        assertThat(v.tcbStatus()).as("no TCB level was reached").isNull();
        assertThat(v.supplemental()).isNull();
        assertThat(v.pck()).isNotNull();
    }

    @Test
    void otherSerialsInTheCrlDoNotRevoke() {
        TestPki pki = new TestPki();
        pki.pckCrlRevoked.add(pki.pck.getSerialNumber().add(BigInteger.ONE));
        pki.rootCrlRevoked.add(BigInteger.valueOf(42));
        assertThat(pki.verify().result()).isEqualTo(QvResult.OK);
    }

    @Test
    void theRootCrlRevokesThePckCaOrTheTcbSigningCertificate() {
        TestPki ca = new TestPki();
        ca.rootCrlRevoked.add(ca.ca.getSerialNumber());
        Verification v = ca.verify();
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_INTERMEDIATE_CA_REVOKED);
        assertThat(v.result()).isEqualTo(QvResult.REVOKED);
        TestPki tcb = new TestPki();
        tcb.rootCrlRevoked.add(tcb.tcbSigning.getSerialNumber());
        Verification w = tcb.verify();
        assertThat(w.status()).isEqualTo(QvlStatus.SGX_TCB_SIGNING_CERT_REVOKED);
        assertThat(w.result()).isEqualTo(QvResult.REVOKED);
    }

    @Test
    void aForgedCrlCannotRevokeAGenuineQuote() throws Exception {
        // a CRL naming the genuine PCK serial, issued in the Processor CA's name but signed by a test key
        Fixtures f = Fixtures.PHALA;
        Collateral c = f.collateral();
        Quote q = Quote.parse(f.quote());
        var leaf = io.jocclum.dcap.pki.Pem.certificates(q.pckCertChainPem()).getFirst();
        var intelCa = io.jocclum.dcap.pki.Pem.certificates(q.pckCertChainPem()).get(1);
        TestPki pki = new TestPki();
        pki.issue = f.windowStart();
        pki.nextUpdate = f.windowEnd().plusSeconds(86400);
        X509CRL forged = pki.crl(intelCa, pki.caKey.getPrivate(), List.of(leaf.getSerialNumber()));
        Collateral withForged = Collateral.of(response("tcbInfo", c.tcbInfoBody(), c.tcbInfoSignature()),
                response("enclaveIdentity", c.qeIdentityBody(), c.qeIdentitySignature()), pem(c.tcbInfoIssuerChain()),
                pem(c.qeIdentityIssuerChain()), pem(c.pckCrlIssuerChain()), TestPki.der(forged), TestPki.der(c.rootCaCrl()));
        Verification v = QuoteVerifier.verify(f.quote(), withForged, f.at());
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_CRL_INVALID_SIGNATURE);
        assertThat(v.result()).isEqualTo(QvResult.INVALID_SIGNATURE);
    }

    static byte[] response(String name, byte[] body, byte[] sig) {
        return TestPki.concat(("{\"" + name + "\":").getBytes(StandardCharsets.UTF_8), body,
                (",\"signature\":\"" + HexFormat.of().formatHex(sig) + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    static byte[] pem(List<java.security.cert.X509Certificate> chain) {
        return Collateral.pem(chain).getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aCrlFromTheWrongIssuerOrWithABadSignatureIsRejected() {
        TestPki pki = new TestPki();
        Collateral good = pki.collateral();
        byte[] chain = pem(List.of(pki.tcbSigning, pki.root));
        X509CRL byRoot = pki.crl(pki.root, pki.rootKey.getPrivate(), List.of());
        Collateral wrongIssuer = Collateral.of(response("tcbInfo", good.tcbInfoBody(), good.tcbInfoSignature()),
                response("enclaveIdentity", good.qeIdentityBody(), good.qeIdentitySignature()), chain, chain,
                pem(List.of(pki.ca, pki.root)), TestPki.der(byRoot), pki.rootCrlDer());
        assertThat(QuoteVerifier.verify(pki.quote(), wrongIssuer, TestPki.NOW, pki.trustedRoot()).status())
                .isEqualTo(QvlStatus.SGX_CRL_UNKNOWN_ISSUER);
        X509CRL badSig = pki.crl(pki.ca, pki.rootKey.getPrivate(), List.of());
        Collateral badSignature = Collateral.of(response("tcbInfo", good.tcbInfoBody(), good.tcbInfoSignature()),
                response("enclaveIdentity", good.qeIdentityBody(), good.qeIdentitySignature()), chain, chain,
                pem(List.of(pki.ca, pki.root)), TestPki.der(badSig), pki.rootCrlDer());
        Verification v = QuoteVerifier.verify(pki.quote(), badSignature, TestPki.NOW, pki.trustedRoot());
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_CRL_INVALID_SIGNATURE);
        assertThat(v.result()).isEqualTo(QvResult.INVALID_SIGNATURE);
    }

    @Test
    void theTrustedRootDecides() {
        TestPki pki = new TestPki();
        Verification intel = QuoteVerifier.verify(pki.quote(), pki.collateral(), TestPki.NOW);
        assertThat(intel.status()).isEqualTo(QvlStatus.SGX_ROOT_CA_UNTRUSTED);
        assertThat(intel.detail()).contains("Intel SGX Root CA");
        TestPki other = new TestPki();
        Verification v = QuoteVerifier.verify(pki.quote(), pki.collateral(), TestPki.NOW, other.trustedRoot());
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_ROOT_CA_UNTRUSTED);
    }

    @Test
    void signingChainsAndSignaturesOfTcbInfoAndQeIdentity() {
        TestPki pki = new TestPki();
        TestPki other = new TestPki();
        Collateral good = pki.collateral();
        byte[] foreignChain = pem(List.of(other.tcbSigning, other.root));
        byte[] chain = pem(List.of(pki.tcbSigning, pki.root));
        Collateral untrustedTcb = Collateral.of(response("tcbInfo", good.tcbInfoBody(), good.tcbInfoSignature()),
                response("enclaveIdentity", good.qeIdentityBody(), good.qeIdentitySignature()), foreignChain, chain,
                pem(List.of(pki.ca, pki.root)), pki.pckCrlDer(), pki.rootCrlDer());
        assertThat(QuoteVerifier.verify(pki.quote(), untrustedTcb, TestPki.NOW, pki.trustedRoot()).status())
                .isEqualTo(QvlStatus.SGX_TCB_SIGNING_CERT_CHAIN_UNTRUSTED);
        Collateral untrustedQe = Collateral.of(response("tcbInfo", good.tcbInfoBody(), good.tcbInfoSignature()),
                response("enclaveIdentity", good.qeIdentityBody(), good.qeIdentitySignature()), chain, foreignChain,
                pem(List.of(pki.ca, pki.root)), pki.pckCrlDer(), pki.rootCrlDer());
        assertThat(QuoteVerifier.verify(pki.quote(), untrustedQe, TestPki.NOW, pki.trustedRoot()).status())
                .isEqualTo(QvlStatus.SGX_ENCLAVE_IDENTITY_CHAIN_UNTRUSTED);
        Collateral wrongQeSig = Collateral.of(response("tcbInfo", good.tcbInfoBody(), good.tcbInfoSignature()),
                response("enclaveIdentity", good.qeIdentityBody(), good.tcbInfoSignature()), chain, chain,
                pem(List.of(pki.ca, pki.root)), pki.pckCrlDer(), pki.rootCrlDer());
        Verification v = QuoteVerifier.verify(pki.quote(), wrongQeSig, TestPki.NOW, pki.trustedRoot());
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_ENCLAVE_IDENTITY_INVALID_SIGNATURE);
        assertThat(v.result()).isEqualTo(QvResult.INVALID_SIGNATURE);
        assertThat(v.error()).isEqualTo(Quote3Error.QEIDENTITY_CHAIN_ERROR);
    }

    /** Platform TCB level x QE TCB level → the merged status (Intel's convergence table). */
    @ParameterizedTest
    @CsvSource({
        "UpToDate, UpToDate, UpToDate",
        "SWHardeningNeeded, UpToDate, SWHardeningNeeded",
        "ConfigurationNeeded, UpToDate, ConfigurationNeeded",
        "ConfigurationAndSWHardeningNeeded, UpToDate, ConfigurationAndSWHardeningNeeded",
        "OutOfDate, UpToDate, OutOfDate",
        "OutOfDateConfigurationNeeded, UpToDate, OutOfDateConfigurationNeeded",
        "Revoked, UpToDate, Revoked",
        "UpToDate, OutOfDate, OutOfDate",
        "SWHardeningNeeded, OutOfDate, OutOfDate",
        "ConfigurationNeeded, OutOfDate, OutOfDateConfigurationNeeded",
        "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded",
        "OutOfDate, OutOfDate, OutOfDate",
        "OutOfDateConfigurationNeeded, OutOfDate, OutOfDateConfigurationNeeded",
        "Revoked, OutOfDate, Revoked",
        "UpToDate, Revoked, Revoked",
        "ConfigurationNeeded, Revoked, Revoked",
    })
    void platformAndQeStatusesConvergeByIntelsTable(String platform, String qe, String merged) {
        TestPki pki = new TestPki();
        pki.tcbLevels = List.of(new TestPki.Level(UP_TO_DATE, 13, platform, "2024-11-13T00:00:00Z", List.of("INTEL-SA-00001")));
        pki.qeIsvSvn = switch (qe) {
            case "UpToDate" -> 8;
            case "OutOfDate" -> 7;
            default -> 3;
        };
        Verification v = pki.verify();
        TcbStatus m = TcbStatus.valueOf(merged);
        assertThat(v.tcbStatus()).as(v.detail()).isEqualTo(m);
        assertThat(v.result()).isEqualTo(m.result());
        assertThat(v.platformTcb().status()).isEqualTo(TcbStatus.valueOf(platform));
        assertThat(v.qeTcb().status()).isEqualTo(TcbStatus.valueOf(qe));
        assertThat(v.advisoryIds()).containsExactly("INTEL-SA-00001");
        assertThat(v.supplemental() == null).isEqualTo(m == TcbStatus.Revoked);
        if (m == TcbStatus.Revoked) {
            assertThat(v.error()).isEqualTo(Quote3Error.TCB_REVOKED);
        } else {
            assertThat(v.error()).isEqualTo(Quote3Error.SUCCESS);
            assertThat(v.supplemental().qeIdenStatus()).isEqualTo(TcbStatus.valueOf(qe).result());
        }
    }

    @Test
    void thePckCertificatesTcbSelectsTheFirstLevelItMeets() {
        TestPki pki = new TestPki();
        pki.pckComponents = new int[]{6, 7, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        pki.mintCertificates();
        Verification v = pki.verify();
        assertThat(v.tcbStatus()).isEqualTo(TcbStatus.SWHardeningNeeded);
        assertThat(v.advisoryIds()).containsExactly("INTEL-SA-00615");
        assertThat(v.platformTcb().tcbDate()).hasToString("2024-03-13T00:00:00Z");
        // a lower PCESVN skips the levels that need 13
        pki.pckComponents = UP_TO_DATE.clone();
        pki.pckPceSvn = 12;
        pki.mintCertificates();
        assertThat(pki.verify().tcbStatus()).isEqualTo(TcbStatus.OutOfDate);
        // below every level: not supported
        pki.pckComponents = new int[]{1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        pki.mintCertificates();
        Verification none = pki.verify();
        assertThat(none.status()).isEqualTo(QvlStatus.TCB_NOT_SUPPORTED);
        assertThat(none.result()).isEqualTo(QvResult.UNSPECIFIED);
        assertThat(none.tcbStatus()).isNull();
    }

    @Test
    void levelsAreMatchedInQvlOrderWhateverTheirOrderInTheJson() {
        TestPki pki = new TestPki();
        pki.tcbLevels = List.of(pki.tcbLevels.get(2), pki.tcbLevels.get(0), pki.tcbLevels.get(1));
        assertThat(pki.verify().tcbStatus()).isEqualTo(TcbStatus.UpToDate);
    }

    @Test
    void aQeWithoutAMatchingLevelIsNotSupported() {
        TestPki pki = new TestPki();
        pki.qeLevels = List.of("{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}");
        pki.qeIsvSvn = 7;
        Verification v = pki.verify();
        assertThat(v.status()).isEqualTo(QvlStatus.TCB_NOT_SUPPORTED);
        assertThat(v.qeTcb()).isNull();
    }

    @Test
    void theQeReportMustMatchTheQeIdentity() {
        TestPki mrsigner = new TestPki();
        mrsigner.qeMrSigner[0] ^= 1;
        assertThat(mrsigner.verify().status()).isEqualTo(QvlStatus.QE_IDENTITY_MISMATCH);
        TestPki prod = new TestPki();
        prod.qeIsvProdId = 2;
        assertThat(prod.verify().detail()).contains("ISVPRODID 2 is not 1");
        TestPki misc = new TestPki();
        misc.qeMiscSelect = 1;
        assertThat(misc.verify().detail()).contains("MISCSELECT");
        TestPki debug = new TestPki();
        debug.qeAttributes[0] |= 0x02;
        assertThat(debug.verify().detail()).contains("ATTRIBUTES");
        TestPki masked = new TestPki();
        masked.qeAttributes[9] = 0x7F; // XFRM bits outside the mask
        masked.qeAttributes[0] &= ~0x04; // MODE64BIT is masked out
        assertThat(masked.verify().result()).isEqualTo(QvResult.OK);
        TestPki td = new TestPki();
        td.qeIdentityId = "TD_QE";
        Verification v = td.verify();
        assertThat(v.status()).isEqualTo(QvlStatus.QE_IDENTITY_MISMATCH);
        assertThat(v.error()).isEqualTo(Quote3Error.QEIDENTITY_MISMATCH);
    }

    @Test
    void theTcbInfoMustBeForThisPlatform() {
        TestPki tdx = new TestPki();
        tdx.tcbInfoId = "TDX";
        assertThat(tdx.verify().status()).isEqualTo(QvlStatus.TCB_INFO_MISMATCH);
        TestPki fmspc = new TestPki();
        fmspc.fmspc = HexFormat.of().parseHex("00a067110000");
        Verification v = fmspc.verify();
        assertThat(v.status()).isEqualTo(QvlStatus.TCB_INFO_MISMATCH);
        assertThat(v.detail()).contains("FMSPC 00a067110000").contains("00906ed50000");
        TestPki pce = new TestPki();
        pce.pceId = new byte[]{1, 0};
        assertThat(pce.verify().detail()).contains("PCE-ID 0100");
    }

    @Test
    void aDebugEnclaveIsReportedNotRejected() {
        TestPki pki = new TestPki();
        pki.isvFlags = 0x07;
        Verification v = pki.verify();
        assertThat(v.result()).isEqualTo(QvResult.OK);
        assertThat(v.quote().body().debug()).isTrue();
    }

    @Test
    void anAttestationKeyOffTheCurveIsAnUnsupportedFormatAfterTheQeChecks() throws Exception {
        TestPki pki = new TestPki();
        byte[] q = pki.quote();
        // replace the attestation key with a point not on P-256 and re-bind the QE report data, re-sign the QE report
        byte[] bad = new byte[64];
        bad[63] = 1;
        System.arraycopy(bad, 0, q, 500, 64);
        var md = java.security.MessageDigest.getInstance("SHA-256");
        md.update(bad);
        md.update(Quote.parse(q).qeAuthData());
        System.arraycopy(md.digest(), 0, q, 564 + 320, 32);
        byte[] qe = java.util.Arrays.copyOfRange(q, 564, 948);
        System.arraycopy(TestPki.sign(pki.pckKey.getPrivate(), qe), 0, q, 948, 64);
        Verification v = QuoteVerifier.verify(q, pki.collateral(), TestPki.NOW, pki.trustedRoot());
        assertThat(v.status()).isEqualTo(QvlStatus.UNSUPPORTED_QUOTE_FORMAT);
    }

    @Test
    void expiryOfMintedCollateral() {
        TestPki pki = new TestPki();
        Collateral c = pki.collateral();
        PreparedCollateral p = QuoteVerifier.prepare(c, pki.trustedRoot());
        byte[] q = pki.quote();
        assertThat(p.verify(q, pki.nextUpdate.minusSeconds(1)).collateralExpired()).isFalse();
        Verification at = p.verify(q, pki.nextUpdate);
        assertThat(at.collateralExpired()).as("the flag is set at the earliest expiration itself").isTrue();
        assertThat(at.expired()).hasSize(1);
        Verification after = p.verify(q, pki.nextUpdate.plusSeconds(1));
        assertThat(after.expired()).contains("root CA CRL (nextUpdate " + pki.nextUpdate + ")", "PCK CRL (nextUpdate " + pki.nextUpdate + ")",
                "TCB info (nextUpdate " + pki.nextUpdate + ")", "QE identity (nextUpdate " + pki.nextUpdate + ")");
        assertThat(after.result()).isEqualTo(QvResult.OK);
    }
}
