package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shipped Intel root is read once and checked against Intel's key and fingerprint; other roots are read from PEM or DER. */
class TrustedRootTest {

    @Test
    void theIntelRootIsReadOnceAndIsIntels() throws Exception {
        TrustedRoot intel = TrustedRoot.intel();
        assertThat(TrustedRoot.intel()).as("read once").isSameAs(intel);
        assertThat(intel.isIntel()).isTrue();
        assertThat(intel.publicKeyHex()).isEqualTo(TrustedRoot.INTEL_ROOT_PUBLIC_KEY);
        assertThat(intel.fingerprint()).isEqualTo(TrustedRoot.INTEL_ROOT_FINGERPRINT);
        byte[] der = TrustedRoot.resource("Intel_SGX_Provisioning_Certification_RootCA.cer");
        assertThat(der).isEqualTo(intel.certificate().getEncoded());
        assertThat(TrustedRoot.checkedIntel(der)).isEqualTo(intel);
    }

    @Test
    void aMissingResourceOrAnotherRootIsRefused() throws Exception {
        assertThatThrownBy(() -> TrustedRoot.resource("no-such.cer")).isInstanceOf(IllegalStateException.class)
                .hasMessage("the resource no-such.cer is missing from the dcap library");
        TestPki pki = new TestPki();
        String notIntels = "the shipped Intel SGX Root CA is not Intel's (key or fingerprint differs)";
        assertThatThrownBy(() -> TrustedRoot.checkedIntel(pki.root.getEncoded())).hasMessage(notIntels);
        // Intel's key in a certificate that is not Intel's (signed by a test key): the fingerprint differs
        KeyPair intelKeyTestSigner = new KeyPair(TrustedRoot.intel().certificate().getPublicKey(), pki.rootKey.getPrivate());
        X509Certificate lookalike = pki.mint("Intel SGX Root CA", "Intel SGX Root CA", intelKeyTestSigner, pki.rootKey.getPrivate(), false);
        assertThat(TrustedRoot.of(lookalike).isIntel()).as("same key").isTrue();
        assertThatThrownBy(() -> TrustedRoot.checkedIntel(lookalike.getEncoded())).hasMessage(notIntels);
        assertThatThrownBy(() -> TrustedRoot.checkedIntel(new byte[] {0x30, 0})).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the shipped Intel SGX Root CA does not decode: not an X.509 certificate (");
    }

    @Test
    void aRootIsReadFromPemOrDer() throws Exception {
        TestPki pki = new TestPki();
        byte[] pem = Collateral.pem(List.of(pki.root)).getBytes(StandardCharsets.US_ASCII);
        assertThat(TrustedRoot.parse(pem)).isEqualTo(pki.trustedRoot());
        assertThat(TrustedRoot.parse(pki.root.getEncoded())).isEqualTo(pki.trustedRoot());
        byte[] two = Collateral.pem(List.of(pki.root, pki.ca)).getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> TrustedRoot.parse(two)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a PEM or DER certificate (expected one certificate, found 2)");
    }
}
