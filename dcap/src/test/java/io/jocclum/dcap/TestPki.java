package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.quote.QuoteHeader;
import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * A test PKI shaped like Intel's (root CA, PCK Processor CA, PCK certificate with the SGX extension,
 * TCB Signing certificate), minted with Bouncy Castle, that makes quotes (v3 and v4) and collateral
 * (TCB info v3, QE identity v2, CRLs) to order. Everything is mutable so each test sets what it needs.
 */
final class TestPki {
    static final Instant NOW = Instant.parse("2025-03-01T00:00:00Z");
    static final byte[] QE_MRSIGNER = HexFormat.of().parseHex("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff");

    final KeyPair rootKey = keyPair();
    final KeyPair caKey = keyPair();
    final KeyPair pckKey = keyPair();
    final KeyPair tcbKey = keyPair();
    final KeyPair attKey = keyPair();
    X509Certificate root;
    X509Certificate ca;
    X509Certificate pck;
    X509Certificate tcbSigning;

    // the platform (PCK certificate)
    int[] pckComponents = {7, 7, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    int pckPceSvn = 13;
    byte[] fmspc = HexFormat.of().parseHex("00906ed50000");
    byte[] pceId = {0, 0};
    String rootCn = "Test SGX Root CA";
    int sgxType = 0;
    Boolean smtEnabled = null;

    // the quote
    int version = 3;
    int qeIsvSvn = 8;
    int qeIsvProdId = 1;
    byte[] qeMrSigner = QE_MRSIGNER.clone();
    byte[] qeAttributes = HexFormat.of().parseHex("1500000000000000e700000000000000");
    long qeMiscSelect = 0;
    byte[] reportData = "minted test quote".getBytes(StandardCharsets.US_ASCII);
    long isvFlags = 0x05;
    /** The PCK certificate chain the quote carries; null for the PCK certificate, the PCK CA and the root. */
    List<X509Certificate> quoteChain = null;

    // the collateral
    record Level(int[] comps, int pceSvn, String status, String date, List<String> advisories) {
    }

    List<Level> tcbLevels = new ArrayList<>(List.of(
            new Level(new int[]{7, 7, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, "UpToDate", "2024-11-13T00:00:00Z", List.of()),
            new Level(new int[]{5, 5, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, "SWHardeningNeeded", "2024-03-13T00:00:00Z",
                    List.of("INTEL-SA-00615")),
            new Level(new int[]{2, 2, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 5, "OutOfDate", "2018-01-04T00:00:00Z",
                    List.of("INTEL-SA-00161", "INTEL-SA-00615"))));
    List<String> qeLevels = new ArrayList<>(List.of(
            "{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}",
            "{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"2021-11-10T00:00:00Z\",\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00615\"]}",
            "{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2018-08-15T00:00:00Z\",\"tcbStatus\":\"Revoked\"}"));
    String tcbInfoId = "SGX";
    String qeIdentityId = "QE";
    String qeIdentityMrSigner = HexFormat.of().formatHex(QE_MRSIGNER).toUpperCase();
    int qeIdentityProdId = 1;
    String qeIdentityMiscselect = "00000000";
    BigInteger crlNumber = BigInteger.ONE;
    /** Whether the CRLs carry the CRL Number and Authority Key Identifier extensions. */
    boolean crlExtensions = true;
    List<BigInteger> pckCrlRevoked = new ArrayList<>();
    List<BigInteger> rootCrlRevoked = new ArrayList<>();
    Instant issue = NOW.minus(10, ChronoUnit.DAYS);
    Instant nextUpdate = NOW.plus(20, ChronoUnit.DAYS);

    TestPki() {
        mintCertificates();
    }

    void mintCertificates() {
        try {
            Instant from = NOW.minus(365, ChronoUnit.DAYS);
            Instant to = NOW.plus(3650, ChronoUnit.DAYS);
            X500Name rootName = name(rootCn);
            root = cert(rootName, rootName, rootKey, rootKey.getPrivate(), from, to, true, 1, null);
            X500Name caName = name("Test SGX PCK Processor CA");
            ca = cert(caName, rootName, caKey, rootKey.getPrivate(), from, to, true, 0, null);
            pck = cert(name("Test SGX PCK Certificate"), caName, pckKey, caKey.getPrivate(), from, NOW.plus(2000, ChronoUnit.DAYS),
                    false, -1, sgxExtension());
            tcbSigning = cert(name("Test SGX TCB Signing"), rootName, tcbKey, rootKey.getPrivate(), from, to, false, -1, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate of this PKI's validity period, named {@code CN=subjectCn}, issued in {@code issuerCn}'s name. */
    X509Certificate mint(String subjectCn, String issuerCn, KeyPair subjectKey, PrivateKey issuerKey, boolean withSgxExtension) {
        try {
            return cert(name(subjectCn), name(issuerCn), subjectKey, issuerKey, NOW.minus(365, ChronoUnit.DAYS),
                    NOW.plus(3650, ChronoUnit.DAYS), false, -1, withSgxExtension ? sgxExtension() : null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    TrustedRoot trustedRoot() {
        return TrustedRoot.of(root);
    }

    static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X500Name name(String cn) {
        return new X500Name("CN=" + cn + ",O=jocclum test,L=Santa Clara,ST=CA,C=US");
    }

    private static long serial = 0x1000;

    private static synchronized BigInteger nextSerial() {
        return BigInteger.valueOf(++serial).shiftLeft(64).add(BigInteger.valueOf(System.nanoTime() & 0xFFFFFF));
    }

    private static X509Certificate cert(X500Name subject, X500Name issuer, KeyPair subjectKey, PrivateKey issuerKey, Instant from,
                                        Instant to, boolean ca, int pathLen, ASN1Encodable sgx) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, nextSerial(), Date.from(from), Date.from(to), subject,
                subjectKey.getPublic());
        JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(subjectKey.getPublic()));
        if (ca) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLen));
        }
        if (sgx != null) {
            b.addExtension(new ASN1ObjectIdentifier("1.2.840.113741.1.13.1"), false, sgx);
        }
        ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
        return new JcaX509CertificateConverter().getCertificate(b.build(s));
    }

    private ASN1Encodable sgxExtension() {
        String p = "1.2.840.113741.1.13.1.";
        List<ASN1Encodable> tcb = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            tcb.add(pair(p + "2." + (i + 1), new ASN1Integer(pckComponents[i])));
        }
        tcb.add(pair(p + "2.17", new ASN1Integer(pckPceSvn)));
        byte[] cpusvn = new byte[16];
        for (int i = 0; i < 16; i++) {
            cpusvn[i] = (byte) pckComponents[i];
        }
        tcb.add(pair(p + "2.18", new DEROctetString(cpusvn)));
        return new DERSequence(new ASN1Encodable[]{
            pair(p + "1", new DEROctetString(new byte[16])),
            pair(p + "2", new DERSequence(tcb.toArray(ASN1Encodable[]::new))),
            pair(p + "3", new DEROctetString(pceId)),
            pair(p + "4", new DEROctetString(fmspc)),
            pair(p + "5", new ASN1Enumerated(sgxType)),
            pair(p + "7", new DERSequence(smtEnabled == null
                    ? new ASN1Encodable[]{pair(p + "7.1", ASN1Boolean.FALSE)}
                    : new ASN1Encodable[]{pair(p + "7.1", ASN1Boolean.FALSE), pair(p + "7.3", ASN1Boolean.getInstance(smtEnabled.booleanValue()))}))});
    }

    private static DERSequence pair(String oid, ASN1Encodable v) {
        return new DERSequence(new ASN1Encodable[]{new ASN1ObjectIdentifier(oid), v});
    }

    // ------------------------------------------------------------------ quotes

    /** A quote signed by the attestation key, its QE report signed by the PCK key. */
    byte[] quote() {
        try {
            ByteBuffer h = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
            h.putShort((short) version).putShort((short) 2).putInt(0).putShort((short) qeIsvSvn).putShort((short) 15);
            h.put(HexFormat.of().parseHex(QuoteHeader.INTEL_QE_VENDOR_ID));
            h.put(new byte[20]);
            byte[] body = new byte[384];
            ByteBuffer bb = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            bb.putLong(48, isvFlags).putLong(56, 0xE7);
            Arrays.fill(body, 64, 96, (byte) 0x11);
            Arrays.fill(body, 128, 160, (byte) 0x22);
            System.arraycopy(reportData, 0, body, 320, Math.min(64, reportData.length));
            byte[] att = xy((ECPublicKey) attKey.getPublic());
            byte[] auth = new byte[32];
            for (int i = 0; i < 32; i++) {
                auth[i] = (byte) i;
            }
            byte[] qe = new byte[384];
            ByteBuffer qb = ByteBuffer.wrap(qe).order(ByteOrder.LITTLE_ENDIAN);
            qb.putInt(16, (int) qeMiscSelect);
            System.arraycopy(qeAttributes, 0, qe, 48, 16);
            Arrays.fill(qe, 64, 96, (byte) 0x33);
            System.arraycopy(qeMrSigner, 0, qe, 128, 32);
            qb.putShort(256, (short) qeIsvProdId).putShort(258, (short) qeIsvSvn);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(att);
            md.update(auth);
            System.arraycopy(md.digest(), 0, qe, 320, 32);
            byte[] qeSig = sign(pckKey.getPrivate(), qe);
            byte[] chain = (Collateral.pem(quoteChain != null ? quoteChain : List.of(pck, ca, root)) + "\0").getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream sig = new ByteArrayOutputStream();
            byte[] signed = concat(h.array(), body);
            sig.write(sign(attKey.getPrivate(), signed));
            sig.write(att);
            if (version == 3) {
                sig.write(qe);
                sig.write(qeSig);
                sig.write(le16(auth.length));
                sig.write(auth);
                sig.write(le16(5));
                sig.write(le32(chain.length));
                sig.write(chain);
            } else {
                ByteArrayOutputStream inner = new ByteArrayOutputStream();
                inner.write(qe);
                inner.write(qeSig);
                inner.write(le16(auth.length));
                inner.write(auth);
                inner.write(le16(5));
                inner.write(le32(chain.length));
                inner.write(chain);
                sig.write(le16(6));
                sig.write(le32(inner.size()));
                sig.write(inner.toByteArray());
            }
            byte[] s = sig.toByteArray();
            return concat(signed, le32(s.length), s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sign(PrivateKey key, byte[] data) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    static byte[] xy(ECPublicKey k) {
        byte[] out = new byte[64];
        put(k.getW().getAffineX(), out, 0);
        put(k.getW().getAffineY(), out, 32);
        return out;
    }

    private static void put(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }

    static byte[] le16(int v) {
        return new byte[]{(byte) v, (byte) (v >> 8)};
    }

    static byte[] le32(long v) {
        return new byte[]{(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    // ------------------------------------------------------------------ collateral

    String tcbInfoBody() {
        StringBuilder s = new StringBuilder();
        s.append("{\"id\":\"").append(tcbInfoId).append("\",\"version\":3,\"issueDate\":\"").append(issue)
                .append("\",\"nextUpdate\":\"").append(nextUpdate).append("\",\"fmspc\":\"")
                .append(HexFormat.of().formatHex(fmspc).toUpperCase()).append("\",\"pceId\":\"")
                .append(HexFormat.of().formatHex(pceId)).append("\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,\"tcbLevels\":[");
        for (int i = 0; i < tcbLevels.size(); i++) {
            Level l = tcbLevels.get(i);
            s.append(i == 0 ? "" : ",").append("{\"tcb\":{\"sgxtcbcomponents\":[");
            for (int c = 0; c < 16; c++) {
                s.append(c == 0 ? "" : ",").append("{\"svn\":").append(l.comps[c]).append("}");
            }
            s.append("],\"pcesvn\":").append(l.pceSvn).append("},\"tcbDate\":\"").append(l.date).append("\",\"tcbStatus\":\"")
                    .append(l.status).append("\"");
            if (!l.advisories.isEmpty()) {
                s.append(",\"advisoryIDs\":[\"").append(String.join("\",\"", l.advisories)).append("\"]");
            }
            s.append("}");
        }
        return s.append("]}").toString();
    }

    String qeIdentityBody() {
        return "{\"id\":\"" + qeIdentityId + "\",\"version\":2,\"issueDate\":\"" + issue + "\",\"nextUpdate\":\"" + nextUpdate
                + "\",\"tcbEvaluationDataNumber\":17,\"miscselect\":\"" + qeIdentityMiscselect + "\",\"miscselectMask\":\"FFFFFFFF\","
                + "\"attributes\":\"11000000000000000000000000000000\",\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
                + "\"mrsigner\":\"" + qeIdentityMrSigner + "\",\"isvprodid\":" + qeIdentityProdId + ",\"tcbLevels\":["
                + String.join(",", qeLevels) + "]}";
    }

    byte[] response(String name, String body, PrivateKey key) {
        try {
            byte[] sig = sign(key, body.getBytes(StandardCharsets.UTF_8));
            return ("{\"" + name + "\":" + body + ",\"signature\":\"" + HexFormat.of().formatHex(sig) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    X509CRL crl(X509Certificate issuer, PrivateKey key, List<BigInteger> revoked) {
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), Date.from(issue));
            b.setNextUpdate(Date.from(nextUpdate));
            for (BigInteger s : revoked) {
                b.addCRLEntry(s, Date.from(issue), CRLReason.keyCompromise);
            }
            if (crlExtensions) {
                b.addExtension(Extension.cRLNumber, false, new CRLNumber(crlNumber));
                b.addExtension(Extension.authorityKeyIdentifier, false,
                        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer.getPublicKey()));
            }
            return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] pckCrlDer() {
        return der(crl(ca, caKey.getPrivate(), pckCrlRevoked));
    }

    byte[] rootCrlDer() {
        return der(crl(root, rootKey.getPrivate(), rootCrlRevoked));
    }

    static byte[] der(X509CRL crl) {
        try {
            return crl.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Collateral collateral() {
        List<X509Certificate> signingChain = List.of(tcbSigning, root);
        return collateral(signingChain, signingChain, crl(ca, caKey.getPrivate(), pckCrlRevoked),
                crl(root, rootKey.getPrivate(), rootCrlRevoked));
    }

    /** This PKI's collateral with the given issuer chains and CRLs. */
    Collateral collateral(List<X509Certificate> tcbInfoChain, List<X509Certificate> qeIdentityChain, X509CRL pckCrl, X509CRL rootCaCrl) {
        return Collateral.of(response("tcbInfo", tcbInfoBody(), tcbKey.getPrivate()),
                response("enclaveIdentity", qeIdentityBody(), tcbKey.getPrivate()),
                Collateral.pem(tcbInfoChain).getBytes(StandardCharsets.US_ASCII),
                Collateral.pem(qeIdentityChain).getBytes(StandardCharsets.US_ASCII),
                Collateral.pem(List.of(ca, root)).getBytes(StandardCharsets.US_ASCII), der(pckCrl), der(rootCaCrl));
    }

    Verification verify() {
        return QuoteVerifier.verify(quote(), collateral(), NOW, trustedRoot());
    }
}
