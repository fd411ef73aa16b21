package io.jocclum.libos.scenario;

import java.math.BigDecimal;
import java.util.Locale;

/** Simulated durations: "250ms", "1.5s", "2min", "20us", "100ns", or a number of seconds. */
public final class Durations {
    /** What a duration may look like (completes "write ..."). */
    public static final String ALLOWED = "a duration such as \"250ms\", \"1.5s\", \"2min\", \"20us\" or a number of seconds";
    private static final String[] UNITS = {"min", "ms", "us", "ns", "s"};
    private static final long[] NANOS = {60_000_000_000L, 1_000_000L, 1_000L, 1L, 1_000_000_000L};

    private Durations() {
    }

    /** Nanoseconds of {@code text}; IllegalArgumentException completing "VALUE ..." when it is not a duration. */
    public static long parse(String text) {
        String s = text.strip();
        for (int i = 0; i < UNITS.length; i++) {
            if (s.endsWith(UNITS[i])) {
                return scaled(s.substring(0, s.length() - UNITS[i].length()).strip(), NANOS[i]);
            }
        }
        return scaled(s, NANOS[NANOS.length - 1]);
    }

    /** Nanoseconds of {@code seconds} (a JSON number). */
    public static long ofSeconds(BigDecimal seconds) {
        return check(seconds.multiply(BigDecimal.valueOf(1_000_000_000L)));
    }

    private static long scaled(String number, long unit) {
        BigDecimal d;
        try {
            if (number.isEmpty() || !number.matches("[0-9]+(\\.[0-9]+)?")) {
                throw new NumberFormatException();
            }
            d = new BigDecimal(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a duration; write " + ALLOWED);
        }
        return check(d.multiply(BigDecimal.valueOf(unit)));
    }

    private static long check(BigDecimal ns) {
        if (ns.signum() < 0) {
            throw new IllegalArgumentException("is negative; write " + ALLOWED);
        }
        if (ns.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("is too long; durations stay below 292 years");
        }
        return ns.setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact();
    }

    /** "12.400 s" (milliseconds precision), for messages. */
    public static String show(long ns) {
        return String.format(Locale.ROOT, "%.3f s", ns / 1e9);
    }

    /** Seconds with 6 decimals, as data.json and the CSVs write times. */
    public static BigDecimal seconds(long ns) {
        return BigDecimal.valueOf(ns, 9).setScale(6, java.math.RoundingMode.HALF_EVEN);
    }
}
