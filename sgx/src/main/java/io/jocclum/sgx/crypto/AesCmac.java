package io.jocclum.sgx.crypto;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/**
 * AES-CMAC (RFC 4493) on the JDK's AES block cipher: the MAC of EREPORT and the PRF of EGETKEY's key
 * derivation (SDM Vol. 3D, 38.17 uses AES-CMAC for both). Subkeys K1/K2 follow RFC 4493 section 2.3;
 * the last block is XORed with K1 when complete and padded with 10* and XORed with K2 otherwise.
 *
 * <p>Not thread-safe (holds a Cipher); one instance per key and thread, or use {@link #mac(byte[], byte[])}.
 */
public final class AesCmac {
    private static final int BLOCK = 16;
    /** R_b for 128-bit blocks (RFC 4493, 2.3). */
    private static final int RB = 0x87;

    private final Cipher aes;
    private final byte[] k1 = new byte[BLOCK];
    private final byte[] k2 = new byte[BLOCK];

    public AesCmac(byte[] key) {
        if (key.length != 16 && key.length != 24 && key.length != 32) {
            throw new IllegalArgumentException("AES keys have 16, 24 or 32 bytes, got " + key.length);
        }
        try {
            aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            byte[] l = aes.doFinal(new byte[BLOCK]);
            shiftLeftXor(l, k1);
            shiftLeftXor(k1, k2);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no AES/ECB/NoPadding", e);
        }
    }

    /** One-shot AES-CMAC of {@code message} under {@code key}. */
    public static byte[] mac(byte[] key, byte[] message) {
        return new AesCmac(key).mac(message);
    }

    public byte[] mac(byte[] message) {
        return mac(message, 0, message.length);
    }

    /** The 16-byte tag of {@code m[from, from+len)}. */
    public byte[] mac(byte[] m, int from, int len) {
        int n = (len + BLOCK - 1) / BLOCK;
        boolean complete;
        if (n == 0) {
            n = 1;
            complete = false;
        } else {
            complete = len % BLOCK == 0;
        }
        byte[] x = new byte[BLOCK];
        byte[] y = new byte[BLOCK];
        try {
            for (int i = 0; i < n - 1; i++) {
                for (int j = 0; j < BLOCK; j++) {
                    y[j] = (byte) (x[j] ^ m[from + i * BLOCK + j]);
                }
                aes.doFinal(y, 0, BLOCK, x, 0);
            }
            byte[] last = new byte[BLOCK];
            int lastStart = (n - 1) * BLOCK;
            if (complete) {
                for (int j = 0; j < BLOCK; j++) {
                    last[j] = (byte) (m[from + lastStart + j] ^ k1[j]);
                }
            } else {
                int rem = len - lastStart;
                for (int j = 0; j < BLOCK; j++) {
                    int v = j < rem ? m[from + lastStart + j] : (j == rem ? 0x80 : 0);
                    last[j] = (byte) (v ^ k2[j]);
                }
            }
            for (int j = 0; j < BLOCK; j++) {
                y[j] = (byte) (x[j] ^ last[j]);
            }
            return aes.doFinal(y);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES block encryption failed", e);
        }
    }

    /** The RFC's subkeys, for the test vectors of section 4. */
    byte[] k1() {
        return k1.clone();
    }

    byte[] k2() {
        return k2.clone();
    }

    /** out = (in << 1) XOR (msb(in) ? R_b : 0). */
    private static void shiftLeftXor(byte[] in, byte[] out) {
        int carry = 0;
        for (int i = BLOCK - 1; i >= 0; i--) {
            int v = in[i] & 0xFF;
            out[i] = (byte) ((v << 1) | carry);
            carry = v >>> 7;
        }
        if ((in[0] & 0x80) != 0) {
            out[BLOCK - 1] ^= (byte) RB;
        }
    }
}
