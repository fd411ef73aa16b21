package io.jocclum.dcap.pki;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** Raw P-256 keys and signatures: the curve, points at the field's edge, signatures of the wrong size or key type. */
class EcdsaTest {
    /** P-256's field prime and group order (SEC 2, section 2.4.2). */
    private static final BigInteger P = new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger N = new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);

    private static byte[] xy(BigInteger x, BigInteger y) {
        byte[] out = new byte[64];
        byte[] bx = x.toByteArray();
        byte[] by = y.toByteArray();
        int nx = Math.min(32, bx.length);
        int ny = Math.min(32, by.length);
        System.arraycopy(bx, bx.length - nx, out, 32 - nx, nx);
        System.arraycopy(by, by.length - ny, out, 64 - ny, ny);
        return out;
    }

    @Test
    void theCurveIsP256() {
        assertThat(Ecdsa.p256().getOrder()).isEqualTo(N);
        assertThat(((java.security.spec.ECFieldFp) Ecdsa.p256().getCurve().getField()).getP()).isEqualTo(P);
    }

    @Test
    void aCoordinateEqualToTheFieldPrimeIsNotAPoint() {
        // (0, sqrt(b)) is on the curve; x = p is the same residue but not a field element
        BigInteger b = Ecdsa.p256().getCurve().getB();
        BigInteger y = b.modPow(P.add(BigInteger.ONE).shiftRight(2), P);
        assertThat(y.multiply(y).mod(P)).isEqualTo(b);
        assertThat(Ecdsa.p256Key(xy(BigInteger.ZERO, y))).as("(0, sqrt(b))").isNotNull();
        assertThat(Ecdsa.p256Key(xy(P, y))).as("(p, sqrt(b))").isNull();
        assertThat(Ecdsa.p256Key(new byte[63])).isNull();
    }

    @Test
    void signaturesOfTheWrongSizeOrForAnotherKeyTypeAreFalse() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair k = g.generateKeyPair();
        byte[] data = "signed".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(k.getPrivate());
        s.update(data);
        byte[] sig = s.sign();
        assertThat(Ecdsa.verify(k.getPublic(), sig, data)).isTrue();
        assertThat(Ecdsa.verify(k.getPublic(), java.util.Arrays.copyOf(sig, 63), data)).as("63 bytes").isFalse();
        assertThat(Ecdsa.verify(k.getPublic(), java.util.Arrays.copyOf(sig, 65), data)).as("65 bytes").isFalse();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        assertThat(Ecdsa.verify(rsa.generateKeyPair().getPublic(), sig, data)).as("an RSA key").isFalse();
        assertThat(HexFormat.of().formatHex(Ecdsa.rawPoint(k.getPublic()), 0, 1)).isEqualTo("04");
    }
}
