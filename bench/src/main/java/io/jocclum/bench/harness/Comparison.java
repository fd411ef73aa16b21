package io.jocclum.bench.harness;

/**
 * A benchmark that measures ours and an anchor in the same run. {@link #run} returns both
 * figures; the harness prints {@code compare: NAME ours=V UNIT anchor=V UNIT speedup=X
 * min-max=A-B rounds=N}, where X > 1 means ours is faster (better). When both figures were
 * measured in interleaved rounds ({@link BenchContext#jmh()}), X is the median of the per-round
 * ratios and A-B their range; otherwise X is the ratio of the two figures and no range is printed.
 * A benchmark without an anchor (a goal on an absolute figure) returns a result whose anchor is
 * null, printed as {@code result: NAME V UNIT}.
 */
public interface Comparison {
    /** Short kebab-case name, unique across suites, e.g. {@code epc-cgroup-reclaim}. */
    String name();

    /** One line: what ours is, what the anchor is, and the goal if the issue sets one. */
    String description();

    Result run(BenchContext ctx) throws Exception;

    /** The outcome of one comparison. {@code notes} are extra lines printed before the result line. */
    record Result(Figure ours, Figure anchor, java.util.List<String> notes) {
        public Result {
            notes = java.util.List.copyOf(notes);
            if (anchor != null && (!anchor.unit().equals(ours.unit()) || anchor.higherIsBetter() != ours.higherIsBetter())) {
                throw new IllegalArgumentException("ours and anchor must be in the same unit and sense: " + ours + " vs " + anchor);
            }
        }

        public static Result of(Figure ours, Figure anchor) {
            return new Result(ours, anchor, java.util.List.of());
        }

        public Result withNote(String note) {
            var n = new java.util.ArrayList<>(notes);
            n.add(note);
            return new Result(ours, anchor, n);
        }

        /**
         * > 1 when ours is better than the anchor: the median of the per-round ratios when both
         * figures come from the same interleaved rounds, else the ratio of the two figures.
         */
        public double speedup() {
            if (anchor == null) {
                return Double.NaN;
            }
            double[] r = ratios();
            if (r != null) {
                return Rounds.median(r);
            }
            return ours.higherIsBetter() ? ours.value() / anchor.value() : anchor.value() / ours.value();
        }

        /** The per-round speedups, or null when ours and the anchor were not measured in the same rounds. */
        public double[] ratios() {
            if (anchor == null || ours.rounds() == null || anchor.rounds() == null
                    || ours.rounds().length != anchor.rounds().length || ours.rounds().length == 0) {
                return null;
            }
            return Rounds.ratios(ours.rounds(), anchor.rounds(), ours.higherIsBetter());
        }

        /** Median, min and max of the per-round speedups, or null (see {@link #ratios()}). */
        public Rounds.Spread speedupSpread() {
            double[] r = ratios();
            return r == null ? null : Rounds.spread(r);
        }
    }
}
