package io.jocclum.libos.replay;

import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Replay#order} against a plain model of its rule (boxed maps, one pass): random traces with
 * threads whose events come before the call that creates them, threads created twice, failed and
 * unsuccessful creations, and creations hidden among a later thread's early events. Seeded; the
 * seed is printed (replay a run with {@code -Dreplay.order.seed=N}).
 */
class ReplayOrderTest {
    private static final Set<String> SPAWNS = Set.of("clone", "clone3", "fork", "vfork");
    private static final String[] NAMES = {"clone", "clone3", "fork", "vfork", "mmap", "munmap", "brk", "exit"};

    /** The rule as first written: a thread's events wait until the first successful call that created it. */
    private static List<TraceEvent> model(List<TraceEvent> in) {
        Map<Integer, Integer> birth = new HashMap<>();
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i) instanceof TraceEvent.Call c && SPAWNS.contains(c.name()) && c.succeeded() && c.result() > 0) {
                birth.putIfAbsent((int) (long) c.result(), i);
            }
        }
        List<TraceEvent> out = new ArrayList<>();
        Map<Integer, List<TraceEvent>> early = new HashMap<>();
        for (int i = 0; i < in.size(); i++) {
            TraceEvent e = in.get(i);
            Integer b = birth.get(e.tid());
            if (b != null && i < b) {
                early.computeIfAbsent(e.tid(), t -> new ArrayList<>()).add(e);
                continue;
            }
            out.add(e);
            if (e instanceof TraceEvent.Call c && SPAWNS.contains(c.name()) && c.succeeded() && c.result() > 0) {
                List<TraceEvent> waiting = early.remove((int) (long) c.result());
                if (waiting != null) {
                    out.addAll(waiting);
                }
            }
        }
        early.values().forEach(out::addAll);
        return out;
    }

    @Test
    void ordersAsTheModelOnRandomTraces() {
        long seed = Seeds.seed("ReplayOrderTest");
        Random rnd = new Random(seed);
        int reordered = 0;
        for (int round = 0; round < 2000; round++) {
            int threads = 1 + rnd.nextInt(12);
            int n = rnd.nextInt(60);
            List<TraceEvent> in = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int tid = 100 + rnd.nextInt(threads);
                int kind = rnd.nextInt(20);
                if (kind == 0) {
                    in.add(new TraceEvent.Exited(i + 1, tid, 0));
                } else {
                    String name = NAMES[rnd.nextInt(NAMES.length)];
                    boolean failed = rnd.nextInt(8) == 0;
                    Long result = rnd.nextInt(10) == 0 ? null : failed ? -1L
                            : SPAWNS.contains(name) ? (long) (rnd.nextInt(4) == 0 ? rnd.nextInt(3) - 1 : 100 + rnd.nextInt(threads)) : 0L;
                    in.add(new TraceEvent.Call(i + 1, tid, name, List.of(), result, failed ? "EAGAIN" : null));
                }
            }
            List<TraceEvent> expected = model(in);
            int[] tids = new int[n];
            List<TraceEvent> got = Replay.order(List.copyOf(in), tids);
            assertThat(got).as("seed %d, round %d: %s", seed, round, in).containsExactlyElementsOf(expected);
            assertThat(tids).as("seed %d, round %d: the tids written with the order", seed, round)
                    .containsExactly(expected.stream().mapToInt(TraceEvent::tid).toArray());
            if (!expected.equals(in)) {
                reordered++;
            }
        }
        assertThat(reordered).as("seed %d: rounds where the rule moved events", seed).isGreaterThan(100);
    }
}
