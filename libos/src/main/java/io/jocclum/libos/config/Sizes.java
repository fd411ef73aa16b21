package io.jocclum.libos.config;

/**
 * Occlum's memory size syntax: a string, trimmed; the unit is the first of {@code KB}, {@code MB},
 * {@code GB}, {@code TB}, {@code B} the string ends with (case-sensitive, Occlum's
 * {@code parse_memory_size} in tools/gen_internal_conf); the rest, trimmed, is an unsigned decimal
 * integer; the value is n × 1024^k. Overflow past {@link Long#MAX_VALUE} is an error, not a wrap
 * (Occlum's u64 multiplication wraps in release builds).
 */
public final class Sizes {
    public static final long KB = 1L << 10;
    public static final long MB = 1L << 20;
    public static final long GB = 1L << 30;
    public static final long TB = 1L << 40;

    /** Unit suffixes in the order Occlum tries them; B must come last since every unit ends with it. */
    private static final String[] UNITS = {"KB", "MB", "GB", "TB", "B"};
    private static final long[] FACTORS = {KB, MB, GB, TB, 1};

    /** What a size must look like, appended to every size error. */
    public static final String ALLOWED = "write an unsigned integer followed by one of the units B, KB, MB, GB, TB"
            + " (case-sensitive), e.g. \"300MB\"";

    private Sizes() {
    }

    /**
     * Parses a size; {@code IllegalArgumentException} whose message completes the sentence
     * "VALUE ..." (e.g. "is not a size; write ...").
     */
    public static long parse(String text) {
        String s = text.strip();
        int unit = -1;
        for (int i = 0; i < UNITS.length; i++) {
            if (s.endsWith(UNITS[i])) {
                unit = i;
                break;
            }
        }
        if (unit < 0) {
            boolean digits = !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
            throw new IllegalArgumentException((digits ? "has no unit; " : "is not a size; ") + ALLOWED);
        }
        String number = s.substring(0, s.length() - UNITS[unit].length()).strip();
        if (number.isEmpty()) {
            throw new IllegalArgumentException("is not a size; " + ALLOWED);
        }
        for (int i = 0; i < number.length(); i++) {
            char c = number.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("is not a size; " + ALLOWED);
            }
        }
        long n;
        try {
            n = Long.parseLong(number);
            return Math.multiplyExact(n, FACTORS[unit]);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("is too large; sizes must stay below 8EB (" + Long.MAX_VALUE + "B)");
        }
    }

    /**
     * The exact size in Occlum syntax with the largest unit that divides it: 33554432 is "32MB",
     * 5000 is "5000B".
     */
    public static String format(long bytes) {
        if (bytes == 0) {
            return "0B";
        }
        for (int i = 3; i >= 0; i--) {
            if (bytes % FACTORS[i] == 0) {
                return bytes / FACTORS[i] + UNITS[i];
            }
        }
        return bytes + "B";
    }

    /** The canonical form the internal config uses: the byte count followed by B. */
    public static String canonical(long bytes) {
        return bytes + "B";
    }

    /**
     * A short human reading in the largest unit not above the value: exact ("32MB", "17GB") when
     * that unit divides it, else with one decimal ("3.5GB", "364.5MB").
     */
    public static String human(long bytes) {
        for (int i = 3; i >= 0; i--) {
            if (bytes >= FACTORS[i]) {
                if (bytes % FACTORS[i] == 0) {
                    return bytes / FACTORS[i] + UNITS[i];
                }
                return String.format(java.util.Locale.ROOT, "%.1f%s", bytes / (double) FACTORS[i], UNITS[i]);
            }
        }
        return bytes + "B";
    }
}
