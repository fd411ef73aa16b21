package io.jocclum.bench.harness;

import java.util.Arrays;

/**
 * Statistics over measurement rounds: medians, per-round ratios and their spread. A comparison
 * runs ours and its anchor in alternating rounds (A, B, A, B, ...); round {@code i} of ours and
 * round {@code i} of the anchor ran next to each other, so their ratio is free of the drift of a
 * shared machine between rounds. The reported speedup is the median of those ratios.
 */
public final class Rounds {
    private Rounds() {
    }

    /** The median, minimum and maximum of a sample of {@code n} values. */
    public record Spread(double median, double min, double max, int n) {
    }

    /** Median of a non-empty sample (the mean of the two middle values when the count is even). */
    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("median of an empty sample");
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    public static Spread spread(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return new Spread(median(s), s[0], s[s.length - 1], s.length);
    }

    /**
     * Per-round speedups of ours over the anchor: {@code ours/anchor} for throughputs,
     * {@code anchor/ours} for times, so that a value above 1 always means ours is better.
     */
    public static double[] ratios(double[] ours, double[] anchor, boolean higherIsBetter) {
        if (ours.length != anchor.length || ours.length == 0) {
            throw new IllegalArgumentException("ours has " + ours.length + " rounds and the anchor " + anchor.length
                    + "; interleaved rounds pair one to one");
        }
        double[] r = new double[ours.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = higherIsBetter ? ours[i] / anchor[i] : anchor[i] / ours[i];
        }
        return r;
    }
}
