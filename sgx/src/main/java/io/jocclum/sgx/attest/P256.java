package io.jocclum.sgx.attest;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECPoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;

/**
 * An ECDSA P-256 key pair of the simulated attestation infrastructure, derived deterministically
 * from a secret (the platform's fuses or an enclave's EGETKEY output) and a label, so a platform
 * mints the same keys, certificates and CRLs every time it starts. Signatures made here are
 * deterministic too (RFC 6979 nonces, Bouncy Castle's {@link HMacDSAKCalculator}): certificates and
 * CRLs are byte-for-byte reproducible. Bouncy Castle serves only to mint; verifiers use the JDK.
 *
 * <p>Immutable and thread-safe.
 */
public final class P256 {
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(),
            CURVE.getH());
    private static final ECParameterSpec JDK_PARAMS = jdkParams();

    private final BigInteger d;
    private final ECPoint q;

    private P256(BigInteger d) {
        this.d = d;
        this.q = CURVE.getG().multiply(d).normalize();
    }

    /**
     * The key derived from {@code secret} and {@code label}: the private scalar is
     * SHA-256(label || 0x00 || secret || counter) reduced into [1, n-1], the first counter giving a
     * scalar below n (almost always 0).
     */
    public static P256 derive(byte[] secret, String label) {
        BigInteger n = CURVE.getN();
        for (int counter = 0; ; counter++) {
            MessageDigest sha = sha256();
            sha.update(label.getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(secret);
            sha.update((byte) counter);
            BigInteger candidate = new BigInteger(1, sha.digest());
            if (candidate.signum() > 0 && candidate.compareTo(n) < 0) {
                return new P256(candidate);
            }
        }
    }

    /** The raw public key as SGX quotes carry it: X || Y, 64 bytes big-endian. */
    public byte[] rawPublicKey() {
        byte[] enc = q.getEncoded(false);
        return java.util.Arrays.copyOfRange(enc, 1, 65);
    }

    /** The JDK public key. */
    public ECPublicKey publicKey() {
        return publicKey(rawPublicKey());
    }

    /** The JDK private key (for JDK signatures, which use fresh random nonces). */
    public ECPrivateKey privateKey() {
        try {
            return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(d, JDK_PARAMS));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no EC key factory", e);
        }
    }

    /** The X.509 SubjectPublicKeyInfo of the public key. */
    public SubjectPublicKeyInfo subjectPublicKeyInfo() {
        return SubjectPublicKeyInfo.getInstance(publicKey().getEncoded());
    }

    /** Deterministic ECDSA (SHA-256) over {@code message}: r and s. */
    public BigInteger[] sign(byte[] message) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(d, DOMAIN));
        return signer.generateSignature(sha256().digest(message));
    }

    /** Deterministic ECDSA (SHA-256), DER-encoded as X.509 wants it. */
    public byte[] signDer(byte[] message) {
        BigInteger[] rs = sign(message);
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new ASN1Integer(rs[0]));
        v.add(new ASN1Integer(rs[1]));
        try {
            return new DERSequence(v).getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deterministic ECDSA (SHA-256) as the raw r || s (64 bytes) that quotes and Intel's JSON carry. */
    public byte[] signRaw(byte[] message) {
        BigInteger[] rs = sign(message);
        byte[] out = new byte[64];
        put32(rs[0], out, 0);
        put32(rs[1], out, 32);
        return out;
    }

    private static void put32(BigInteger v, byte[] out, int at) {
        byte[] b = v.toByteArray();
        int len = Math.min(b.length, 32);
        System.arraycopy(b, b.length - len, out, at + 32 - len, len);
    }

    /** A JDK public key from X || Y (64 bytes). */
    public static ECPublicKey publicKey(byte[] xy) {
        if (xy.length != 64) {
            throw new IllegalArgumentException("a raw P-256 public key has 64 bytes, got " + xy.length);
        }
        java.security.spec.ECPoint w = new java.security.spec.ECPoint(new BigInteger(1, java.util.Arrays.copyOf(xy, 32)),
                new BigInteger(1, java.util.Arrays.copyOfRange(xy, 32, 64)));
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, JDK_PARAMS));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 point: " + e.getMessage(), e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static byte[] sha256(byte[]... parts) {
        MessageDigest md = sha256();
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    private static ECParameterSpec jdkParams() {
        try {
            AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
            p.init(new ECGenParameterSpec("secp256r1"));
            return p.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no secp256r1", e);
        }
    }
}
