package io.jocclum.bench.harness;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SelectionTest {
    private static final List<String> ALL = List.of("os-mmap-munmap", "os-mmap-munmap-100k-vmas", "os-mmap-munmap-100k-vmas-random",
            "epc-ewb-eldu", "events-pipe-syscall");

    @Test
    void aNameSelectsExactlyThatBenchmark() {
        assertThat(Selection.select(ALL, List.of("os-mmap-munmap"))).containsExactly("os-mmap-munmap");
    }

    @Test
    void aTrailingStarSelectsByPrefix() {
        assertThat(Selection.select(ALL, List.of("os-mmap-munmap-100k*")))
                .containsExactly("os-mmap-munmap-100k-vmas", "os-mmap-munmap-100k-vmas-random");
        assertThat(Selection.select(ALL, List.of("e*"))).containsExactly("epc-ewb-eldu", "events-pipe-syscall");
    }

    @Test
    void patternOrderIsKeptAndEachNameRunsOnce() {
        assertThat(Selection.select(ALL, List.of("events-pipe-syscall", "os*", "os-mmap-munmap")))
                .containsExactly("events-pipe-syscall", "os-mmap-munmap", "os-mmap-munmap-100k-vmas", "os-mmap-munmap-100k-vmas-random");
    }

    @Test
    void noPatternSelectsEverything() {
        assertThat(Selection.select(ALL, List.of())).isEqualTo(ALL);
    }

    @Test
    void aPrefixWithoutStarIsNotAName() {
        assertThatThrownBy(() -> Selection.select(ALL, List.of("epc-")))
                .isInstanceOf(Selection.NoMatch.class)
                .hasMessage("no benchmark is named epc-; names match exactly, epc-* selects every name starting with epc-"
                        + " (bin/bench --list shows the names)");
        assertThatThrownBy(() -> Selection.select(ALL, List.of("zz*")))
                .hasMessage("no benchmark name starts with zz (bin/bench --list shows the names)");
        assertThatThrownBy(() -> Selection.select(ALL, List.of("nope")))
                .hasMessage("no benchmark is named nope (bin/bench --list shows the names)");
    }
}
