package io.jocclum.bench.harness;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * One measured figure.
 *
 * @param value          the median of the measurements
 * @param unit           e.g. "ops/s", "us/op", "GB/s", "ms"
 * @param higherIsBetter true for throughputs, false for times and sizes
 * @param rounds         the score of each measurement round in the order they ran (forks one after
 *                       the other), or null for a figure that was not measured in rounds; a
 *                       comparison pairs ours and the anchor round by round
 */
public record Figure(double value, String unit, boolean higherIsBetter, double[] rounds) {
    public Figure {
        rounds = rounds == null ? null : rounds.clone();
    }

    public Figure(double value, String unit, boolean higherIsBetter) {
        this(value, unit, higherIsBetter, null);
    }

    public static Figure throughput(double value, String unit) {
        return new Figure(value, unit, true);
    }

    public static Figure time(double value, String unit) {
        return new Figure(value, unit, false);
    }

    /** A figure whose value is the median of {@code rounds}. */
    public static Figure ofRounds(double[] rounds, String unit, boolean higherIsBetter) {
        return new Figure(Rounds.median(rounds), unit, higherIsBetter, rounds);
    }

    @Override
    public double[] rounds() {
        return rounds == null ? null : rounds.clone();
    }

    /**
     * The figure in another unit or sense: {@code f} applied to the value and to every round (for
     * a monotonic {@code f} the median of the mapped rounds is the mapped median).
     */
    public Figure map(DoubleUnaryOperator f, String newUnit, boolean newHigherIsBetter) {
        double[] r = rounds == null ? null : Arrays.stream(rounds).map(f).toArray();
        return new Figure(f.applyAsDouble(value), newUnit, newHigherIsBetter, r);
    }

    /** The figure times {@code factor}, in {@code newUnit}, same sense. */
    public Figure scale(double factor, String newUnit) {
        return map(v -> v * factor, newUnit, higherIsBetter);
    }

    /** The value in {@code unit}, formatted with 4 significant digits. */
    public String format() {
        return BenchFormat.number(value) + " " + unit;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Figure f && Double.compare(f.value, value) == 0 && f.unit.equals(unit)
                && f.higherIsBetter == higherIsBetter && Arrays.equals(f.rounds, rounds);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(value) * 31 + unit.hashCode() + Arrays.hashCode(rounds);
    }

    @Override
    public String toString() {
        return format() + (rounds == null ? "" : " (" + rounds.length + " rounds)");
    }
}
