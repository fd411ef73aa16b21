package io.jocclum.dcap.pki;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/**
 * ECDSA P-256 with SHA-256 over raw r‖s signatures (IEEE P1363, as quotes and Intel's JSON
 * collateral carry them), through the JDK's providers.
 */
public final class Ecdsa {
    private static final ECParameterSpec P256;
    private static final BigInteger P;

    static {
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec("secp256r1"));
            P256 = ap.getParameterSpec(ECParameterSpec.class);
            P = ((java.security.spec.ECFieldFp) P256.getCurve().getField()).getP();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Ecdsa() {
    }

    /** The P-256 curve parameters. */
    public static ECParameterSpec p256() {
        return P256;
    }

    /**
     * True when {@code sig} (64 bytes r‖s) is a valid ECDSA-SHA256 signature of {@code data[off, off+len)}
     * by {@code key}; false for any invalid signature, including malformed ones.
     */
    public static boolean verify(PublicKey key, byte[] sig, byte[] data, int off, int len) {
        if (sig.length != 64) {
            return false;
        }
        try {
            Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initVerify(key);
            s.update(data, off, len);
            return s.verify(sig);
        } catch (java.security.SignatureException | java.security.InvalidKeyException e) {
            return false;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA256withECDSAinP1363Format", e);
        }
    }

    /** {@link #verify(PublicKey, byte[], byte[], int, int)} over the whole of {@code data}. */
    public static boolean verify(PublicKey key, byte[] sig, byte[] data) {
        return verify(key, sig, data, 0, data.length);
    }

    /**
     * The P-256 public key with raw coordinates X‖Y (64 bytes), or null when that is not a point of
     * the curve.
     */
    public static ECPublicKey p256Key(byte[] xy) {
        if (xy.length != 64) {
            return null;
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(xy, 0, 32));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(xy, 32, 64));
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            return null;
        }
        // y^2 = x^3 + ax + b (mod p)
        BigInteger a = P256.getCurve().getA();
        BigInteger b = P256.getCurve().getB();
        if (!y.multiply(y).mod(P).equals(x.pow(3).add(a.multiply(x)).add(b).mod(P))) {
            return null;
        }
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /**
     * The uncompressed point {@code 04‖X‖Y} (65 bytes) of a P-256 key, or null for another key type
     * or curve.
     */
    public static byte[] rawPoint(PublicKey key) {
        if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256
                || !ec.getParams().getCurve().equals(P256.getCurve())) {
            return null;
        }
        byte[] out = new byte[65];
        out[0] = 4;
        put(ec.getW().getAffineX(), out, 1);
        put(ec.getW().getAffineY(), out, 33);
        return out;
    }

    private static void put(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(b.length, 32);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }
}
