package io.jocclum.libos.fs.sefs;

import java.util.Arrays;
import java.util.Optional;

/**
 * How one SEFS is protected: Occlum's four modes ({@code sgx_storage.rs}, {@code EncryptMode::new}):
 *
 * <table>
 *   <caption>modes</caption>
 *   <tr><th>key</th><th>root MAC</th><th>mode</th></tr>
 *   <tr><td>user key</td><td>given</td><td>encrypted with the user key, root MAC checked (image built with an image key)</td></tr>
 *   <tr><td>user key</td><td>none</td><td>encrypted with the user key (upper layer with an image key, {@code key=} mounts)</td></tr>
 *   <tr><td>none</td><td>given</td><td>integrity-only: plaintext, GMAC with an all-zero key, root MAC checked (the default image)</td></tr>
 *   <tr><td>auto key</td><td>none</td><td>encrypted with the enclave's MRSIGNER seal key (the default upper layer and {@code sefs} mounts)</td></tr>
 * </table>
 *
 * <p>{@code key} is null in integrity-only mode; an auto key is a key like a user key, obtained
 * by the LibOS with EGETKEY. {@code rootMac}, when present, must equal the MAC of the
 * {@code metadata} file when the SEFS is opened (EACCES otherwise, as Occlum). Integrity-only
 * without a root MAC protects nothing; it is what an image is built with.
 */
public record SefsKey(byte[] key, Optional<byte[]> rootMac) {
    public SefsKey {
        if (key != null && key.length != ImageKey.BYTES) {
            throw new IllegalArgumentException("a SEFS key is 16 bytes, got " + key.length);
        }
        key = key == null ? null : key.clone();
        rootMac = rootMac.map(byte[]::clone);
    }

    /** Encrypted with {@code key} (a user key or the auto key), no root MAC. */
    public static SefsKey encrypted(byte[] key) {
        return new SefsKey(key, Optional.empty());
    }

    /** Encrypted with {@code key} and the root MAC checked. */
    public static SefsKey encrypted(byte[] key, byte[] rootMac) {
        return new SefsKey(key, Optional.of(rootMac));
    }

    /** Integrity-only (plaintext, zero-key GMAC), the root MAC checked. */
    public static SefsKey integrityOnly(byte[] rootMac) {
        return new SefsKey(null, Optional.of(rootMac));
    }

    public boolean encrypted() {
        return key != null;
    }

    @Override
    public byte[] key() {
        return key == null ? null : key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SefsKey k && Arrays.equals(key, k.key)
                && Arrays.equals(rootMac.orElse(null), k.rootMac.orElse(null));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key) * 31 + Arrays.hashCode(rootMac.orElse(null));
    }

    @Override
    public String toString() {
        return (key == null ? "integrity-only" : "encrypted") + (rootMac.isPresent() ? ", root MAC checked" : "");
    }
}
