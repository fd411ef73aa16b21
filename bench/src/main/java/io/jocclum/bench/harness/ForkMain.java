package io.jocclum.bench.harness;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One fork of an interleaved run (started by {@link BenchContext.JmhRun}): makes the states of
 * every side, warms the sides up in alternation until their scores settle, then measures rounds
 * A, B, A, B, ... (every Java side, then every native anchor, in each round) and prints each
 * round's scores as protocol lines ({@link #PREFIX}) for the parent to pair up.
 *
 * <pre>
 * ForkMain --rounds N --round-ms MS --warm-ms MS --warm-min N --warm-max N
 *          [--side LABEL&lt;TAB&gt;CLASS&lt;TAB&gt;METHOD[&lt;TAB&gt;NAME=VALUE]...]... [--native EXE[&lt;TAB&gt;ARG]...]...
 * </pre>
 */
public final class ForkMain {
    /** Every protocol line starts with this; other output of the fork is not interpreted. */
    static final String PREFIX = "@@jocclum ";
    /** A warm-up round counts as settled when each side's score moved less than this from the previous one. */
    static final double SETTLED = 0.05;

    private ForkMain() {
    }

    /** What a fork runs. */
    record Spec(int rounds, long roundMs, long warmMs, int warmMin, int warmMax, List<SideSpec> sides, List<List<String>> natives) {
        List<String> toArgs() {
            List<String> a = new ArrayList<>(List.of("--rounds", Integer.toString(rounds), "--round-ms", Long.toString(roundMs),
                    "--warm-ms", Long.toString(warmMs), "--warm-min", Integer.toString(warmMin), "--warm-max", Integer.toString(warmMax)));
            for (SideSpec s : sides) {
                a.add("--side");
                a.add(s.encode());
            }
            for (List<String> n : natives) {
                a.add("--native");
                a.add(String.join("\t", n));
            }
            return a;
        }

        static Spec parse(String[] args) {
            requireEven(args);
            int rounds = 0;
            long roundMs = 0;
            long warmMs = 0;
            int warmMin = 0;
            int warmMax = 0;
            List<SideSpec> sides = new ArrayList<>();
            List<List<String>> natives = new ArrayList<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                String v = args[i + 1];
                switch (args[i]) {
                    case "--rounds" -> rounds = Integer.parseInt(v);
                    case "--round-ms" -> roundMs = Long.parseLong(v);
                    case "--warm-ms" -> warmMs = Long.parseLong(v);
                    case "--warm-min" -> warmMin = Integer.parseInt(v);
                    case "--warm-max" -> warmMax = Integer.parseInt(v);
                    case "--side" -> sides.add(SideSpec.decode(v));
                    case "--native" -> natives.add(List.of(v.split("\t")));
                    default -> throw new IllegalArgumentException("unknown fork option " + args[i]);
                }
            }
            return new Spec(rounds, roundMs, warmMs, warmMin, warmMax, sides, natives);
        }
    }

    /** A Java side: a result label, a benchmark method and its parameter values. */
    record SideSpec(String label, String className, String method, Map<String, String> params) {
        String encode() {
            StringBuilder b = new StringBuilder(label).append('\t').append(className).append('\t').append(method);
            params.forEach((k, v) -> b.append('\t').append(k).append('=').append(v));
            return b.toString();
        }

        static SideSpec decode(String s) {
            String[] f = s.split("\t");
            Map<String, String> p = new TreeMap<>();
            for (int i = 3; i < f.length; i++) {
                int eq = f[i].indexOf('=');
                p.put(f[i].substring(0, eq), f[i].substring(eq + 1));
            }
            return new SideSpec(f[0], f[1], f[2], p);
        }
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        try {
            run(Spec.parse(args), out);
            out.flush();
            System.exit(0);
        } catch (Throwable t) {
            out.println(PREFIX + "error " + String.valueOf(t).replace('\n', ' '));
            t.printStackTrace(out);
            out.flush();
            System.exit(1);
        }
    }

    static void run(Spec spec, PrintStream out) throws Throwable {
        try (StateSet states = new StateSet()) {
            List<JavaSide> java = new ArrayList<>();
            for (SideSpec s : spec.sides()) {
                JavaSide j = new JavaSide(s.label(), BenchMethod.of(s.className(), s.method()), s.params(), states);
                java.add(j);
                out.println(PREFIX + "side " + j.label + " " + j.unit() + " " + j.higherIsBetter());
            }
            List<NativeSide> natives = new ArrayList<>();
            try {
                for (List<String> n : spec.natives()) {
                    NativeSide ns = new NativeSide(n);
                    natives.add(ns);
                    ns.entries().forEach((name, e) -> out.println(PREFIX + "entries " + name + " " + e));
                }
                warm(spec, java, natives, out);
                for (int r = 0; r < spec.rounds(); r++) {
                    for (JavaSide j : java) {
                        out.println(PREFIX + "round " + j.label + " " + r + " " + j.round(spec.roundMs() * 1_000_000) + " " + j.unit());
                        out.println(PREFIX + "cpu " + j.label + " " + r + " " + j.cpuNsPerOp());
                    }
                    for (NativeSide ns : natives) {
                        NativeSide.RoundResult rr = ns.round(spec.roundMs());
                        for (NativeSide.Score sc : rr.scores()) {
                            out.println(PREFIX + "round " + sc.name() + " " + r + " " + sc.value() + " " + sc.unit());
                            out.println(PREFIX + "null-syscall " + sc.name() + " " + r + " " + rr.nullSyscallNs());
                        }
                    }
                    out.flush();
                }
            } finally {
                for (NativeSide ns : natives) {
                    ns.close();
                }
            }
        }
    }

    /** Warm-up rounds in alternation until every Java side's score settled (at least warmMin, at most warmMax rounds). */
    private static void warm(Spec spec, List<JavaSide> java, List<NativeSide> natives, PrintStream out) throws Throwable {
        Map<String, Double> last = new LinkedHashMap<>();
        for (int w = 0; w < spec.warmMax(); w++) {
            boolean settled = true;
            for (JavaSide j : java) {
                double s = j.round(spec.warmMs() * 1_000_000);
                Double prev = last.put(j.label, s);
                settled &= prev != null && Math.abs(s - prev) <= SETTLED * Math.abs(prev);
                out.println(PREFIX + "warm " + j.label + " " + w + " " + s);
            }
            for (NativeSide ns : natives) {
                ns.round(spec.warmMs());
            }
            if (w + 1 >= spec.warmMin() && settled) {
                return;
            }
        }
    }

    /** An odd argument count is a programming error of the parent. */
    private static void requireEven(String[] args) {
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("odd fork arguments " + Arrays.toString(args));
        }
    }
}
