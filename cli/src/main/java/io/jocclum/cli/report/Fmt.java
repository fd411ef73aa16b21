package io.jocclum.cli.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/** Number formatting for reports: deterministic (no locale), short, with units people read. */
final class Fmt {
    private Fmt() {
    }

    /** {@code v} with at most {@code sig} significant digits, no exponent, no trailing zeros. */
    static String sig(double v, int sig) {
        if (v == 0 || !Double.isFinite(v)) {
            return Double.isFinite(v) ? "0" : "–";
        }
        BigDecimal b = new BigDecimal(v).round(new MathContext(sig, RoundingMode.HALF_EVEN)).stripTrailingZeros();
        if (b.scale() < 0) {
            b = b.setScale(0, RoundingMode.UNNECESSARY);
        }
        return b.toPlainString();
    }

    private static final String[] BYTE_UNITS = {"B", "KB", "MB", "GB", "TB"};

    /**
     * Bytes in the largest binary unit (Occlum's KB = 1024 B) not above them: exact when whole
     * ("32MB"), else with one decimal ("3.5GB", "20.3MB"); a value that rounds to 1024.0 of a unit
     * is "1.0" of the next ("1.0GB" for 1GB less one page).
     */
    static String bytes(double b) {
        if (!Double.isFinite(b)) {
            return "–";
        }
        if (b < 0) {
            return "-" + bytes(-b);
        }
        long l = Math.round(b);
        int u = 0;
        double x = l;
        while (u < BYTE_UNITS.length - 1 && x >= 1024) {
            x /= 1024;
            u++;
        }
        if (x == Math.rint(x)) {
            return (long) x + BYTE_UNITS[u];
        }
        String s = String.format(Locale.ROOT, "%.1f", x);
        if (s.equals("1024.0") && u < BYTE_UNITS.length - 1) {
            return "1.0" + BYTE_UNITS[u + 1];
        }
        return s + BYTE_UNITS[u];
    }

    /** Three significant digits, trailing zeros kept ("12.0", "2.00", "624"). */
    private static String sig3(double v) {
        BigDecimal b = new BigDecimal(v).round(new MathContext(3, RoundingMode.HALF_EVEN));
        if (b.scale() < 0) {
            b = b.setScale(0, RoundingMode.UNNECESSARY);
        }
        if (b.precision() < 3) {
            b = b.setScale(b.scale() + 3 - b.precision(), RoundingMode.UNNECESSARY);
        }
        return b.toPlainString();
    }

    /** Seconds in s, ms or µs, three significant digits: "12.4 s", "52.0 ms", "2.00 s", "310 µs". */
    static String seconds(double s) {
        if (!Double.isFinite(s)) {
            return "–";
        }
        double a = Math.abs(s);
        if (a == 0) {
            return "0 s";
        }
        if (a < 0.9995e-3) {
            return sig3(s * 1e6) + " µs";
        }
        if (a < 0.9995) {
            return sig3(s * 1e3) + " ms";
        }
        return sig3(s) + " s";
    }

    /** A point in simulated time: "12.4 s" (one decimal at least as precise as the data needs). */
    static String at(double t) {
        return (Math.abs(t) >= 100 ? sig(t, 4) : Math.abs(t) >= 1 ? sig(t, 3) : sig(t, 2)) + " s";
    }

    /** A count with thousands separators when whole ("12,345"), else three significant digits. */
    static String count(double v) {
        if (!Double.isFinite(v)) {
            return "–";
        }
        if (Math.abs(v) >= 1e15 || v != Math.rint(v)) {
            return Math.abs(v) >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : sig(v, 3);
        }
        return String.format(Locale.ROOT, "%,d", (long) v);
    }

    /** A compact tick label for plain numbers: 1.5k, 2M, 0.25. */
    static String compact(double v) {
        double a = Math.abs(v);
        if (a >= 1e9) {
            return sig(v / 1e9, 4) + "G";
        }
        if (a >= 1e6) {
            return sig(v / 1e6, 4) + "M";
        }
        if (a >= 1e4) {
            return sig(v / 1e3, 4) + "k";
        }
        return sig(v, 4);
    }

    /** A ratio: "52×" from 10 up, else "3.1×". */
    static String ratio(double r) {
        if (!Double.isFinite(r)) {
            return "∞×";
        }
        return (r >= 10 ? String.format(Locale.ROOT, "%.0f", r) : sig(r, 2)) + "×";
    }

    /** A percentage: "98%", "0.4%". */
    static String percent(double fraction) {
        double p = fraction * 100;
        return (p >= 10 || p == 0 ? String.format(Locale.ROOT, "%.0f", p) : sig(p, 2)) + "%";
    }

    /** A value with its unit as data.json names it (bytes, s, pages/s, count, ops/s, …). */
    static String value(double v, String unit) {
        if (!Double.isFinite(v)) {
            return "–";
        }
        return switch (unit == null ? "" : unit) {
            case "bytes", "B" -> bytes(v);
            case "s" -> seconds(v);
            case "count", "" -> count(v);
            case "pages" -> count(v) + (v == 1 ? " page" : " pages");
            default -> (Math.abs(v) >= 1000 ? count(Math.rint(v)) : sig(v, 3)) + " " + unit;
        };
    }

    /** Text for HTML element content and attribute values. */
    static String html(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A coordinate or data value in SVG and data-* attributes: plain decimal, shortest exact form. */
    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** A pixel coordinate, rounded to 0.01. */
    static String px(double v) {
        return num(Math.round(v * 100) / 100.0);
    }
}
