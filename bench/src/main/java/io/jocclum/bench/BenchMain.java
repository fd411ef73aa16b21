package io.jocclum.bench;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchFormat;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * {@code bin/bench}: {@code --list} lists the comparisons; {@code [--quick] [NAME...]} runs the
 * named ones (all when none is named; a NAME may also be a prefix such as {@code epc-}).
 * Exit code 0 when every selected comparison ran, 1 when one failed, 2 for a usage error.
 */
public final class BenchMain {
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
                    out.println("usage: bin/bench --list | bin/bench [--quick] [NAME|PREFIX...]");
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
            all.values().forEach(c -> out.printf("%-32s %s%n", c.name(), c.description()));
            return 0;
        }
        List<Comparison> selected = new ArrayList<>();
        for (String n : names) {
            List<Comparison> m = all.values().stream().filter(c -> c.name().equals(n) || c.name().startsWith(n)).toList();
            if (m.isEmpty()) {
                err.println("bench: no benchmark named " + n + " (bin/bench --list shows them)");
                return 2;
            }
            m.stream().filter(c -> !selected.contains(c)).forEach(selected::add);
        }
        if (names.isEmpty()) {
            selected.addAll(all.values());
        }
        int failures = 0;
        BenchContext ctx = new BenchContext(quick, out);
        for (Comparison c : selected) {
            out.println("# " + c.name() + ": " + c.description());
            try {
                Comparison.Result r = c.run(ctx);
                r.notes().forEach(n -> out.println("# " + n));
                if (r.anchor() == null) {
                    out.println("result: " + c.name() + " " + BenchFormat.number(r.ours().value()) + " " + r.ours().unit());
                } else {
                    out.println("compare: " + c.name() + " ours=" + BenchFormat.number(r.ours().value()) + " " + r.ours().unit()
                            + " anchor=" + BenchFormat.number(r.anchor().value()) + " " + r.anchor().unit()
                            + " speedup=" + BenchFormat.number(r.speedup()));
                }
            } catch (Exception e) {
                failures++;
                err.println("bench: " + c.name() + " failed: " + e);
            }
            out.flush();
        }
        return failures == 0 ? 0 : 1;
    }
}
