package io.jocclum.bench.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * What a native anchor measured besides its figure: the host's null system call (a C
 * {@code getppid} loop, measured in every round right after the anchor) and, when the anchor
 * declares its kernel entries per unit of work, the anchor without them ({@link KernelEntries}).
 *
 * @param name            the anchor's figure name, e.g. {@code pipe-64k}
 * @param anchor          the anchor's figure
 * @param nullSyscallNs   the null system call's cost over the rounds, in ns
 * @param entriesPerWork  kernel entries per unit of work (per op, per GiB, ...), or NaN when not declared
 * @param withoutEntries  the anchor with that many null system calls taken off each round, or null
 */
public record NativeReport(String name, Figure anchor, Rounds.Spread nullSyscallNs, double entriesPerWork, Figure withoutEntries) {

    /** Builds the report from per-round anchor scores and per-round null system call costs. */
    static NativeReport of(String name, Figure anchor, double[] nullNs, double entriesPerWork) {
        Rounds.Spread n = Rounds.spread(nullNs);
        Figure without = null;
        if (!Double.isNaN(entriesPerWork)) {
            double[] a = anchor.rounds();
            if (a != null && a.length == nullNs.length) {
                double[] w = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    w[i] = KernelEntries.withoutEntries(a[i], anchor.unit(), entriesPerWork, nullNs[i]);
                }
                without = java.util.Arrays.stream(w).anyMatch(Double::isNaN) ? null
                        : Figure.ofRounds(w, anchor.unit(), anchor.higherIsBetter());
            } else {
                double v = KernelEntries.withoutEntries(anchor.value(), anchor.unit(), entriesPerWork, n.median());
                without = Double.isNaN(v) ? null : new Figure(v, anchor.unit(), anchor.higherIsBetter());
            }
        }
        return new NativeReport(name, anchor, n, entriesPerWork, without);
    }

    /**
     * Lines to print next to a comparison's result: the null system call and, when {@code result}'s
     * anchor is this anchor, the speedup against the anchor without its kernel entries.
     */
    public List<String> notes(Comparison.Result result) {
        List<String> out = new ArrayList<>();
        String nul = String.format("host null system call (getppid, C loop, same CPU set, after each round): median %s ns"
                        + " (min-max %s-%s)", BenchFormat.number(nullSyscallNs.median()), BenchFormat.number(nullSyscallNs.min()),
                BenchFormat.number(nullSyscallNs.max()));
        out.add("native " + name + ": " + anchor.format() + "; " + nul);
        if (Double.isNaN(entriesPerWork)) {
            return out;
        }
        if (entriesPerWork == 0) {
            out.add("native " + name + " makes no system call in its measured loop");
            return out;
        }
        String per = perWhat(anchor.unit());
        double share = entriesPerWork * nullSyscallNs.median() * 1e-9 / KernelEntries.secondsPerWork(anchor.value(), anchor.unit());
        String entries = entriesPerWork == Math.rint(entriesPerWork) ? Long.toString((long) entriesPerWork) : BenchFormat.number(entriesPerWork);
        String line = String.format("native %s makes %s kernel entries per %s: %s%% of its time at the null system call's cost",
                name, entries, per, BenchFormat.number(100 * share));
        if (withoutEntries == null) {
            out.add(line + "; the anchor without them cannot be told (they account for all of it)");
            return out;
        }
        line += "; the anchor without them: " + withoutEntries.format();
        if (result != null && result.anchor() != null && result.anchor().equals(anchor)
                && result.ours().unit().equals(withoutEntries.unit())) {
            Comparison.Result r = Comparison.Result.of(result.ours(), withoutEntries);
            Rounds.Spread s = r.speedupSpread();
            line += ", speedup against it " + BenchFormat.number(r.speedup())
                    + (s == null ? "" : " (min-max " + BenchFormat.number(s.min()) + "-" + BenchFormat.number(s.max()) + ")");
        }
        out.add(line);
        return out;
    }

    /** "op" for X/op and ops/X, else the numerator (GiB for GiB/s). */
    static String perWhat(String unit) {
        String[] p = unit.split("/");
        if (p[0].equals("ops") || p.length < 2) {
            return "op";
        }
        return p[1].equals("op") ? "op" : p[0];
    }
}
