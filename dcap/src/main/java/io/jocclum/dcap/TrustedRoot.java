package io.jocclum.dcap;

import io.jocclum.dcap.pki.Ecdsa;
import io.jocclum.dcap.pki.Pem;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The trust anchor of quote verification, pinned by its public key as Intel's QvE pins
 * {@code INTEL_ROOT_PUB_KEY}: the root of every certificate chain (PCK chain, TCB info and QE
 * identity issuer chains) must carry this P-256 key. {@link #intel()} is the Intel SGX Root CA,
 * shipped as a resource and checked against its key; {@link #of} and {@link #load} replace it (for
 * instance with a simulated platform's root).
 */
public final class TrustedRoot {
    /** The Intel SGX Root CA's public key, uncompressed point. */
    public static final String INTEL_ROOT_PUBLIC_KEY = "040ba9c4c0c0c86193a3fe23d6b02cda10a8bbd4e88e48b4458561a36e705525f567918e2edc88e40d860bd0cc4ee26aacc988e505a953558c453f6b0904ae7394";
    /** SHA-256 of the Intel SGX Root CA certificate (DER). */
    public static final String INTEL_ROOT_FINGERPRINT = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
    private static final String RESOURCE = "Intel_SGX_Provisioning_Certification_RootCA.cer";
    private static volatile TrustedRoot intel;

    private final X509Certificate certificate;
    private final byte[] point;

    private TrustedRoot(X509Certificate certificate, byte[] point) {
        this.certificate = certificate;
        this.point = point;
    }

    /** The Intel SGX Root CA (read once). */
    public static TrustedRoot intel() {
        TrustedRoot r = intel;
        if (r == null) {
            r = checkedIntel(resource(RESOURCE));
            intel = r;
        }
        return r;
    }

    /** The bytes of a resource shipped with this library. */
    static byte[] resource(String name) {
        try (InputStream in = TrustedRoot.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the resource " + name + " is missing from the dcap library");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shipped Intel SGX Root CA from its DER bytes, refused unless it has Intel's key and fingerprint. */
    static TrustedRoot checkedIntel(byte[] der) {
        TrustedRoot r;
        try {
            r = of(Pem.certificate(der, 0));
        } catch (Pem.PemException e) {
            throw new IllegalStateException("the shipped Intel SGX Root CA does not decode: " + e.getMessage(), e);
        }
        if (!r.publicKeyHex().equals(INTEL_ROOT_PUBLIC_KEY) || !r.fingerprint().equals(INTEL_ROOT_FINGERPRINT)) {
            throw new IllegalStateException("the shipped Intel SGX Root CA is not Intel's (key or fingerprint differs)");
        }
        return r;
    }

    /**
     * A root given by its certificate (its P-256 key is what is pinned).
     *
     * @throws IllegalArgumentException when the certificate's key is not an ECDSA P-256 key
     */
    public static TrustedRoot of(X509Certificate cert) {
        byte[] p = Ecdsa.rawPoint(cert.getPublicKey());
        if (p == null) {
            throw new IllegalArgumentException("the root certificate " + cert.getSubjectX500Principal().getName()
                    + " does not have an ECDSA P-256 key");
        }
        return new TrustedRoot(cert, p);
    }

    /**
     * Reads a root certificate file (PEM or DER).
     *
     * @throws IllegalArgumentException when the file is not one P-256 certificate (the message says why)
     * @throws UncheckedIOException     when it cannot be read
     */
    public static TrustedRoot load(Path file) {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A root from the bytes of a certificate file (PEM or DER).
     *
     * @throws IllegalArgumentException when they are not one P-256 certificate (the message says why)
     */
    public static TrustedRoot parse(byte[] certificateFile) {
        try {
            return of(Pem.certificateFile(certificateFile));
        } catch (Pem.PemException e) {
            throw new IllegalArgumentException("not a PEM or DER certificate (" + e.getMessage() + ")", e);
        }
    }

    /** The root certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The pinned key as an uncompressed point (65 bytes). */
    public byte[] publicKeyPoint() {
        return point.clone();
    }

    /** The pinned key as lowercase hex. */
    public String publicKeyHex() {
        return HexFormat.of().formatHex(point);
    }

    /** True when {@code key} is the pinned key. */
    public boolean pins(PublicKey key) {
        byte[] p = Ecdsa.rawPoint(key);
        return p != null && MessageDigest.isEqual(p, point);
    }

    /** SHA-256 of the root certificate's DER, lowercase hex. */
    public String fingerprint() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True for Intel's root. */
    public boolean isIntel() {
        return publicKeyHex().equals(INTEL_ROOT_PUBLIC_KEY);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustedRoot t && Arrays.equals(point, t.point);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(point);
    }

    @Override
    public String toString() {
        return "TrustedRoot[" + certificate.getSubjectX500Principal().getName() + ", key " + publicKeyHex().substring(0, 16) + "...]";
    }
}
