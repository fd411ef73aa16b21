package io.jocclum.libos.fs.sefs;

import io.jocclum.sgx.arch.LittleEndian;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens one SEFS host file with the JDK's AES-GCM (Occlum seals each file as an Intel
 * SGX Protected File; this is our own, simpler format with the same guarantees per file).
 *
 * <pre>
 * offset size
 *  0      8   magic "JSEFS01\0"
 *  8      1   0 = integrity-only, 1 = encrypted
 *  9     12   nonce
 * 21      8   length of the content (little-endian)
 * 29      n   the content: AES-128-GCM ciphertext, or the plaintext when integrity-only
 * 29+n   16   GCM tag = the file's MAC
 * </pre>
 *
 * The additional authenticated data is the 29-byte header followed by the file's own name, so a
 * file copied or renamed to another name on the host fails to open (as PFS binds a file to its
 * name). Encrypted: the AES key is HMAC-SHA256(key, "jocclum-sefs-encryption")[0..16) and the
 * nonce HMAC-SHA256(HMAC-SHA256(key, "jocclum-sefs-nonce"), name ‖ content)[0..12), a synthetic
 * nonce (the same content under the same name gives the same file, different contents never
 * share a nonce). Integrity-only (Occlum's patched PFS): key and nonce all zero, the plaintext
 * authenticated as additional data, so anyone can compute the MAC and only a trusted root MAC
 * gives integrity.
 */
public final class Sealer {
    static final byte[] MAGIC = "JSEFS01\0".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER = 29;
    public static final int TAG = 16;
    private static final int NONCE = 12;

    private final boolean encrypted;
    private final SecretKeySpec aesKey;
    private final byte[] nonceKey;

    /** A sealer for {@code key} (null: integrity-only). */
    public Sealer(byte[] key) {
        this.encrypted = key != null;
        this.aesKey = new SecretKeySpec(encrypted ? Arrays.copyOf(hmac(key, label("jocclum-sefs-encryption")), 16)
                : new byte[16], "AES");
        this.nonceKey = encrypted ? hmac(key, label("jocclum-sefs-nonce")) : null;
    }

    /** Why a file did not open. */
    public enum Failure {
        /** Not a sealed SEFS file (too short, wrong magic, wrong length). */
        FORMAT,
        /** Sealed in the other mode (integrity-only vs encrypted). */
        MODE,
        /** The MAC does not verify: the bytes, the name or the key differ. */
        MAC
    }

    /** A file that does not open; {@link #failure} says why. */
    public static final class BrokenFile extends Exception {
        private final Failure failure;

        BrokenFile(Failure failure, String message) {
            super(message);
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }
    }

    /** The sealed bytes of {@code content} stored under {@code name}. */
    public byte[] seal(String name, byte[] content, int length) {
        byte[] out = new byte[HEADER + length + TAG];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[8] = (byte) (encrypted ? 1 : 0);
        byte[] nonce = encrypted ? Arrays.copyOf(hmac(nonceKey, concat(name.getBytes(StandardCharsets.UTF_8), content, length)), NONCE)
                : new byte[NONCE];
        System.arraycopy(nonce, 0, out, 9, NONCE);
        LittleEndian.putLong(out, 21, length);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce);
            c.updateAAD(out, 0, HEADER);
            c.updateAAD(name.getBytes(StandardCharsets.UTF_8));
            if (encrypted) {
                c.doFinal(content, 0, length, out, HEADER);
            } else {
                c.updateAAD(content, 0, length);
                System.arraycopy(content, 0, out, HEADER, length);
                c.doFinal(new byte[0], 0, 0, out, HEADER + length);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
        return out;
    }

    /** The content of a sealed file stored under {@code name}. */
    public byte[] open(String name, byte[] sealed) throws BrokenFile {
        if (sealed.length < HEADER + TAG || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new BrokenFile(Failure.FORMAT, name + " is not a SEFS file");
        }
        long length = LittleEndian.getLong(sealed, 21);
        if (length != sealed.length - HEADER - TAG) {
            throw new BrokenFile(Failure.FORMAT, name + " has a wrong length");
        }
        if (sealed[8] != (encrypted ? 1 : 0)) {
            throw new BrokenFile(Failure.MODE, name + " is " + (sealed[8] == 1 ? "encrypted" : "integrity-only")
                    + " but opened " + (encrypted ? "encrypted" : "integrity-only"));
        }
        byte[] nonce = Arrays.copyOfRange(sealed, 9, 9 + NONCE);
        int n = (int) length;
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, nonce);
            c.updateAAD(sealed, 0, HEADER);
            c.updateAAD(name.getBytes(StandardCharsets.UTF_8));
            if (encrypted) {
                return c.doFinal(sealed, HEADER, n + TAG);
            }
            c.updateAAD(sealed, HEADER, n);
            c.doFinal(sealed, HEADER + n, TAG);
            return Arrays.copyOfRange(sealed, HEADER, HEADER + n);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new BrokenFile(Failure.MAC, name + " fails its MAC check");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    /** The MAC (GCM tag) of sealed bytes: their last 16 bytes. */
    public static byte[] macOf(byte[] sealed) {
        return Arrays.copyOfRange(sealed, Math.max(0, sealed.length - TAG), sealed.length);
    }

    static boolean sameMac(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    private Cipher cipher(int mode, byte[] nonce) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, aesKey, new GCMParameterSpec(TAG * 8, nonce));
        return c;
    }

    private static byte[] label(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b, int bLength) {
        byte[] r = Arrays.copyOf(a, a.length + bLength);
        System.arraycopy(b, 0, r, a.length, bLength);
        return r;
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return m.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 failed", e);
        }
    }
}
