package io.jocclum.bench.replay;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchFormat;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The speed of {@code jocclum replay}: trace lines replayed per second. */
public final class ReplaySuite implements BenchSuite {
    @Override
    public List<Comparison> comparisons() {
        return List.of(new Comparison() {
            @Override
            public String name() {
                return "replay-trace";
            }

            @Override
            public String description() {
                return "lines per second of a whole replay of a recorded strace -f trace (a Python run: parse, replay the memory"
                        + " calls touching every page, in a booted EDMM instance) vs reading the same text line by line and splitting"
                        + " each line into fields (goal: >= 0.3 of it); with --touch none for reference";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(ReplayBench.class, "replay").include(ReplayBench.class, "replayTouchingNone")
                        .include(ReplayBench.class, "readAndSplit").run();
                long lines = new String(ReplayBench.load(ReplayBench.TRACE), StandardCharsets.UTF_8).lines().count();
                Figure ours = r.get("replay").scale(lines, "lines/s");
                Figure none = r.get("replayTouchingNone").scale(lines, "lines/s");
                Figure anchor = r.get("readAndSplit").scale(lines, "lines/s");
                Result res = Result.of(ours, anchor);
                return res.withNote("trace: " + ReplayBench.TRACE + ", " + lines + " lines; the instance boots once (a fixed cost per jocclum"
                        + " replay, see os-boot-edmm-16g)").withNote("with --touch none: " + none.format() + ", "
                        + BenchFormat.number(none.value() / anchor.value()) + " of the anchor")
                        .withNote("goal (>= 0.3 of reading and splitting, default --touch all): "
                        + (res.speedup() >= 0.3 ? "met" : "NOT met") + " by the median of the per-round ratios");
            }
        });
    }
}
