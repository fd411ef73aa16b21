package io.jocclum.libos.fs.sefs;

import java.util.HexFormat;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Occlum's text form of a 128-bit key or MAC: 16 bytes as lowercase hex pairs separated by
 * {@code -} ({@code c7-32-…-61}), as {@code occlum gen-image-key} writes a key and
 * {@code build/mount/.ROOT_MAC} holds the image's root MAC ({@code tools/occlum},
 * {@code cmd_gen_image_key}).
 */
public final class ImageKey {
    public static final int BYTES = 16;

    private ImageKey() {
    }

    /** The text form of 16 bytes. */
    public static String format(byte[] key) {
        if (key.length != BYTES) {
            throw new IllegalArgumentException("a key or MAC is 16 bytes, got " + key.length);
        }
        return HexFormat.ofDelimiter("-").formatHex(key);
    }

    /**
     * Parses the text form (surrounding white space and a trailing newline are ignored, as
     * Occlum's init trims them); {@code IllegalArgumentException} with one sentence naming what
     * is wrong.
     */
    public static byte[] parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (!t.matches("([0-9a-f]{2}-){15}[0-9a-f]{2}")) {
            String shown = t.length() > 60 ? t.substring(0, 60) + "..." : t;
            throw new IllegalArgumentException("\"" + shown + "\" is not a key: expected 16 bytes as two-digit hex numbers"
                    + " separated by '-' (as jocclum gen-image-key writes)");
        }
        return HexFormat.ofDelimiter("-").parseHex(t);
    }

    /** A new random key. */
    public static byte[] generate(RandomGenerator random) {
        byte[] k = new byte[BYTES];
        random.nextBytes(k);
        return k;
    }
}
