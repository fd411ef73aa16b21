package io.jocclum.sgx.measure;

import io.jocclum.sgx.arch.Attributes;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SigStructTest {

    static RSAPrivateCrtKey opensslKey() throws Exception {
        try (InputStream in = SigStructTest.class.getResourceAsStream("test-key-pkcs1.pem")) {
            return SigningKey.parsePem(new String(in.readAllBytes(), StandardCharsets.US_ASCII), "test-key-pkcs1.pem");
        }
    }

    static SigStruct body(byte[] hash) {
        return SigStruct.unsigned(SigStruct.bcdDate(2026, 11, 22), 0, 0, new byte[16],
                new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY),
                Attributes.SDK_DEFAULT_MASK, hash, new byte[16], 7, 3);
    }

    @Test
    void signedStructureVerifiesAndRoundTrips() throws Exception {
        RSAPrivateCrtKey key = opensslKey();
        byte[] hash = MessageDigest.getInstance("SHA-256").digest("enclave".getBytes(StandardCharsets.US_ASCII));
        SigStruct s = body(hash).sign(key);
        assertThat(s.verify()).isTrue();
        byte[] enc = s.toBytes();
        assertThat(enc).hasSize(1808);
        SigStruct back = SigStruct.parse(enc);
        assertThat(back).isEqualTo(s);
        assertThat(back.verify()).isTrue();
        assertThat(back.isvProdId()).isEqualTo(7);
        assertThat(back.enclaveHash()).isEqualTo(hash);
        assertThat(Integer.toHexString(back.date())).isEqualTo("20261122");

        // MRSIGNER = SHA-256 of the little-endian modulus
        byte[] mod = SigStruct.toLittleEndian(key.getModulus());
        assertThat(s.mrSigner()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(mod));

        // Q1, Q2 satisfy the SDM definitions
        BigInteger m = key.getModulus();
        BigInteger sig = new BigInteger(1, SigStruct.reverse(Arrays.copyOfRange(enc, 516, 900)));
        BigInteger q1 = new BigInteger(1, SigStruct.reverse(Arrays.copyOfRange(enc, 1040, 1424)));
        BigInteger q2 = new BigInteger(1, SigStruct.reverse(Arrays.copyOfRange(enc, 1424, 1808)));
        assertThat(q1).isEqualTo(sig.pow(2).divide(m));
        assertThat(q2).isEqualTo(sig.pow(3).subtract(q1.multiply(sig).multiply(m)).divide(m));
        assertThat(sig.modPow(BigInteger.valueOf(3), m)).isNotEqualTo(BigInteger.ZERO);
    }

    @Test
    void tamperingBreaksTheSignature() throws Exception {
        SigStruct s = body(new byte[32]).sign(opensslKey());
        byte[] enc = s.toBytes();
        enc[1024] ^= 1; // ISVPRODID
        assertThat(SigStruct.parse(enc).verify()).isFalse();
    }

    @Test
    void generatedKeysHaveExponentThreeAndSurvivePem() {
        RSAPrivateCrtKey k = SigningKey.generate(new SecureRandom());
        assertThat(k.getPublicExponent()).isEqualTo(BigInteger.valueOf(3));
        assertThat(k.getModulus().bitLength()).isEqualTo(3072);
        RSAPrivateCrtKey back = SigningKey.parsePem(SigningKey.toPem(k), "mem");
        assertThat(back.getModulus()).isEqualTo(k.getModulus());
    }

    @Test
    void badPemIsOneSentence() {
        assertThatThrownBy(() -> SigningKey.parsePem("hello", "key.pem"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key.pem");
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    @Test
    void keysThatAreNotSigningKeysSayWhatTheyAre(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        String wanted = "; enclave signing keys must be RSA-3072 with exponent 3 (openssl genrsa -3 3072)";
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(256, new SecureRandom());
        java.security.KeyPair ecPair = ec.generateKeyPair();
        assertThatThrownBy(() -> SigningKey.parsePem(pem("PUBLIC KEY", ecPair.getPublic().getEncoded()), "pub.pem"))
                .hasMessage("pub.pem holds a public key, but signing needs the private key" + wanted);
        assertThatThrownBy(() -> SigningKey.parsePem(pem("EC PRIVATE KEY", new byte[40]), "ec.pem"))
                .hasMessage("ec.pem holds an EC private key" + wanted);
        assertThatThrownBy(() -> SigningKey.parsePem(pem("PRIVATE KEY", ecPair.getPrivate().getEncoded()), "ec8.pem"))
                .hasMessage("ec8.pem is not a readable RSA private key (another algorithm, or corrupt)" + wanted);
        assertThatThrownBy(() -> SigningKey.parsePem(pem("ENCRYPTED PRIVATE KEY", new byte[40]), "enc.pem"))
                .hasMessage("enc.pem holds a password-protected private key; give it unencrypted (openssl pkey -in enc.pem"
                        + " -out plain.pem)");
        assertThatThrownBy(() -> SigningKey.parsePem("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n", "enc1.pem"))
                .hasMessageStartingWith("enc1.pem holds a password-protected private key");
        assertThatThrownBy(() -> SigningKey.parsePem("-----BEGIN PRIVATE KEY-----\nAAAA\n", "cut.pem"))
                .hasMessage("cut.pem has no END PRIVATE KEY line (is it cut short?)" + wanted);
        java.nio.file.Path der = tmp.resolve("key.der");
        java.nio.file.Files.write(der, opensslKey().getEncoded());
        assertThatThrownBy(() -> SigningKey.read(der)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(der + " is not a PEM file (it holds binary data, such as a DER key)");
        java.nio.file.Path good = tmp.resolve("good.pem");
        java.nio.file.Files.writeString(good, SigningKey.toPem(opensslKey()));
        assertThat(SigningKey.read(good).getModulus()).isEqualTo(opensslKey().getModulus());
    }
}
