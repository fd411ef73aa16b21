package io.jocclum.libos.support;

import java.util.concurrent.ThreadLocalRandom;

/** Seeds for random tests: {@code -Djocclum.seed=N} replays a run; otherwise a fresh one. */
public final class Seeds {
    private Seeds() {
    }

    public static long seed(String test) {
        Long fixed = Long.getLong("jocclum.seed");
        long s = fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
        System.out.println(test + ": seed " + s + " (replay with -Djocclum.seed=" + s + ")");
        return s;
    }
}
