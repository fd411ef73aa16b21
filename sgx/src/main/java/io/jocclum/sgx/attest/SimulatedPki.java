package io.jocclum.sgx.attest;

import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * The simulated Intel SGX provisioning PKI of one platform, minted with Bouncy Castle from the
 * platform's secret (so the same platform always gets the same certificates and CRLs, byte for
 * byte): a root CA, the PCK Processor (or Platform) CA, this platform's PCK certificate with Intel's
 * SGX extension, the TCB Signing certificate, and the two CRLs. The profile follows Intel's
 * ("Intel SGX PCK Certificate and Certificate Revocation List Profile Specification"): ECDSA P-256
 * with SHA-256, the CN patterns verifiers check ("SGX Root CA", "... CA", "SGX PCK Certificate",
 * "SGX TCB Signing"), basic constraints, key usages, key identifiers, CRL numbers. Every subject
 * says {@value #ORGANIZATION}, so nothing here can be mistaken for Intel's: a quote certified by this
 * PKI fails verification under Intel's root.
 *
 * <p>PCK certificate SGX extension (OID 1.2.840.113741.1.13.1): PPID (.1), TCB (.2: component SVNs
 * .2.1-.2.16, PCESVN .2.17, CPUSVN .2.18), PCE-ID (.3), FMSPC (.4), SGX type (.5), and for the
 * Platform CA the platform instance ID (.6) and configuration (.7: dynamic platform, cached keys,
 * SMT enabled).
 *
 * <p>Immutable and thread-safe.
 */
public final class SimulatedPki {
    /** The organisation of every subject. */
    public static final String ORGANIZATION = "jocclum simulation (not Intel)";
    /** Validity of every certificate. */
    public static final Instant NOT_BEFORE = Instant.parse("2020-01-01T00:00:00Z");
    public static final Instant NOT_AFTER = Instant.parse("2049-12-31T23:59:59Z");
    /** Intel's SGX extension OID. */
    public static final String SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";

    private final X509Certificate root;
    private final X509Certificate pckCa;
    private final X509Certificate pck;
    private final X509Certificate tcbSigning;
    private final byte[] rootCrl;
    private final byte[] pckCrl;
    private final P256 tcbSigningKey;

    /**
     * Mints the PKI.
     *
     * @param secret the platform's PKI secret (keys and serials derive from it)
     * @param spec   the TCB description (PCK extension values, revocations, CRL dates)
     * @param pckKey the PCK public key (X || Y) the PCE derived
     * @param ppid   the platform's PPID (16 bytes)
     */
    public SimulatedPki(byte[] secret, TcbSpec spec, byte[] pckKey, byte[] ppid) {
        P256 rootKey = P256.derive(secret, "root CA");
        P256 caKey = P256.derive(secret, "PCK " + spec.caType().json() + " CA");
        tcbSigningKey = P256.derive(secret, "TCB signing");
        X500Name rootName = name("jocclum Simulated SGX Root CA");
        X500Name caName = name("jocclum Simulated SGX PCK " + spec.caType().title() + " CA");
        String crlBase = "https://pcs.jocclum.invalid/sgx/certification/v4/";
        BcX509ExtensionUtils ext = new BcX509ExtensionUtils();

        root = cert(rootKey, rootName, serial(secret, "root CA"), rootName, rootKey.subjectPublicKeyInfo(), b -> {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(rootKey.subjectPublicKeyInfo()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(rootKey.subjectPublicKeyInfo()));
            b.addExtension(Extension.cRLDistributionPoints, false, crlDp(crlBase + "rootcacrl"));
        });
        pckCa = cert(rootKey, rootName, serial(secret, "PCK CA"), caName, caKey.subjectPublicKeyInfo(), b -> {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKey.subjectPublicKeyInfo()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(rootKey.subjectPublicKeyInfo()));
            b.addExtension(Extension.cRLDistributionPoints, false, crlDp(crlBase + "rootcacrl"));
        });
        SubjectPublicKeyInfo pckSpki = SubjectPublicKeyInfo.getInstance(P256.publicKey(pckKey).getEncoded());
        pck = cert(caKey, caName, serial(secret, "PCK"), name("jocclum Simulated SGX PCK Certificate"), pckSpki, b -> {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pckSpki));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caKey.subjectPublicKeyInfo()));
            b.addExtension(Extension.cRLDistributionPoints, false, crlDp(crlBase + "pckcrl?ca=" + spec.caType().json()
                    + "&encoding=der"));
            b.addExtension(new ASN1ObjectIdentifier(SGX_EXTENSION_OID), false, sgxExtension(spec, ppid, secret));
        });
        tcbSigning = cert(rootKey, rootName, serial(secret, "TCB signing"), name("jocclum Simulated SGX TCB Signing"),
                tcbSigningKey.subjectPublicKeyInfo(), b -> {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
                    b.addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(tcbSigningKey.subjectPublicKeyInfo()));
                    b.addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(rootKey.subjectPublicKeyInfo()));
                    b.addExtension(Extension.cRLDistributionPoints, false, crlDp(crlBase + "rootcacrl"));
                });

        Date thisUpdate = Date.from(spec.issueDate());
        Date nextUpdate = Date.from(spec.nextUpdate());
        X509v2CRLBuilder rootCrlBuilder = new X509v2CRLBuilder(rootName, thisUpdate).setNextUpdate(nextUpdate);
        X509v2CRLBuilder pckCrlBuilder = new X509v2CRLBuilder(caName, thisUpdate).setNextUpdate(nextUpdate);
        for (String r : spec.revoked()) {
            switch (r) {
                case "pck" -> pckCrlBuilder.addCRLEntry(pck.getSerialNumber(), thisUpdate, CRLReason.keyCompromise);
                case "pck_ca" -> rootCrlBuilder.addCRLEntry(pckCa.getSerialNumber(), thisUpdate, CRLReason.keyCompromise);
                default -> pckCrlBuilder.addCRLEntry(new BigInteger(r, 16), thisUpdate, CRLReason.keyCompromise);
            }
        }
        rootCrl = crl(rootCrlBuilder, rootKey, ext);
        pckCrl = crl(pckCrlBuilder, caKey, ext);
    }

    public X509Certificate root() {
        return root;
    }

    public X509Certificate pckCa() {
        return pckCa;
    }

    public X509Certificate pck() {
        return pck;
    }

    public X509Certificate tcbSigning() {
        return tcbSigning;
    }

    /** DER of the root CA CRL (revokes the PCK CA when the description says {@code pck_ca}). */
    public byte[] rootCrl() {
        return rootCrl.clone();
    }

    /** DER of the PCK CRL, issued by the PCK CA. */
    public byte[] pckCrl() {
        return pckCrl.clone();
    }

    /** The key that signs TCB info and QE identity. */
    P256 tcbSigningKey() {
        return tcbSigningKey;
    }

    /** PCK leaf, PCK CA, root: the certification data of a type-5 quote (without its trailing NUL). */
    public String pckChainPem() {
        return pem(pck) + pem(pckCa) + pem(root);
    }

    /** TCB Signing, root: the issuer chain of TCB info and QE identity. */
    public String tcbSigningChainPem() {
        return pem(tcbSigning) + pem(root);
    }

    /** PCK CA, root: the PCK CRL's issuer chain. */
    public String pckCrlChainPem() {
        return pem(pckCa) + pem(root);
    }

    /** The serial numbers (hex) by role, for users who want to revoke one. */
    public List<String> describe() {
        return List.of(
                "root CA           " + root.getSubjectX500Principal().getName() + " serial " + root.getSerialNumber().toString(16),
                "PCK CA            " + pckCa.getSubjectX500Principal().getName() + " serial " + pckCa.getSerialNumber().toString(16),
                "PCK certificate   " + pck.getSubjectX500Principal().getName() + " serial " + pck.getSerialNumber().toString(16),
                "TCB signing       " + tcbSigning.getSubjectX500Principal().getName() + " serial "
                        + tcbSigning.getSerialNumber().toString(16));
    }

    /** PEM of a certificate (64-character lines). */
    public static String pem(X509Certificate c) {
        try {
            return pem("CERTIFICATE", c.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(String label, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + b64 + "\n-----END " + label + "-----\n";
    }

    // ================================================================================ minting

    private interface Extensions {
        void add(X509v3CertificateBuilder b) throws CertIOException;
    }

    private static X500Name name(String cn) {
        return new X500Name("CN=" + cn + ",O=" + ORGANIZATION + ",C=ZZ");
    }

    private static BigInteger serial(byte[] secret, String label) {
        byte[] h = P256.sha256(("serial " + label).getBytes(StandardCharsets.US_ASCII), secret);
        byte[] s = Arrays.copyOf(h, 20);
        s[0] = (byte) ((s[0] & 0x7F) | 0x40);
        return new BigInteger(1, s);
    }

    private static CRLDistPoint crlDp(String url) {
        GeneralNames names = new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, url));
        return new CRLDistPoint(new DistributionPoint[]{new DistributionPoint(new DistributionPointName(names), null, null)});
    }

    private static X509Certificate cert(P256 issuerKey, X500Name issuer, BigInteger serial, X500Name subject,
                                        SubjectPublicKeyInfo spki, Extensions extensions) {
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, serial, Date.from(NOT_BEFORE), Date.from(NOT_AFTER),
                subject, spki);
        try {
            extensions.add(b);
            X509CertificateHolder h = b.build(new Signer(issuerKey));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(h.getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot read a minted certificate: " + e.getMessage(), e);
        }
    }

    private static byte[] crl(X509v2CRLBuilder b, P256 key, BcX509ExtensionUtils ext) {
        try {
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.ONE));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(key.subjectPublicKeyInfo()));
            return b.build(new Signer(key)).getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ASN1Encodable sgxExtension(TcbSpec spec, byte[] ppid, byte[] secret) {
        String base = SGX_EXTENSION_OID;
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(pair(base + ".1", new DEROctetString(ppid)));
        ASN1EncodableVector tcb = new ASN1EncodableVector();
        int[] comps = spec.current().components();
        for (int i = 0; i < 16; i++) {
            tcb.add(pair(base + ".2." + (i + 1), new ASN1Integer(comps[i])));
        }
        tcb.add(pair(base + ".2.17", new ASN1Integer(spec.current().pcesvn())));
        tcb.add(pair(base + ".2.18", new DEROctetString(spec.current().cpuSvn())));
        v.add(pair(base + ".2", new DERSequence(tcb)));
        v.add(pair(base + ".3", new DEROctetString(spec.pceId())));
        v.add(pair(base + ".4", new DEROctetString(spec.fmspc())));
        v.add(pair(base + ".5", new ASN1Enumerated(spec.sgxType().ordinal())));
        if (spec.caType() == TcbSpec.CaType.PLATFORM) {
            v.add(pair(base + ".6", new DEROctetString(Arrays.copyOf(P256.sha256("platform instance".getBytes(
                    StandardCharsets.US_ASCII), secret), 16))));
            ASN1EncodableVector conf = new ASN1EncodableVector();
            conf.add(pair(base + ".7.1", ASN1Boolean.FALSE));
            conf.add(pair(base + ".7.2", ASN1Boolean.FALSE));
            conf.add(pair(base + ".7.3", ASN1Boolean.TRUE));
            v.add(pair(base + ".7", new DERSequence(conf)));
        }
        return new DERSequence(v);
    }

    private static DERSequence pair(String oid, ASN1Encodable value) {
        return new DERSequence(new ASN1Encodable[]{new ASN1ObjectIdentifier(oid), value});
    }

    /** ECDSA-with-SHA256 content signer over our deterministic P-256 signatures. */
    private static final class Signer implements ContentSigner {
        private final P256 key;
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();

        Signer(P256 key) {
            this.key = key;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        }

        @Override
        public OutputStream getOutputStream() {
            return data;
        }

        @Override
        public byte[] getSignature() {
            return key.signDer(data.toByteArray());
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().withUpperCase().formatHex(b);
    }
}
