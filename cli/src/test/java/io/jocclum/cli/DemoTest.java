package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class DemoTest {
    @TempDir
    Path tmp;

    @Test
    void demoComparesTheGuidesExampleOnBothPaths() {
        Run.Result r = Run.jocclum(tmp, "demo");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEmpty();
        String out = r.out();
        // the hand-derived values of config-edmm.md's table, non-EDMM then EDMM
        assertThat(out).containsPattern("HeapInitSize +40MB +4MB\n")
                .containsPattern("HeapMaxSize +40MB +1GB\n")
                .containsPattern("TCSNum = TCSMinPool +64 +2\n")
                .containsPattern("TCSMaxNum +64 +4096\n")
                .containsPattern("ReservedMem\\*Size +600MB +1MB\n")
                .containsPattern("UserRegionSize +- +17GB\n")
                .containsPattern("MiscSelect / MiscMask +0 / 0 +1 / 0xFFFFFFFF\n")
                .containsPattern("user space +static 600MB +1MB / 16GB\n")
                .containsPattern("threads \\(TCS\\) +64 / 64 +2 / 4096\n")
                .contains("EDMM: TCS Max raised from 64 (max_num_of_threads) to 4096")
                .contains("Occlum.json says: kernel_space_stack_size 1MB, kernel_space_heap_size 4MB,"
                        + " kernel_space_heap_max_size 40MB,\n  user_space_size 1MB, user_space_max_size 600MB,"
                        + " init_num_of_threads 2, max_num_of_threads 64\n");
        Matcher eadd = Pattern.compile("EADD \\(pages\\) +(\\d+) +(\\d+)\n").matcher(out);
        assertThat(eadd.find()).isTrue();
        long nonEdmm = Long.parseLong(eadd.group(1));
        long edmm = Long.parseLong(eadd.group(2));
        // non-EDMM adds 40MB heap + 64 x 260 thread pages + 600MB reserved; EDMM 4MB + 2 x 260 + 1MB (plus LibOS pages)
        assertThat(nonEdmm - 10240 - 64 * 260 - 153600).isBetween(2L, 10L);
        assertThat(edmm - 1024 - 2 * 260 - 256).isBetween(2L, 10L);
        Matcher dir = Pattern.compile("Temporary instance (\\S+) \\(removed").matcher(out);
        assertThat(dir.find()).isTrue();
        assertThat(Files.exists(Path.of(dir.group(1)))).isFalse();
    }
}
