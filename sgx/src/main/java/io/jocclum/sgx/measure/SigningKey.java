package io.jocclum.sgx.measure;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Base64;

/**
 * Enclave signing keys: RSA-3072 with public exponent 3, as {@code sgx_sign} requires. Reads PEM
 * files in PKCS#1 ({@code BEGIN RSA PRIVATE KEY}, what {@code openssl genrsa -3 3072} writes) and
 * PKCS#8 ({@code BEGIN PRIVATE KEY}) form; writes PKCS#8.
 */
public final class SigningKey {
    private SigningKey() {
    }

    /** A fresh key from {@code random}. */
    public static RSAPrivateCrtKey generate(SecureRandom random) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(3072, BigInteger.valueOf(SigStruct.EXPONENT)), random);
            return (RSAPrivateCrtKey) g.generateKeyPair().getPrivate();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an RSA-3072 key with exponent 3: " + e.getMessage(), e);
        }
    }

    /** PKCS#8 PEM text of {@code key}. */
    public static String toPem(RSAPrivateCrtKey key) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    }

    /**
     * Reads a PEM private key. {@code IllegalArgumentException} with one sentence naming the file
     * when it is not an RSA-3072 key with exponent 3 in PKCS#1 or PKCS#8 PEM form.
     */
    public static RSAPrivateCrtKey read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (byte b : bytes) {
            if (b < 0 || (b < 0x20 && b != '\n' && b != '\r' && b != '\t')) {
                throw new IllegalArgumentException(file + " is not a PEM file (it holds binary data, such as a DER key);"
                        + " give an RSA-3072 key with exponent 3 in PEM form (openssl genrsa -3 3072, or openssl pkey"
                        + " -inform DER -in " + file + " to convert a DER key)");
            }
        }
        return parsePem(new String(bytes, StandardCharsets.US_ASCII), file.toString());
    }

    /** What enclave signing keys must be, ending every message about a key that is not one. */
    private static final String WANTED = "enclave signing keys must be RSA-3072 with exponent 3 (openssl genrsa -3 3072)";

    public static RSAPrivateCrtKey parsePem(String text, String origin) {
        boolean pkcs1 = text.contains("-----BEGIN RSA PRIVATE KEY-----");
        boolean pkcs8 = text.contains("-----BEGIN PRIVATE KEY-----");
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || (pkcs1 && text.contains("Proc-Type: 4,ENCRYPTED"))) {
            throw new IllegalArgumentException(origin + " holds a password-protected private key; give it unencrypted"
                    + " (openssl pkey -in " + origin + " -out plain.pem)");
        }
        if (!pkcs1 && !pkcs8) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----").matcher(text);
            if (m.find()) {
                String label = m.group(1);
                String what = label.contains("PUBLIC KEY") ? "a public key, but signing needs the private key"
                        : label.contains("CERTIFICATE") ? "a certificate, but signing needs the private key"
                        : label.endsWith("PRIVATE KEY") ? article(label) + " " + label.substring(0, label.length()
                        - "PRIVATE KEY".length()).strip() + " private key" : "a PEM " + label;
                throw new IllegalArgumentException(origin + " holds " + what + "; " + WANTED);
            }
            throw new IllegalArgumentException(origin + " is not a PEM private key (no BEGIN RSA PRIVATE KEY or BEGIN"
                    + " PRIVATE KEY line); " + WANTED);
        }
        String label = pkcs1 ? "RSA PRIVATE KEY" : "PRIVATE KEY";
        int start = text.indexOf("-----BEGIN " + label + "-----") + ("-----BEGIN " + label + "-----").length();
        int end = text.indexOf("-----END " + label + "-----", start);
        if (end < 0) {
            throw new IllegalArgumentException(origin + " has no END " + label + " line (is it cut short?); " + WANTED);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(start, end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + " has invalid base64 in its PEM body; " + WANTED);
        }
        if (pkcs1) {
            der = wrapPkcs1(der);
        }
        RSAPrivateCrtKey key;
        try {
            key = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException(origin + " is not a readable RSA private key (another algorithm, or"
                    + " corrupt); " + WANTED);
        }
        if (key.getModulus().bitLength() != 3072 || !key.getPublicExponent().equals(BigInteger.valueOf(3))) {
            throw new IllegalArgumentException(origin + " is an RSA-" + key.getModulus().bitLength() + " key with exponent "
                    + key.getPublicExponent() + "; " + WANTED);
        }
        return key;
    }

    private static String article(String word) {
        return "AEIOU".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
    }

    /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo with the rsaEncryption algorithm. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        byte[] algId = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octet = derTlv(0x04, pkcs1);
        byte[] body = new byte[version.length + algId.length + octet.length];
        System.arraycopy(version, 0, body, 0, version.length);
        System.arraycopy(algId, 0, body, version.length, algId.length);
        System.arraycopy(octet, 0, body, version.length + algId.length, octet.length);
        return derTlv(0x30, body);
    }

    private static byte[] derTlv(int tag, byte[] value) {
        int len = value.length;
        byte[] lenBytes;
        if (len < 0x80) {
            lenBytes = new byte[]{(byte) len};
        } else if (len < 0x100) {
            lenBytes = new byte[]{(byte) 0x81, (byte) len};
        } else if (len < 0x10000) {
            lenBytes = new byte[]{(byte) 0x82, (byte) (len >> 8), (byte) len};
        } else {
            lenBytes = new byte[]{(byte) 0x83, (byte) (len >> 16), (byte) (len >> 8), (byte) len};
        }
        byte[] out = new byte[1 + lenBytes.length + len];
        out[0] = (byte) tag;
        System.arraycopy(lenBytes, 0, out, 1, lenBytes.length);
        System.arraycopy(value, 0, out, 1 + lenBytes.length, len);
        return out;
    }
}
