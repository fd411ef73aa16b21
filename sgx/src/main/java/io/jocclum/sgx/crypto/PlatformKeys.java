package io.jocclum.sgx.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * The per-platform secrets of the simulated CPU, all derived from the platform seed, so a platform
 * is reproducible and two platforms with different seeds share no key.
 *
 * <p>Design: real CPUs hold fused secrets (the seal fuses, the root provisioning key) and a per-boot
 * random KEYID for REPORT keys (CR_REPORT_KEYID), and derive every EGETKEY key with AES-CMAC over a
 * key-derivation buffer (SDM Vol. 3D, 38.17 "Key derivation"). Here the 32 bytes of fuses are the
 * platform's fused secret: bytes 0-15 the seal fuses, 16-31 the root provisioning key. They are given
 * ({@link #PlatformKeys(byte[])}, the platform file's {@code fuses}) or SHA-256 of a label and the seed
 * ({@link #PlatformKeys(long)}, the default); the paging key (EWB/ELDU) and CR_REPORT_KEYID are
 * AES-CMAC of labels under the seal fuses; {@link #derive} is AES-CMAC over a {@link KeyDerivation}
 * buffer under the root provisioning key for PROVISION_KEY and under the seal fuses for every other
 * key (the SDM's PROVISION_SEAL_KEY is rooted in the seal fuses).
 * The exact buffer layout is the model's (documented in {@link KeyDerivation}); what matters, and what
 * is tested, is which inputs a key depends on.
 *
 * <p>Immutable and thread-safe.
 */
public final class PlatformKeys {
    private final byte[] sealFuses;
    private final byte[] provisionFuses;
    private final byte[] pagingKey;
    private final byte[] reportKeyId;

    /** Size of the fused secret. */
    public static final int FUSES_BYTES = 32;

    /** The default fuses of the platform with {@code seed}: SHA-256 of a label and the seed. */
    public static byte[] fusesOf(long seed) {
        return sha256(("jocclum simulated SGX platform fuses " + seed).getBytes(StandardCharsets.US_ASCII));
    }

    /** The keys of a platform whose fuses are derived from {@code seed} ({@link #fusesOf(long)}). */
    public PlatformKeys(long seed) {
        this(fusesOf(seed));
    }

    /** The keys of a platform with these 32 bytes of fuses (seal fuses, then the root provisioning key). */
    public PlatformKeys(byte[] fuses) {
        if (fuses == null || fuses.length != FUSES_BYTES) {
            throw new IllegalArgumentException("the platform's fuses have " + FUSES_BYTES + " bytes");
        }
        byte[] root = fuses;
        sealFuses = java.util.Arrays.copyOfRange(root, 0, 16);
        provisionFuses = java.util.Arrays.copyOfRange(root, 16, 32);
        pagingKey = label(sealFuses, "EWB/ELDU paging key");
        byte[] k0 = label(sealFuses, "CR_REPORT_KEYID 0");
        byte[] k1 = label(sealFuses, "CR_REPORT_KEYID 1");
        reportKeyId = new byte[32];
        System.arraycopy(k0, 0, reportKeyId, 0, 16);
        System.arraycopy(k1, 0, reportKeyId, 16, 16);
    }

    /** The AES-128 key of EWB/ELDU. */
    public byte[] pagingKey() {
        return pagingKey.clone();
    }

    /** CR_REPORT_KEYID: the KEYID EREPORT puts into every REPORT of this boot. */
    public byte[] reportKeyId() {
        return reportKeyId.clone();
    }

    /**
     * The 128-bit key for a derivation request. PROVISION_KEY is rooted in the root provisioning key,
     * all others in the seal fuses.
     */
    public byte[] derive(KeyDerivation d) {
        byte[] root = d.keyName() == 1 ? provisionFuses : sealFuses;
        return AesCmac.mac(root, d.toBytes());
    }

    private static byte[] label(byte[] key, String label) {
        return AesCmac.mac(key, label.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
