package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** jocclum replay and advise on a trace recorded with strace -f of a program that forks. */
class ReplayCommandTest {
    @TempDir
    Path tmp;

    private Path trace() throws IOException {
        Path t = tmp.resolve("fork.trace");
        try (InputStream in = getClass().getResourceAsStream("fork.trace")) {
            Files.write(t, in.readAllBytes());
        }
        return t;
    }

    private Path instance(String name) {
        Path inst = tmp.resolve(name);
        assertThat(Run.jocclum(tmp, "new", inst.toString()).exit()).isZero();
        return inst;
    }

    @Test
    void replayReportsPeaksAndFits() throws IOException {
        Path inst = instance("r");
        Run.Result r = Run.jocclum(inst, "replay", "--edmm", trace().toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("EDMM build; 3 process(es) replayed, at most 2 at once").contains("Fits:");
        Run.Result j = Run.jocclum(inst, "replay", "--no-edmm", "--json", "--touch", "none", trace().toString());
        assertThat(j.exit()).isZero();
        assertThat(j.out()).contains("\"fits\":true").contains("\"edmm\":false").contains("\"peak_processes\":2");
    }

    @Test
    void adviceReplaysAndTenPercentLessFailsNamingTheCall() throws IOException {
        Path inst = instance("a");
        Files.writeString(inst.resolve("Occlum.json"), Files.readString(inst.resolve("Occlum.json"))
                .replaceFirst("\\{", "{\n    // my comment stays\n"));
        Run.Result a = Run.jocclum(inst, "advise", "--margin", "0%", "--write", trace().toString());
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out()).contains("resource_limits.user_space_size").containsPattern("replay under the advice +fits +fits")
                .contains("Wrote ");
        String json = Files.readString(inst.resolve("Occlum.json"));
        assertThat(json).contains("// my comment stays");
        Matcher m = Pattern.compile("\"user_space_size\"\\s*:\\s*\"(\\d+)MB\"").matcher(json);
        assertThat(m.find()).isTrue();
        long mb = Long.parseLong(m.group(1));
        Run.Result ok = Run.jocclum(inst, "replay", "--no-edmm", "--touch", "none", trace().toString());
        assertThat(ok.exit()).as(ok.out()).isZero();
        long less = mb * 9 / 10;
        Files.writeString(inst.resolve("Occlum.json"), json.replace("\"" + mb + "MB\"", "\"" + less + "MB\""));
        Run.Result small = Run.jocclum(inst, "replay", "--no-edmm", "--touch", "none", trace().toString());
        assertThat(small.exit()).isEqualTo(1);
        assertThat(small.out()).containsPattern("TOO SMALL: line \\d+ \\(thread \\d+\\): [a-z0-9_]+\\(")
                .contains("user_space");
    }

