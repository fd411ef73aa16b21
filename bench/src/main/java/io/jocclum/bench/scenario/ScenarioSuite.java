package io.jocclum.bench.scenario;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import io.jocclum.libos.scenario.Engine;
import io.jocclum.libos.scenario.RunData;
import io.jocclum.libos.scenario.Scenario;
import io.jocclum.libos.scenario.ScenarioFile;
import io.jocclum.libos.scenario.Sweep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code scenario-example}: runs each example of examples/scenarios (the sweep example at each of
 * its points, one after the other on one core) and compares the wall time of example 1
 * (two-pods.json) with the goal of one minute; the notes give every example's wall time and
 * example 1's simulated seconds per wall second. Each example runs once as a warm-up, then
 * {@value #RUNS} times (quick: once); the figures are medians.
 */
public final class ScenarioSuite implements BenchSuite {
    static final int RUNS = 3;
    static final double GOAL_SECONDS = 60;
    static final List<String> EXAMPLES = List.of("two-pods.json", "edmm-vs-non-edmm.json", "noisy-neighbour.json",
            "epc-limit-sweep.json", "libos-programs.json");
    /** The points of the sweep example (its file's comment gives the same command). */
    static final String SWEEP = "cgroups./app.epcMax=16MB,24MB,32MB,40MB,48MB,56MB,64MB";

    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "scenario-example";
            }

            @Override
            public String description() {
                return "wall time of each scenario example (examples/scenarios) vs the goal of under one minute each;"
                        + " ours = example 1 (two-pods), with its simulated seconds per wall second";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Path dir = examples();
                int runs = ctx.quick() ? 1 : RUNS;
                List<String> notes = new ArrayList<>();
                double[] first = null;
                double simSeconds = 0;
                for (String ex : EXAMPLES) {
                    double[] wall = new double[runs];
                    for (int r = -1; r < runs; r++) {
                        long t0 = System.nanoTime();
                        double sim = runExample(dir, ex);
                        double w = (System.nanoTime() - t0) / 1e9;
                        if (r >= 0) {
                            wall[r] = w;
                        }
                        simSeconds = ex.equals(EXAMPLES.getFirst()) ? sim : simSeconds;
                    }
                    java.util.Arrays.sort(wall);
                    notes.add(String.format(Locale.ROOT, "%s: %.2f s of wall time (median of %d; min %.2f, max %.2f)", ex,
                            wall[wall.length / 2], runs, wall[0], wall[wall.length - 1]));
                    if (first == null) {
                        first = wall;
                    }
                }
                double median = first[first.length / 2];
                notes.add(String.format(Locale.ROOT, "two-pods.json: %.3f simulated s in %.2f wall s = %.2f simulated s per wall s",
                        simSeconds, median, simSeconds / median));
                Result res = Result.of(Figure.time(median, "s"), Figure.time(GOAL_SECONDS, "s"));
                for (String n : notes) {
                    res = res.withNote(n);
                }
                return res;
            }
        });
    }

    /** Runs one example (every point of the sweep example); returns the simulated seconds of its run(s). */
    static double runExample(Path dir, String name) throws Exception {
        Path f = dir.resolve(name);
        byte[] bytes = Files.readAllBytes(f);
        List<List<ScenarioFile.Setting>> points = new ArrayList<>();
        if (name.equals("epc-limit-sweep.json")) {
            for (Sweep.Point p : Sweep.grid(List.of(Sweep.Vary.parse(SWEEP)))) {
                points.add(p.settings());
            }
        } else {
            points.add(List.of());
        }
        double sim = 0;
        for (List<ScenarioFile.Setting> s : points) {
            Scenario sc = ScenarioFile.parse(bytes, name, dir, name.replace(".json", ""), s);
            RunData d = Engine.run(sc, (t, stop) -> { });
            sim += d.duration() / 1e9;
        }
        return sim;
    }

    static Path examples() {
        String home = System.getProperty("jocclum.home");
        if (home != null && Files.isDirectory(Path.of(home, "examples", "scenarios"))) {
            return Path.of(home, "examples", "scenarios");
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples/scenarios"))) {
                return p.resolve("examples/scenarios");
            }
        }
        throw new IllegalStateException("examples/scenarios not found (run from the jocclum checkout or set -Djocclum.home)");
    }
}
