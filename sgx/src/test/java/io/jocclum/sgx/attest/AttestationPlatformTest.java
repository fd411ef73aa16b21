package io.jocclum.sgx.attest;

import io.jocclum.dcap.TcbStatus;
import io.jocclum.sgx.arch.Report;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The simulated PCE, QE3, PKI and collateral, checked with the JDK only (no verifier): the quote's
 * layout and both signatures, the QE report binding, the certification data, the PCK extension,
 * the signed TCB info and QE identity, the CRLs, and that everything is reproducible per platform.
 */
@ExtendWith(SgxInvariantsExtension.class)
class AttestationPlatformTest {
    private static final HexFormat HEX = HexFormat.of();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private SgxPlatform platform(long seed, TcbSpec spec) {
        return SgxTestSupport.platform(SgxTestSupport.config(256).seed(seed).cpuSvn(spec.current().cpuSvn()).build());
    }

    private AttestationPlatform attest(SgxPlatform p, TcbSpec spec) {
        AttestationPlatform a = AttestationPlatform.start(p, spec);
        open.add(a);
        return a;
    }

    private EnclaveFd isv(SgxPlatform p) {
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("app"), SgxTestSupport.image(1 << 20, 2));
        open.add(fd);
        return fd;
    }

    static List<X509Certificate> certs(String pem) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                pem.getBytes(StandardCharsets.US_ASCII)))) {
            out.add((X509Certificate) c);
        }
        return out;
    }

    private static boolean verifies(PublicKey key, byte[] data, byte[] rawSignature) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initVerify(key);
        s.update(data);
        return s.verify(rawSignature);
    }

    private static byte[] slice(byte[] b, int from, int len) {
        return Arrays.copyOfRange(b, from, from + len);
    }

    @Test
    void aQuoteIsBuiltAsIntelsQe3BuildsIt() throws Exception {
        TcbSpec spec = TcbSpec.defaults();
        SgxPlatform p = platform(3, spec);
        AttestationPlatform a = attest(p, spec);
        EnclaveFd app = isv(p);
        byte[] data = new byte[64];
        Arrays.fill(data, (byte) 0x42);
        byte[] report = app.context().ereport(a.qeTargetInfo(), data);
        byte[] quote = a.quote(report);

        ByteBuffer q = ByteBuffer.wrap(quote).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(quote).hasSize(a.quoteSize());
        assertThat(q.getShort(0)).as("version").isEqualTo((short) 3);
        assertThat(q.getShort(2)).as("attestation key type ECDSA-256").isEqualTo((short) 2);
        assertThat(q.getInt(4)).isZero();
        assertThat(q.getShort(8)).as("QE SVN").isEqualTo((short) 8);
        assertThat(q.getShort(10)).as("PCE SVN").isEqualTo((short) 13);
        assertThat(slice(quote, 12, 16)).isEqualTo(HEX.parseHex("939A7233F79C4CA9940A0DB3957F0607"));
        assertThat(slice(quote, 48, 384)).as("the ISV report body").isEqualTo(Arrays.copyOf(report, 384));
        assertThat(slice(quote, 368, 64)).as("report data at 368").isEqualTo(data);
        assertThat(slice(quote, 48, 16)).as("CPUSVN").isEqualTo(spec.current().cpuSvn());
        assertThat(q.getInt(432)).isEqualTo(quote.length - 436);

        PublicKey ak = P256.publicKey(slice(quote, 500, 64));
        assertThat(verifies(ak, Arrays.copyOf(quote, 432), slice(quote, 436, 64))).as("ISV signature").isTrue();
        byte[] tampered = Arrays.copyOf(quote, 432);
        tampered[368] ^= 1;
        assertThat(verifies(ak, tampered, slice(quote, 436, 64))).isFalse();

        byte[] qeReport = slice(quote, 564, 384);
        int authLen = q.getShort(1012) & 0xFFFF;
        byte[] auth = slice(quote, 1014, authLen);
        assertThat(auth).hasSize(32).startsWith(0, 1, 2).endsWith(31);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(concat(slice(quote, 500, 64), auth));
        assertThat(slice(qeReport, 320, 32)).as("QE report data binds the attestation key").isEqualTo(expected);
        assertThat(slice(qeReport, 352, 32)).isEqualTo(new byte[32]);
        assertThat(slice(qeReport, 256, 2)).as("QE ISVPRODID 1").isEqualTo(new byte[]{1, 0});

        int certType = q.getShort(1014 + authLen);
        int certLen = q.getInt(1016 + authLen);
        assertThat(certType).isEqualTo(5);
        assertThat(1020 + authLen + certLen).isEqualTo(quote.length);
        byte[] pem = slice(quote, 1020 + authLen, certLen);
        assertThat(pem[pem.length - 1]).as("trailing NUL").isZero();
        List<X509Certificate> chain = certs(new String(pem, 0, pem.length - 1, StandardCharsets.US_ASCII));
        assertThat(chain).hasSize(3);
        X509Certificate leaf = chain.get(0);
        X509Certificate ca = chain.get(1);
        X509Certificate root = chain.get(2);
        assertThat(leaf.getSubjectX500Principal().getName()).contains("SGX PCK Certificate").contains("not Intel");
        assertThat(ca.getSubjectX500Principal().getName()).contains("SGX PCK Processor CA");
        assertThat(root.getSubjectX500Principal().getName()).contains("SGX Root CA").contains("jocclum Simulated");
        root.verify(root.getPublicKey());
        ca.verify(root.getPublicKey());
        leaf.verify(ca.getPublicKey());
        assertThat(root.getBasicConstraints()).isEqualTo(1);
        assertThat(verifies(leaf.getPublicKey(), qeReport, slice(quote, 948, 64))).as("QE report signed by the PCK key").isTrue();

        Map<String, ASN1Primitive> ext = sgxExtension(leaf);
        assertThat(((ASN1OctetString) ext.get(".4")).getOctets()).as("FMSPC").isEqualTo(spec.fmspc());
        assertThat(((ASN1OctetString) ext.get(".3")).getOctets()).as("PCE-ID").isEqualTo(spec.pceId());
        assertThat(((ASN1Enumerated) ext.get(".5")).getValue()).isEqualTo(BigInteger.ONE);
        Map<String, ASN1Primitive> tcb = pairs((ASN1Sequence) ext.get(".2"));
        for (int i = 1; i <= 16; i++) {
            assertThat(((ASN1Integer) tcb.get(".2." + i)).getValue().intValue()).isEqualTo(spec.current().components()[i - 1]);
        }
        assertThat(((ASN1Integer) tcb.get(".2.17")).getValue().intValue()).isEqualTo(13);
        assertThat(((ASN1OctetString) tcb.get(".2.18")).getOctets()).isEqualTo(spec.current().cpuSvn());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static Map<String, ASN1Primitive> sgxExtension(X509Certificate leaf) throws Exception {
        byte[] raw = leaf.getExtensionValue(SimulatedPki.SGX_EXTENSION_OID);
        return pairs(ASN1Sequence.getInstance(ASN1OctetString.getInstance(raw).getOctets()));
    }

    private static Map<String, ASN1Primitive> pairs(ASN1Sequence seq) {
        Map<String, ASN1Primitive> m = new HashMap<>();
        for (var e : seq) {
            ASN1Sequence pair = (ASN1Sequence) e;
            String oid = ((ASN1ObjectIdentifier) pair.getObjectAt(0)).getId();
            m.put(oid.substring(SimulatedPki.SGX_EXTENSION_OID.length()), pair.getObjectAt(1).toASN1Primitive());
        }
        return m;
    }

    @Test
    void theCollateralIsSignedAndDescribesTheQeAndTheLevels() throws Exception {
        TcbSpec spec = TcbSpec.defaults().withCurrentLevel(2);
        SgxPlatform p = platform(4, spec);
        AttestationPlatform a = attest(p, spec);
        PcsCollateral c = a.collateral();
        List<X509Certificate> signing = certs(c.tcbInfoIssuerChain());
        assertThat(signing).hasSize(2);
        assertThat(signing.get(0).getSubjectX500Principal().getName()).contains("SGX TCB Signing");
        signing.get(0).verify(signing.get(1).getPublicKey());
        assertThat(signing.get(1)).isEqualTo(a.pki().root());
        JsonMapper json = JsonMapper.builder().build();
        for (String[] doc : new String[][]{{c.tcbInfo(), "tcbInfo"}, {c.qeIdentity(), "enclaveIdentity"}}) {
            String text = doc[0];
            String body = text.substring(text.indexOf(':') + 1, text.lastIndexOf(",\"signature\""));
            String sig = json.readTree(text).get("signature").stringValue();
            assertThat(verifies(signing.get(0).getPublicKey(), body.getBytes(StandardCharsets.UTF_8), HEX.parseHex(sig)))
                    .as(doc[1] + " signature over the exact bytes").isTrue();
        }
        JsonNode tcb = json.readTree(c.tcbInfo()).get("tcbInfo");
        assertThat(tcb.get("version").intValue()).isEqualTo(3);
        assertThat(tcb.get("id").stringValue()).isEqualTo("SGX");
        assertThat(tcb.get("fmspc").stringValue()).isEqualTo("00606A000000");
        assertThat(tcb.get("nextUpdate").stringValue()).isEqualTo("2049-12-31T23:59:59Z");
        assertThat(tcb.get("tcbLevels")).hasSize(7);
        assertThat(tcb.get("tcbLevels").get(2).get("tcbStatus").stringValue()).isEqualTo("SWHardeningNeeded");
        assertThat(tcb.get("tcbLevels").get(2).get("advisoryIDs").get(0).stringValue()).isEqualTo("INTEL-SA-00615");
        assertThat(spec.matchedLevel().status()).isEqualTo(TcbStatus.SWHardeningNeeded);
        JsonNode qe = json.readTree(c.qeIdentity()).get("enclaveIdentity");
        assertThat(qe.get("version").intValue()).isEqualTo(2);
        assertThat(qe.get("mrsigner").stringValue()).isEqualTo(HEX.withUpperCase().formatHex(a.qeMrSigner()));
        assertThat(qe.get("attributes").stringValue()).as("INIT|PROVISIONKEY, as Intel's QE3")
                .isEqualTo("11000000000000000000000000000000");
        assertThat(qe.get("attributesMask").stringValue()).isEqualTo("FBFFFFFFFFFFFFFF0000000000000000");
        assertThat(qe.get("isvprodid").intValue()).isEqualTo(1);
        assertThat(qe.get("tcbLevels").get(0).get("tcb").get("isvsvn").intValue()).isEqualTo(8);

        X509CRL rootCrl = crl(c.rootCaCrl());
        X509CRL pckCrl = crl(c.pckCrl());
        rootCrl.verify(a.pki().root().getPublicKey());
        pckCrl.verify(a.pki().pckCa().getPublicKey());
        assertThat(pckCrl.getIssuerX500Principal()).isEqualTo(a.pki().pckCa().getSubjectX500Principal());
        assertThat(pckCrl.getThisUpdate().toInstant()).isEqualTo(spec.issueDate());
        assertThat(pckCrl.getNextUpdate().toInstant()).isEqualTo(spec.nextUpdate());
        assertThat(pckCrl.getExtensionValue("2.5.29.20")).as("CRL number").isNotNull();
        assertThat(pckCrl.getExtensionValue("2.5.29.35")).as("authority key identifier").isNotNull();
        assertThat(pckCrl.getRevokedCertificates()).isNull();
        assertThat(c.files()).containsKeys("tcb_info.json", "qe_identity.json", "tcb_info_issuer_chain.pem",
                "qe_identity_issuer_chain.pem", "pck_crl_issuer_chain.pem", "pck_crl.der", "root_ca_crl.der", "root_ca.pem");
    }

    private static X509CRL crl(byte[] der) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }

    @Test
    void revocationsAndDatesComeFromTheDescription() throws Exception {
        TcbSpec spec = TcbSpec.defaults().withRevoked(List.of("pck", "pck_ca", "abc123"))
                .withDates(Instant.parse("2025-03-01T00:00:00Z"), Instant.parse("2025-03-31T00:00:00Z"));
        SgxPlatform p = platform(5, spec);
        AttestationPlatform a = attest(p, spec);
        X509CRL pckCrl = crl(a.collateral().pckCrl());
        X509CRL rootCrl = crl(a.collateral().rootCaCrl());
        assertThat(pckCrl.isRevoked(a.pki().pck())).isTrue();
        assertThat(pckCrl.getRevokedCertificate(new BigInteger("abc123", 16))).isNotNull();
        assertThat(rootCrl.isRevoked(a.pki().pckCa())).isTrue();
        assertThat(rootCrl.isRevoked(a.pki().tcbSigning())).isFalse();
        assertThat(a.collateral().tcbInfo()).contains("\"issueDate\":\"2025-03-01T00:00:00Z\"",
                "\"nextUpdate\":\"2025-03-31T00:00:00Z\"");
    }

    @Test
    void thePkiIsReproduciblePerPlatformAndDiffersBetweenPlatforms() {
        TcbSpec spec = TcbSpec.defaults();
        AttestationPlatform a = attest(platform(7, spec), spec);
        AttestationPlatform b = attest(platform(7, spec), spec);
        AttestationPlatform c = attest(platform(8, spec), spec);
        assertThat(b.pki().pckChainPem()).isEqualTo(a.pki().pckChainPem());
        assertThat(b.collateral().files().get("tcb_info.json")).isEqualTo(a.collateral().files().get("tcb_info.json"));
        assertThat(b.collateral().pckCrl()).isEqualTo(a.collateral().pckCrl());
        assertThat(b.attestationKey()).isEqualTo(a.attestationKey());
        assertThat(c.pki().root().getPublicKey()).isNotEqualTo(a.pki().root().getPublicKey());
        assertThat(c.attestationKey()).isNotEqualTo(a.attestationKey());
        assertThat(c.qeMrSigner()).as("the QE's signer is Intel's (simulated), the same everywhere").isEqualTo(a.qeMrSigner());
    }

    @Test
    void theQeRefusesReportsItCannotVerify() {
        TcbSpec spec = TcbSpec.defaults();
        SgxPlatform p = platform(9, spec);
        AttestationPlatform a = attest(p, spec);
        EnclaveFd app = isv(p);
        byte[] selfTarget = app.context().ereport(new byte[512], new byte[64]);
        assertThatThrownBy(() -> a.quote(selfTarget)).as("a REPORT targeted elsewhere")
                .isInstanceOf(AttestationPlatform.InvalidReportException.class);
        byte[] good = app.context().ereport(a.qeTargetInfo(), new byte[64]);
        byte[] altered = good.clone();
        altered[320] ^= 1;
        assertThatThrownBy(() -> a.quote(altered)).isInstanceOf(AttestationPlatform.InvalidReportException.class);
        assertThatThrownBy(() -> a.quote(new byte[10])).isInstanceOf(AttestationPlatform.InvalidReportException.class);
        SgxPlatform other = platform(10, spec);
        AttestationPlatform b = attest(other, spec);
        assertThatThrownBy(() -> b.quote(good)).as("a REPORT from another platform")
                .isInstanceOf(AttestationPlatform.InvalidReportException.class);
        assertThat(a.quote(good)).hasSize(a.quoteSize());
        assertThat(Report.parse(good).reportData()).isEqualTo(new byte[64]);
    }

    @Test
    void aPlatformCaCertificateCarriesThePlatformFields() throws Exception {
        TcbSpec spec = TcbSpec.defaults().withCaType(TcbSpec.CaType.PLATFORM);
        AttestationPlatform a = attest(platform(11, spec), spec);
        assertThat(a.pki().pckCa().getSubjectX500Principal().getName()).contains("SGX PCK Platform CA");
        Map<String, ASN1Primitive> ext = sgxExtension(a.pki().pck());
        assertThat(ext).containsKeys(".6", ".7");
        assertThat(((ASN1OctetString) ext.get(".6")).getOctets()).hasSize(16);
    }
}
