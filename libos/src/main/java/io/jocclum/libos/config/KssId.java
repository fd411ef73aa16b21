package io.jocclum.libos.config;

/**
 * A 128-bit KSS identifier (ISVFAMILYID or ISVEXTPRODID) as Occlum.json writes it: two 64-bit hex
 * strings. {@code high}/{@code low} are the strings as written; the values are their numbers
 * (0 when the string is not valid hex, which is only allowed while {@code enable_kss} is false).
 */
public record KssId(String high, String low, long highValue, long lowValue) {
    public static final KssId ZERO = new KssId("0x0", "0x0", 0, 0);

    /**
     * Parses "0x1f" or "1f" (prefix optional, digits case-insensitive) into 64 bits;
     * {@code IllegalArgumentException} naming what is allowed.
     */
    public static long parseHex64(String s) {
        String digits = s.startsWith("0x") ? s.substring(2) : s;
        if (digits.isEmpty()) {
            throw new IllegalArgumentException("is not a hex number; write up to 16 hex digits, \"0x\" prefix optional, e.g. \"0x1f\"");
        }
        for (int i = 0; i < digits.length(); i++) {
            if (Character.digit(digits.charAt(i), 16) < 0) {
                throw new IllegalArgumentException("is not a hex number; write up to 16 hex digits, \"0x\" prefix optional, e.g. \"0x1f\"");
            }
        }
        java.math.BigInteger v = new java.math.BigInteger(digits, 16);
        if (v.bitLength() > 64) {
            throw new IllegalArgumentException("does not fit 64 bits; the largest id is \"0xffffffffffffffff\"");
        }
        return v.longValue();
    }
}