    @Test
    void kernelHeapAdviceReplaysAndTenPercentLessFailsNamingTheCallAndTheKey() throws IOException {
        Path inst = instance("k");
        // advise never lowers the kernel heap: start below what the trace needs
        Path cfg = inst.resolve("Occlum.json");
        Files.writeString(cfg, Files.readString(cfg)
                .replaceFirst("(\"kernel_space_heap_max_size\"\\s*:\\s*)\"[^\"]*\"", "$1\"64KB\"")
                .replaceFirst("(\"kernel_space_heap_size\"\\s*:\\s*)\"[^\"]*\"", "$1\"64KB\""));
        Run.Result a = Run.jocclum(inst, "advise", "--margin", "0%", "--write", trace().toString());
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out()).contains("resource_limits.kernel_space_heap_size").contains("resource_limits.kernel_space_heap_max_size")
                .contains("peak of the kernel heap").containsPattern("replay under the advice +fits +fits");
        String json = Files.readString(inst.resolve("Occlum.json"));
        long max = size(json, "kernel_space_heap_max_size");
        long init = size(json, "kernel_space_heap_size");
        assertThat(init).isPositive().isLessThanOrEqualTo(max);
        Run.Result ok = Run.jocclum(inst, "replay", "--no-edmm", "--json", "--touch", "none", trace().toString());
        assertThat(ok.exit()).as(ok.out()).isZero();
        Matcher peak = Pattern.compile("\"kernel_heap\":\\{\"peak_bytes\":(\\d+)").matcher(ok.out());
        assertThat(peak.find()).as(ok.out()).isTrue();
        assertThat(Long.parseLong(peak.group(1))).as("the advice covers the peak").isLessThanOrEqualTo(max);
        long less = max * 9 / 10 / 4096 * 4096;
        String shrunk = json.replaceFirst("(\"kernel_space_heap_max_size\"\\s*:\\s*)\"[^\"]*\"", "$1\"" + less / 1024 + "KB\"")
                .replaceFirst("(\"kernel_space_heap_size\"\\s*:\\s*)\"[^\"]*\"", "$1\"" + Math.min(init, less) / 1024 + "KB\"");
        Files.writeString(inst.resolve("Occlum.json"), shrunk);
        Run.Result small = Run.jocclum(inst, "replay", "--no-edmm", "--touch", "none", trace().toString());
        assertThat(small.exit()).as(small.out() + small.err()).isEqualTo(1);
        assertThat(small.out()).as(small.err() + " / " + a.out()).containsPattern("TOO SMALL: line \\d+ \\(thread \\d+\\): [a-z0-9_]+\\(.*failed in the enclave with ENOMEM")
                .contains("kernel_space_heap_max_size").contains("the kernel heap cannot hold");
    }

    @Test
    void kernelHeapAdviceNeverLowersTheInstancesKernelHeap() throws IOException {
        Path inst = instance("keep");
        long before = size(Files.readString(inst.resolve("Occlum.json")), "kernel_space_heap_size");
        Run.Result a = Run.jocclum(inst, "advise", "--margin", "0%", "--write", trace().toString());
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out()).contains("the instance's larger value is kept");
        String json = Files.readString(inst.resolve("Occlum.json"));
        assertThat(size(json, "kernel_space_heap_size")).isEqualTo(before);
        assertThat(size(json, "kernel_space_heap_max_size")).isGreaterThanOrEqualTo(before);
    }

    /** A size key's value in bytes ("348KB", "2MB"). */
    private static long size(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"(\\d+)(KB|MB)\"").matcher(json);
        assertThat(m.find()).as(key + " in " + json).isTrue();
        return Long.parseLong(m.group(1)) << (m.group(2).equals("KB") ? 10 : 20);
    }

    @Test
    void malformedTracesAreErrorsWithTheirLineNumber() throws IOException {
        Path inst = instance("m");
        Path bad = tmp.resolve("bad.trace");
        Files.writeString(bad, "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000\n"
                + "this is not strace\n100 exit_group(0) = ?\n", StandardCharsets.UTF_8);
        Run.Result r = Run.jocclum(inst, "replay", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("jocclum: " + bad + ": line 2: not a line of strace output").hasLineCount(1);
        Run.Result none = Run.jocclum(inst, "replay", tmp.resolve("nope.trace").toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("does not exist");
    }

    private static java.util.List<String> peaks(String json) {
        Matcher m = Pattern.compile("\"peak_[a-z_]+\":\\d+").matcher(json);
        java.util.List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    @Test
    void perProcessFilesOfStraceFfGiveTheSamePeaksAsOneFile() throws IOException {
        Path inst = instance("ff");
        java.util.Map<String, StringBuilder> byPid = new java.util.TreeMap<>();
        for (String l : Files.readAllLines(trace())) {
            String[] f = l.split("\\s+", 2);
            byPid.computeIfAbsent(f[0], k -> new StringBuilder()).append(f[1]).append('\n');
        }
        assertThat(byPid).hasSizeGreaterThan(1);
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("replay", "--json", "--touch", "none"));
        for (var e : byPid.entrySet()) {
            Path f = tmp.resolve("fork." + e.getKey());
            Files.writeString(f, e.getValue());
            args.add(f.toString());
        }
        Run.Result ff = Run.jocclum(inst, args.toArray(String[]::new));
        Run.Result one = Run.jocclum(inst, "replay", "--json", "--touch", "none", trace().toString());
        assertThat(ff.exit()).as(ff.err()).isZero();
        assertThat(one.exit()).as(one.err()).isZero();
        assertThat(peaks(ff.out())).isNotEmpty().isEqualTo(peaks(one.out()));
        Path plain = tmp.resolve("plain.7");
        Files.writeString(plain, "brk(NULL) = 0x5000\nexit_group(0) = ?\n");
        Path other = tmp.resolve("plain.8");
        Files.writeString(other, "brk(NULL) = 0x6000\nexit_group(0) = ?\n");
        Run.Result no = Run.jocclum(inst, "replay", plain.toString(), other.toString());
        assertThat(no.exit()).isEqualTo(2);
        assertThat(no.err()).contains("has no timestamp").hasLineCount(1);
    }
}
