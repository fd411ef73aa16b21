package io.jocclum.libos.replay;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.testing.TestInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutates recorded traces (cuts lines short, deletes, duplicates and swaps lines, flips characters,
 * cuts the file) and checks that reading them either gives events or a {@link TraceFormatException}
 * naming a line of the file, and that replaying what was read ends with a result (a failure or not),
 * never an exception. Replay a run with {@code -Dreplay.fuzz.seed=N}.
 */
class StraceFuzzTest {
    private static final String[] TRACES = {"fork.trace", "mt.trace", "sort.trace"};
    private static final int ROUNDS = 600;
    private static final int REPLAYED = 4;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails, with the seed printed above
    void mutatedTracesGiveEventsOrAnErrorWithALineNumberAndReplayCleanly() throws Exception {
        long seed = Long.getLong("replay.fuzz.seed", System.nanoTime());
        System.out.println("StraceFuzzTest seed: " + seed + " (replay with -Dreplay.fuzz.seed=" + seed + ")");
        Random rnd = new Random(seed);
        List<List<String>> originals = new ArrayList<>();
        for (String t : TRACES) {
            originals.add(ReplayTest.lines(t));
        }
        BuiltEnclave enclave = TestInstance.builder(tmp.resolve("fuzz")).edmm(true)
                .set("resource_limits.user_space_size", "64MB").set("resource_limits.user_space_max_size", "8GB")
                .set("resource_limits.max_num_of_threads", 32).build();
        int errors = 0;
        int parsed = 0;
        int replayed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int which = rnd.nextInt(originals.size());
            List<String> lines = mutate(new ArrayList<>(originals.get(which)), rnd);
            String what = "seed " + seed + ", round " + round + ", " + TRACES[which];
            List<TraceEvent> events;
            try {
                events = new StraceReader().read(new BufferedReader(new StringReader(String.join("\n", lines))), 0)
                        .events();
            } catch (TraceFormatException e) {
                assertThat(e.line()).as(what + ": " + e.getMessage()).isBetween(1, Math.max(1, lines.size()));
                assertThat(e.getMessage()).as(what).startsWith("line " + e.line() + ": ");
                errors++;
                continue;
            }
            parsed++;
            if (replayed < REPLAYED && rnd.nextInt(8) == 0) {
                replayed++;
                ReplayRun.Outcome o;
                try {
                    o = ReplayRun.run(enclave, BootOptions.defaults(), events, Replay.Touch.parse("none"));
                } catch (TraceFormatException e) {
                    // an argument is read when its call is replayed: the same one-line error, with its line
                    assertThat(e.line()).as(what + ": " + e.getMessage()).isBetween(1, Math.max(1, lines.size()));
                    assertThat(e.getMessage()).as(what).startsWith("line " + e.line() + ": ");
                    errors++;
                    continue;
                }
                assertThat(o.result()).as(what).isNotNull();
                if (o.result().failure() != null) {
                    assertThat(o.result().failure().line()).as(what).isBetween(1, Math.max(1, lines.size()));
                }
            }
        }
        System.out.println("StraceFuzzTest: " + parsed + " read, " + errors + " line errors, " + replayed + " replayed");
        assertThat(errors).as("the mutations make some traces malformed").isPositive();
        assertThat(parsed).as("and leave some readable").isPositive();
    }

    private static List<String> mutate(List<String> l, Random rnd) {
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n && !l.isEmpty(); k++) {
            int i = rnd.nextInt(l.size());
            switch (rnd.nextInt(6)) {
                case 0 -> l.set(i, l.get(i).substring(0, rnd.nextInt(l.get(i).length() + 1)));
                case 1 -> l.remove(i);
                case 2 -> l.add(i, l.get(i));
                case 3 -> {
                    int j = rnd.nextInt(l.size());
                    String t = l.get(i);
                    l.set(i, l.get(j));
                    l.set(j, t);
                }
                case 4 -> {
                    String s = l.get(i);
                    if (!s.isEmpty()) {
                        int c = rnd.nextInt(s.length());
                        String pool = "0123456789abcdefx(),[]{}\"\\=<>.|+- ?/*_";
                        l.set(i, s.substring(0, c) + pool.charAt(rnd.nextInt(pool.length())) + s.substring(c + 1));
                    }
                }
                default -> l.subList(rnd.nextInt(l.size()) + 1, l.size()).clear();
            }
        }
        return l;
    }
}
