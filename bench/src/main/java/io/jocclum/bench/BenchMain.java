package io.jocclum.bench;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchFormat;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.NativeReport;
import io.jocclum.bench.harness.Rounds;
import io.jocclum.bench.harness.Selection;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * {@code bin/bench}: {@code --list} lists the comparisons by exact name; {@code [--quick] [NAME...]}
 * runs the named ones (all when none is named; {@code NAME*} selects every name starting with
 * NAME). Exit code 0 when every selected comparison ran, 1 when one failed, 2 for a usage error.
 */
public final class BenchMain {
    static final String USAGE = "usage: bin/bench --list | bin/bench [--quick] [NAME|PREFIX*...]";

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean quick = false;
        boolean list = false;
        List<String> names = new ArrayList<>();
        for (String a : args) {
            switch (a) {
                case "--quick" -> quick = true;
                case "--list" -> list = true;
                case "-h", "--help" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    if (a.startsWith("-")) {
                        err.println("bench: unknown option " + a + " (allowed: --list, --quick, --help)");
                        return 2;
                    }
                    names.add(a);
                }
            }
        }
        Map<String, Comparison> all = new LinkedHashMap<>();
        for (BenchSuite s : ServiceLoader.load(BenchSuite.class)) {
            for (Comparison c : s.comparisons()) {
                all.put(c.name(), c);
            }
        }
        if (list) {
            all.values().forEach(c -> out.printf("%-40s %s%n", c.name(), c.description()));
            return 0;
        }
        List<String> selected;
        try {
            selected = Selection.select(List.copyOf(all.keySet()), names);
        } catch (Selection.NoMatch e) {
            err.println("bench: " + e.getMessage());
            return 2;
        }
        int failures = 0;
        BenchContext ctx = new BenchContext(quick, out);
        BenchContext.Settings s = ctx.settings();
        out.printf("# %s mode: %d forks, per fork at least %d and at most %d warm-up rounds of %d ms, then %d rounds of %d ms"
                        + " per side, sides alternating A, B, A, B, ...%n", quick ? "quick" : "full", s.forks(), s.warmMin(), s.warmMax(),
                s.warmMs(), s.rounds(), s.roundMs());
        for (String name : selected) {
            Comparison c = all.get(name);
            out.println("# " + c.name() + ": " + c.description());
            out.flush();
            try {
                Comparison.Result r = c.run(ctx);
                r.notes().forEach(n -> out.println("# " + n));
                for (NativeReport nr : ctx.takeNativeReports()) {
                    nr.notes(r).forEach(n -> out.println("# " + n));
                }
                out.println(line(c.name(), r));
            } catch (Exception e) {
                failures++;
                ctx.takeNativeReports();
                err.println("bench: " + c.name() + " failed: " + e);
            }
            out.flush();
        }
        return failures == 0 ? 0 : 1;
    }

    /** The result line: {@code compare: NAME ours=... anchor=... speedup=X min-max=A-B rounds=N} or {@code result: NAME V UNIT}. */
    static String line(String name, Comparison.Result r) {
        if (r.anchor() == null) {
            double[] rounds = r.ours().rounds();
            String range = "";
            if (rounds != null) {
                Rounds.Spread sp = Rounds.spread(rounds);
                range = " min-max=" + BenchFormat.number(sp.min()) + "-" + BenchFormat.number(sp.max()) + " rounds=" + sp.n();
            }
            return "result: " + name + " " + BenchFormat.number(r.ours().value()) + " " + r.ours().unit() + range;
        }
        Rounds.Spread sp = r.speedupSpread();
        return "compare: " + name + " ours=" + BenchFormat.number(r.ours().value()) + " " + r.ours().unit()
                + " anchor=" + BenchFormat.number(r.anchor().value()) + " " + r.anchor().unit()
                + " speedup=" + BenchFormat.number(r.speedup())
                + (sp == null ? " (not measured in interleaved rounds: ratio of the two figures)"
                : " min-max=" + BenchFormat.number(sp.min()) + "-" + BenchFormat.number(sp.max()) + " rounds=" + sp.n());
    }
}
