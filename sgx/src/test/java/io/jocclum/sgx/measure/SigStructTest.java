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
}
