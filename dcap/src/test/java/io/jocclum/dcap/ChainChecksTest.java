package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each refusal of the PCK chain, CRL and signing chain checks, on minted collateral, with the
 * status and the sentence it reports; and the values the supplemental data takes from the PCK
 * certificate, the CRLs and the QE identity.
 */
class ChainChecksTest {
    private final TestPki pki = new TestPki();

    private Verification verify(Collateral c) {
        return QuoteVerifier.verify(pki.quote(), c, TestPki.NOW, pki.trustedRoot());
    }

    private static void refused(Verification v, QvlStatus status, String detail) {
        assertThat(v.status()).as(v.detail()).isEqualTo(status);
        assertThat(v.detail()).isEqualTo(detail);
        assertThat(v.terminal()).isTrue();
    }

    private X509CRL pckCrl() {
        return pki.crl(pki.ca, pki.caKey.getPrivate(), List.of());
    }

    private X509CRL rootCrl() {
        return pki.crl(pki.root, pki.rootKey.getPrivate(), List.of());
    }

    @Test
    void thePreparedCollateralKeepsItsCollateralAndRoot() {
        Collateral c = pki.collateral();
        PreparedCollateral p = QuoteVerifier.prepare(c, pki.trustedRoot());
        assertThat(p.collateral()).isSameAs(c);
        assertThat(p.root()).isEqualTo(pki.trustedRoot());
    }

    @Test
    void aPckChainMustHoldThreeCertificates() {
        pki.quoteChain = List.of(pki.pck, pki.ca);
        Verification v = pki.verify();
        refused(v, QvlStatus.UNSUPPORTED_PCK_CERT_FORMAT, "the PCK certificate chain has 2 certificates, not 3 (PCK, PCK CA, root)");
        assertThat(v.error()).isEqualTo(Quote3Error.PCK_CERT_UNSUPPORTED_FORMAT);
    }

    @Test
    void aRootWithTheTrustedKeyMustBeSelfSigned() {
        X509Certificate notSelfSigned = pki.mint(pki.rootCn, "Another Issuer", pki.rootKey, pki.rootKey.getPrivate(), false);
        pki.quoteChain = List.of(pki.pck, pki.ca, notSelfSigned);
        refused(pki.verify(), QvlStatus.SGX_ROOT_CA_INVALID,
                "the PCK certificate chain's root 'Test SGX Root CA' is not a self-signed SGX Root CA");
    }

    @Test
    void aRootOtherThanIntelsNeedNotBeNamedSgxRootCa() {
        pki.rootCn = "Test Platform Root";
        pki.mintCertificates();
        Verification v = pki.verify();
        assertThat(v.result()).as(v.detail()).isEqualTo(QvResult.OK);
    }

    @Test
    void aPckCertificateWithoutTheSgxExtensionIsAnUnsupportedFormat() {
        X509Certificate bare = pki.mint("Test SGX PCK Certificate", "Test SGX PCK Processor CA", pki.pckKey, pki.caKey.getPrivate(), false);
        pki.quoteChain = List.of(bare, pki.ca, pki.root);
        refused(pki.verify(), QvlStatus.UNSUPPORTED_PCK_CERT_FORMAT,
                "the PCK certificate's SGX extension cannot be read (the certificate has no SGX extension (1.2.840.113741.1.13.1))");
    }

