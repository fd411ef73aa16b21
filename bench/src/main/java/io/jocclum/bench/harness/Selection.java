package io.jocclum.bench.harness;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which benchmarks a command line selects: a NAME selects the benchmark of exactly that name; a
 * pattern ending in {@code *} selects every benchmark whose name starts with what comes before it.
 */
public final class Selection {
    private Selection() {
    }

    /** Thrown for a pattern that selects nothing; the message is one sentence for the user. */
    public static final class NoMatch extends IllegalArgumentException {
        NoMatch(String message) {
            super(message);
        }
    }

    /**
     * The names of {@code all} selected by {@code patterns}, in the order of the patterns (each
     * name once); all of them when there are no patterns.
     */
    public static List<String> select(List<String> all, List<String> patterns) {
        if (patterns.isEmpty()) {
            return List.copyOf(all);
        }
        Set<String> out = new LinkedHashSet<>();
        for (String p : patterns) {
            List<String> m = new ArrayList<>();
            if (p.endsWith("*")) {
                String prefix = p.substring(0, p.length() - 1);
                all.stream().filter(n -> n.startsWith(prefix)).forEach(m::add);
            } else if (all.contains(p)) {
                m.add(p);
            }
            if (m.isEmpty()) {
                String hint = p.endsWith("*") ? "" : all.stream().anyMatch(n -> n.startsWith(p))
                        ? "; names match exactly, " + p + "* selects every name starting with " + p : "";
                throw new NoMatch("no benchmark " + (p.endsWith("*") ? "name starts with " + p.substring(0, p.length() - 1)
                        : "is named " + p) + hint + " (bin/bench --list shows the names)");
            }
            out.addAll(m);
        }
        return List.copyOf(out);
    }
}
