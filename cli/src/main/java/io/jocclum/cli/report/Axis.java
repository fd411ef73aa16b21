package io.jocclum.cli.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * A linear axis from {@code min} to {@code max} with "nice" ticks: 1, 2, 2.5 or 5 times a power of
 * ten for plain numbers and seconds, a power of two for bytes (so that 16MB, 32MB, 48MB are
 * ticks). {@code title} names the quantity and its unit, e.g. "EPC in use (bytes)".
 */
record Axis(double min, double max, List<Double> ticks, DoubleFunction<String> label, String title) {

    /** A 1-2-2.5-5 step that gives about {@code target} intervals over {@code range}. */
    static double niceStep(double range, int target) {
        double raw = range / target;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double n = raw / mag;
        double f = n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10;
        return f * mag;
    }

    private static List<Double> ticks(double max, double step) {
        List<Double> t = new ArrayList<>();
        long n = Math.round(max / step);
        for (long i = 0; i <= n; i++) {
            t.add(i * step);
        }
        return t;
    }

    /** Simulated time from 0 to at least {@code maxS}: seconds, or milliseconds below one second. */
    static Axis time(double maxS) {
        double m = maxS > 0 ? maxS : 1;
        if (m < 1) {
            double step = niceStep(m * 1e3, 8) / 1e3;
            double top = Math.ceil(m / step - 1e-9) * step;
            return new Axis(0, top, ticks(top, step), v -> Fmt.sig(v * 1e3, 6), "simulated time (ms)");
        }
        double step = niceStep(m, 8);
        double top = Math.ceil(m / step - 1e-9) * step;
        return new Axis(0, top, ticks(top, step), v -> Fmt.sig(v, 6), "simulated time (s)");
    }

    /**
     * A value axis from 0 to at least {@code maxV} for values in {@code unit} (as data.json names
     * units: bytes, s, pages/s, ops/s, count, …); {@code what} names the quantity.
     */
    static Axis values(double maxV, String unit, String what) {
        double m = Double.isFinite(maxV) && maxV > 0 ? maxV : 0;
        switch (unit) {
            case "bytes", "B" -> {
                double step = 1024;
                if (m == 0) {
                    m = 4096;
                }
                while (m / step > 6) {
                    step *= 2;
                }
                double top = Math.ceil(m / step - 1e-9) * step;
                return new Axis(0, top, ticks(top, step), Fmt::bytes, what + " (bytes)");
            }
            case "s" -> {
                if (m == 0) {
                    m = 1e-3;
                }
                double scale = m < 1e-3 ? 1e6 : m < 1 ? 1e3 : 1;
                String u = m < 1e-3 ? "µs" : m < 1 ? "ms" : "s";
                double step = niceStep(m * scale, 5) / scale;
                double top = Math.ceil(m / step - 1e-9) * step;
                return new Axis(0, top, ticks(top, step), v -> Fmt.sig(v * scale, 6), what + " (" + u + ")");
            }
            default -> {
                if (m == 0) {
                    m = 1;
                }
                double step = niceStep(m, 5);
                double top = Math.ceil(m / step - 1e-9) * step;
                return new Axis(0, top, ticks(top, step), Fmt::compact, what + (unit.isEmpty() ? "" : " (" + unit + ")"));
            }
        }
    }
}