    @Test
    void aPckCertificateKeyMustBeP256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = g.generateKeyPair();
        X509Certificate leaf = pki.mint("Test SGX PCK Certificate", "Test SGX PCK Processor CA", p384, pki.caKey.getPrivate(), true);
        pki.quoteChain = List.of(leaf, pki.ca, pki.root);
        refused(pki.verify(), QvlStatus.UNSUPPORTED_PCK_CERT_FORMAT, "the PCK certificate's key is not an ECDSA P-256 key");
    }

    @Test
    void crlsMustCarryTheCrlNumberAndAuthorityKeyIdentifier() {
        List<X509Certificate> signing = List.of(pki.tcbSigning, pki.root);
        pki.crlExtensions = false;
        X509CRL bareRoot = rootCrl();
        X509CRL barePck = pckCrl();
        pki.crlExtensions = true;
        refused(verify(pki.collateral(signing, signing, pckCrl(), bareRoot)), QvlStatus.SGX_CRL_INVALID_EXTENSIONS,
                "the root CA CRL lacks the CRL Number or Authority Key Identifier extension");
        refused(verify(pki.collateral(signing, signing, barePck, rootCrl())), QvlStatus.SGX_CRL_INVALID_EXTENSIONS,
                "the PCK CRL lacks the CRL Number or Authority Key Identifier extension");
    }

    @Test
    void thePckCrlMustBeIssuedByACa() {
        List<X509Certificate> signing = List.of(pki.tcbSigning, pki.root);
        X509CRL byTcbSigning = pki.crl(pki.tcbSigning, pki.tcbKey.getPrivate(), List.of());
        refused(verify(pki.collateral(signing, signing, byTcbSigning, rootCrl())), QvlStatus.SGX_CRL_UNKNOWN_ISSUER,
                "the PCK CRL's issuer 'Test SGX TCB Signing' is not a CA");
    }

    @Test
    void theTcbInfoAndQeIdentityIssuerChainsAreChecked() {
        List<X509Certificate> good = List.of(pki.tcbSigning, pki.root);
        X509Certificate notSelfSigned = pki.mint(pki.rootCn, "Another Issuer", pki.rootKey, pki.rootKey.getPrivate(), false);
        X509Certificate signedByCa = pki.mint("Test SGX TCB Signing", pki.rootCn, pki.tcbKey, pki.caKey.getPrivate(), false);
        QvlStatus untrusted = QvlStatus.SGX_TCB_SIGNING_CERT_CHAIN_UNTRUSTED;
        refused(verify(pki.collateral(List.of(pki.tcbSigning, pki.ca, pki.root), good, pckCrl(), rootCrl())), untrusted,
                "the TCB info issuer chain has 3 certificates, not 2 (TCB Signing, root)");
        refused(verify(pki.collateral(List.of(pki.tcbSigning, notSelfSigned), good, pckCrl(), rootCrl())), untrusted,
                "the TCB info issuer chain's root is not self-signed");
        refused(verify(pki.collateral(List.of(pki.ca, pki.root), good, pckCrl(), rootCrl())), untrusted,
                "the TCB info issuer chain's first certificate 'Test SGX PCK Processor CA' is not an SGX TCB Signing certificate");
        refused(verify(pki.collateral(List.of(signedByCa, pki.root), good, pckCrl(), rootCrl())), untrusted,
                "the TCB info issuer chain's TCB Signing certificate is not signed by the root");
        refused(verify(pki.collateral(good, List.of(pki.tcbSigning, pki.ca, pki.root), pckCrl(), rootCrl())),
                QvlStatus.SGX_ENCLAVE_IDENTITY_CHAIN_UNTRUSTED, "the QE identity issuer chain has 3 certificates, not 2 (TCB Signing, root)");
    }

    @Test
    void qeReportDataMustBindTheAttestationKeyAndAuthenticationData() throws Exception {
        byte[] q = pki.quote();
        Quote parsed = Quote.parse(q);
        q[parsed.qeAuthDataOffset()] ^= 1; // not covered by any signature
        Quote changed = Quote.parse(q);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(changed.attestationKey());
        md.update(changed.qeAuthData());
        HexFormat hex = HexFormat.of();
        Verification v = QuoteVerifier.verify(q, pki.collateral(), TestPki.NOW, pki.trustedRoot());
        refused(v, QvlStatus.INVALID_QE_REPORT_DATA, "the QE report data " + hex.formatHex(changed.qeReport().reportData(), 0, 32)
                + " is not SHA-256(attestation key || QE authentication data) = " + hex.formatHex(md.digest()));
    }

    /** The QE identity's hex is in the report's (little-endian) byte order, as Intel's QVL reads it. */
    @Test
    void theQeIdentitysMiscselectIsComparedInTheReportsByteOrder() {
        pki.qeIdentityMiscselect = "01000000";
        pki.qeMiscSelect = 1;
        assertThat(pki.verify().result()).isEqualTo(QvResult.OK);
        pki.qeMiscSelect = 0;
        Verification v = pki.verify();
        assertThat(v.status()).isEqualTo(QvlStatus.QE_IDENTITY_MISMATCH);
        assertThat(v.detail()).isEqualTo("the QE's MISCSELECT 0x00000000 masked with 0xffffffff is not 0x00000001");
        pki.qeIdentityMiscselect = "00000001";
        pki.qeMiscSelect = 1;
        assertThat(pki.verify().detail()).isEqualTo("the QE's MISCSELECT 0x00000001 masked with 0xffffffff is not 0x01000000");
    }

    @Test
    void theSmtFlagIsDefinedForScalablePlatformsOnly() {
        pki.smtEnabled = true;
        pki.sgxType = 1;
        pki.mintCertificates();
        assertThat(pki.verify().supplemental().smtEnabled()).isEqualTo(Supplemental.PckFlag.TRUE);
        pki.sgxType = 0;
        pki.mintCertificates();
        assertThat(pki.verify().supplemental().smtEnabled()).as("standard SGX").isEqualTo(Supplemental.PckFlag.UNDEFINED);
    }

    @Test
    void aCrlLargerThan64KiBIsRead() throws Exception {
        for (int i = 1; i <= 2000; i++) {
            pki.pckCrlRevoked.add(BigInteger.valueOf(i).shiftLeft(64));
        }
        X509CRL big = pki.crl(pki.ca, pki.caKey.getPrivate(), pki.pckCrlRevoked);
        assertThat(big.getEncoded().length).as("a three-byte DER length").isGreaterThan(0xFFFF);
        assertThat(io.jocclum.dcap.pki.Pem.crl(big.getEncoded()).getRevokedCertificates()).hasSize(2000);
        assertThat(pki.verify().result()).isEqualTo(QvResult.OK);
        pki.pckCrlRevoked.add(pki.pck.getSerialNumber());
        assertThat(pki.verify().status()).isEqualTo(QvlStatus.SGX_PCK_REVOKED);
    }

    @Test
    void theSupplementalDataCarriesTheCrlNumbers() {
        pki.crlNumber = BigInteger.valueOf(0x1234);
        assertThat(pki.verify().supplemental().pckCrlNum()).isEqualTo(0x1234);
        pki.crlNumber = BigInteger.valueOf(Long.MAX_VALUE);
        Supplemental s = pki.verify().supplemental();
        assertThat(s.pckCrlNum()).as("eight bytes").isEqualTo(Long.MAX_VALUE);
        assertThat(s.rootCaCrlNum()).isEqualTo(Long.MAX_VALUE);
    }
}
