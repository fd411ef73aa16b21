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
        // each step is announced on stderr as it finishes, in the order they run
        assertThat(r.err()).containsPattern("^jocclum demo: building the non-EDMM enclave\\.\\.\\. done \\(\\d+\\.\\d s\\)\n"
                + "jocclum demo: running memtest in the non-EDMM enclave\\.\\.\\. done .*\n"
                + "jocclum demo: building the EDMM enclave\\.\\.\\. done .*\n"
                + "jocclum demo: running memtest in the EDMM enclave\\.\\.\\. done \\(\\d+\\.\\d s\\)\n$");
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
        // the run: the loader added exactly the pages the build planned, and only the EDMM enclave grew on demand
        Matcher runEadd = Pattern.compile("\n  EADD +([\\d,]+) +([\\d,]+)\n").matcher(out);
        assertThat(runEadd.find()).as(out).isTrue();
        assertThat(num(runEadd.group(1))).isEqualTo(nonEdmm);
        assertThat(num(runEadd.group(2))).isEqualTo(edmm);
        Matcher eaug = Pattern.compile("\n  EAUG +([\\d,]+) +([\\d,]+)\n").matcher(out);
        assertThat(eaug.find()).isTrue();
        assertThat(num(eaug.group(1))).isZero();
        assertThat(num(eaug.group(2))).as("a quarter of 256MB touched").isGreaterThanOrEqualTo(256L * 256 / 4);
        Matcher ratio = Pattern.compile("Start-up is ([\\d.]+)x faster with EDMM").matcher(out);
        assertThat(ratio.find()).isTrue();
        assertThat(Double.parseDouble(ratio.group(1))).as("the guide's promise").isGreaterThan(10);
        assertThat(out).containsPattern("EPC after start-up +705.0MB +7.0MB\n");
        Matcher dir = Pattern.compile("Temporary instance (\\S+) \\(removed").matcher(out);
        assertThat(dir.find()).isTrue();
        assertThat(Files.exists(Path.of(dir.group(1)))).isFalse();
    }

    @Test
    void badWorkloadOptionsAreOneSentence() {
        Run.Result r = Run.jocclum(tmp, "demo", "--touch", "2");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("jocclum: --touch 2 is not a fraction; give a number from 0 to 1, e.g. 0.25.\n");
        Run.Result s = Run.jocclum(tmp, "demo", "--size", "1GB");
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.err()).contains("--size 1GB is out of range").doesNotContain("Exception");
    }

    private static long num(String s) {
        return Long.parseLong(s.replace(",", ""));
    }
}
