package io.jocclum.bench.harness;

/**
 * One measured figure.
 *
 * @param value          the median of the measurements
 * @param unit           e.g. "ops/s", "us/op", "GB/s", "ms"
 * @param higherIsBetter true for throughputs, false for times and sizes
 */
public record Figure(double value, String unit, boolean higherIsBetter) {
    public static Figure throughput(double value, String unit) {
        return new Figure(value, unit, true);
    }

    public static Figure time(double value, String unit) {
        return new Figure(value, unit, false);
    }

    /** The value in {@code unit}, formatted with 4 significant digits. */
    public String format() {
        return BenchFormat.number(value) + " " + unit;
    }
}
