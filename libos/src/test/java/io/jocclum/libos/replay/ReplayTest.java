package io.jocclum.libos.replay;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.testing.TestInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Traces recorded with {@code strace -f -tt -T} on Linux (x86-64): a forking C program, a
 * multi-threaded C program, {@code sort} of a large file, a Python script, a JVM start-up and a gcc
 * compile. The replay's peak of mapped memory agrees with an independent count from the raw lines.
 */
class ReplayTest {
    @TempDir
    static Path tmp;

    static List<String> lines(String name) throws IOException {
        InputStream in = ReplayTest.class.getResourceAsStream(name);
        if (name.endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }

    static List<TraceEvent> events(String name) throws IOException {
        return new StraceReader().read(new BufferedReader(new java.io.StringReader(String.join("\n", lines(name)))), 0)
                .events();
    }

    private static final Pattern LINE = Pattern.compile("^(\\d+)\\s+\\S+\\s+(?:<\\.\\.\\. )?(mmap|munmap|mremap|brk)\\b(.*)$");
    private static final Pattern NUM = Pattern.compile("0x[0-9a-f]+|\\d+");

    /**
     * The reference: pages mapped per process, as a set of page numbers, from the raw lines (successful
     * mmap, munmap and mremap, resumed halves joined by the pid's pending text); the peak of the sum.
     */
    /**
     * The trace's own peak of live threads of all processes, from its raw lines: a thread lives from the
     * line that completes the clone which created it (a call that may be split into unfinished and
     * resumed lines) to its exit or its process's exit_group.
     */
    static int referencePeakThreads(List<String> raw) {
        Pattern created = Pattern.compile("(clone3?|fork|vfork)[( ].*\\) = (\\d+)");
        Map<String, Set<String>> threadsOf = new HashMap<>();
        Map<String, String> processOf = new HashMap<>();
        String root = raw.getFirst().split("\\s+")[0];
        threadsOf.put(root, new HashSet<>(Set.of(root)));
        processOf.put(root, root);
        Map<String, Boolean> pendingThreadClone = new HashMap<>();
        int live = 1;
        int peak = 1;
        for (String line : raw) {
            String tid = line.split("\\s+")[0];
            if (line.contains("<unfinished")) {
                pendingThreadClone.put(tid, line.contains("CLONE_THREAD"));
                continue;
            }
            boolean thread = line.contains("CLONE_THREAD") || (line.contains("resumed>") && pendingThreadClone.getOrDefault(tid, false));
            Matcher m = created.matcher(line);
            if (m.find()) {
                String child = m.group(2);
                String proc = thread ? processOf.get(tid) : child;
                processOf.put(child, proc);
                threadsOf.computeIfAbsent(proc, k -> new HashSet<>()).add(child);
                live++;
                peak = Math.max(peak, live);
            } else if (line.contains(" exit_group(")) {
                Set<String> gone = threadsOf.remove(processOf.get(tid));
                live -= gone == null ? 0 : gone.size();
            } else if (line.contains(" exit(")) {
                Set<String> mine = threadsOf.get(processOf.get(tid));
                if (mine != null && mine.remove(tid)) {
                    live--;
                }
            }
        }
        return peak;
    }

    static long referencePeak(List<String> raw) {
        Map<String, TreeSet<Long>> pages = new HashMap<>();
        Map<String, String> pending = new HashMap<>();
        Map<String, String> processOf = new HashMap<>();
        long live = 0;
        long peak = 0;
        for (String l : raw) {
            String[] f = l.split("\\s+", 3);
            if (f.length < 3) {
                continue;
            }
            String tid = f[0];
            String pid = processOf.getOrDefault(tid, tid);
            String rest = f[2];
            if (rest.endsWith("<unfinished ...>")) {
                pending.put(tid, rest.substring(0, rest.length() - "<unfinished ...>".length()));
                continue;
            }
            if (rest.startsWith("<... ")) {
                String head = pending.remove(tid);
                if (head == null) {
                    continue;
                }
                rest = head + rest.substring(rest.indexOf('>') + 1);
            }
            if (rest.contains("CLONE_THREAD") && rest.matches("(?s).*\\) = \\d+( <.*)?$")) {
                processOf.put(rest.substring(rest.lastIndexOf(") = ") + 4).split("\\s")[0], pid);
            }
            if (rest.startsWith("execve(") && rest.contains(") = 0")) {
                TreeSet<Long> gone = pages.computeIfAbsent(pid, k -> new TreeSet<>());
                live -= gone.size() * 4096L;
                gone.clear();
                continue;
            }
            boolean mmap = rest.startsWith("mmap(");
            boolean munmap = rest.startsWith("munmap(");
            boolean mremap = rest.startsWith("mremap(");
            if (!(mmap || munmap || mremap) || rest.contains("= -1 ")) {
                continue;
            }
            String args = rest.substring(rest.indexOf('(') + 1, rest.lastIndexOf(") = "));
            String[] a = args.split(",\\s*");
            String res = rest.substring(rest.lastIndexOf(") = ") + 4).split("\\s")[0];
            TreeSet<Long> set = pages.computeIfAbsent(pid, k -> new TreeSet<>());
            int before = set.size();
            if (mmap) {
                add(set, num(res), num(a[1]));
            } else if (munmap) {
                remove(set, num(a[0]), num(a[1]));
            } else {
                remove(set, num(a[0]), num(a[1]));
                add(set, num(res), num(a[2]));
            }
            live += (set.size() - before) * 4096L;
            peak = Math.max(peak, live);
        }
        return peak;
    }

    private static long num(String s) {
        Matcher m = NUM.matcher(s.strip());
        if (!m.find()) {
            return 0;
        }
        String t = m.group();
        return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
    }

    private static void add(TreeSet<Long> set, long addr, long len) {
        for (long p = addr >>> 12; p < (addr + len + 4095) >>> 12; p++) {
            set.add(p);
        }
    }

    private static void remove(TreeSet<Long> set, long addr, long len) {
        set.subSet(addr >>> 12, (addr + len + 4095) >>> 12).clear();
    }

    /** An EDMM instance (whose user space Max is at least Occlum's 16GB), or with a small space a non-EDMM one. */
    static BuiltEnclave instance(String name, String userSpace) {
        return TestInstance.builder(tmp.resolve(name)).edmm(userSpace.equals("8GB"))
                .set("resource_limits.user_space_size", userSpace.equals("8GB") ? "64MB" : userSpace)
                .set("resource_limits.user_space_max_size", userSpace)
                .set("resource_limits.max_num_of_threads", 32).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fork.trace", "mt.trace", "sort.trace", "python.trace.gz", "jvm.trace.gz", "gcc.trace.gz"})
    void theReplaysPeakAgreesWithTheTracesOwn(String name) throws Exception {
        List<TraceEvent> ev = events(name);
        long reference = referencePeak(lines(name));
        assertThat(reference).as("the trace maps memory").isPositive();
        ReplayRun.Outcome o = ReplayRun.run(instance("big", "8GB"), BootOptions.defaults()
                .withPlatform(PlatformSettings.defaults()), ev, Replay.Touch.parse("0.1"));
        assertThat(o.result().failure()).as(name).isNull();
        assertThat(o.result().peakMappedBytes()).as(name + ": peak mapped").isEqualTo(reference);
    }

    @Test
    void forkAndThreadsAreModelled() throws Exception {
        ReplayRun.Outcome fork = ReplayRun.run(instance("big", "8GB"), BootOptions.defaults(), events("fork.trace"),
                Replay.Touch.parse("all"));
        assertThat(fork.result().processes()).hasSize(3);
        assertThat(fork.result().peakProcesses()).isEqualTo(2);
        ReplayRun.Outcome mt = ReplayRun.run(instance("big", "8GB"), BootOptions.defaults(), events("mt.trace"),
                Replay.Touch.parse("none"));
        assertThat(mt.result().processes()).hasSize(1);
        assertThat(mt.result().peakThreads()).as("counted in trace order, not when guest threads start")
                .isEqualTo(referencePeakThreads(lines("mt.trace")));
        assertThat(fork.result().peakThreads()).isEqualTo(referencePeakThreads(lines("fork.trace")));
        assertThat(fork.stats().count(io.jocclum.sgx.cost.CostEvent.EAUG))
                .as("touching all pages commits more than touching none").isGreaterThan(mt.stats()
                        .count(io.jocclum.sgx.cost.CostEvent.EAUG));
    }

    @Test
    void aUserSpaceTooSmallNamesTheFirstCallThatFails() throws Exception {
        ReplayRun.Outcome o = ReplayRun.run(instance("small", "40MB"), BootOptions.defaults(), events("fork.trace"),
                Replay.Touch.parse("none"));
        assertThat(o.fits()).isFalse();
        Replay.Failure f = o.result().failure();
        assertThat(f.errno()).isEqualTo("ENOMEM");
        assertThat(lines("fork.trace").get(f.line() - 1)).contains(f.call().substring(0, f.call().indexOf('(')));
        assertThat(f.limit()).contains("user_space");
    }

    @Test
    void aBrkHeapAboveDefaultHeapSizeNamesTheBrkAndTheKey() throws Exception {
        // the trace's heap grows by 6 MB, then by 12 MB; the enclave's brk heap is 8 MB
        BuiltEnclave small = TestInstance.builder(tmp.resolve("small-heap")).edmm(false)
                .set("resource_limits.user_space_size", "256MB").set("resource_limits.user_space_max_size", "256MB")
                .set("process.default_heap_size", "8MB").build();
        List<String> trace = List.of(
                "7001  10:00:00.000001 brk(NULL)         = 0x555555560000 <0.000010>",
                "7001  10:00:00.000002 brk(0x555555b60000) = 0x555555b60000 <0.000010>",
                "7001  10:00:00.000003 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"
                        + " <0.000010>",
                "7001  10:00:00.000004 brk(0x555556760000) = 0x555556760000 <0.000010>",
                "7001  10:00:00.000005 exit_group(0)     = ?",
                "7001  10:00:00.000006 +++ exited with 0 +++");
        List<TraceEvent> ev = new StraceReader().read(new BufferedReader(new java.io.StringReader(String.join("\n", trace))), 0)
                .events();
        ReplayRun.Outcome o = ReplayRun.run(small, BootOptions.defaults(), ev, Replay.Touch.parse("none"));
        assertThat(o.fits()).isFalse();
        Replay.Failure f = o.result().failure();
        assertThat(f.line()).as("the second growth, to 18 MB, is the first that does not fit in 8 MB").isEqualTo(4);
        assertThat(f.call()).startsWith("brk(");
        assertThat(f.errno()).isEqualTo("ENOMEM");
        assertThat(f.limit()).contains("process.default_heap_size");
        assertThat(o.result().processes().getFirst().peakBrkBytes()).as("the heap that did fit").isEqualTo(6L << 20);

        BuiltEnclave enough = TestInstance.builder(tmp.resolve("enough-heap")).edmm(false)
                .set("resource_limits.user_space_size", "256MB").set("resource_limits.user_space_max_size", "256MB")
                .set("process.default_heap_size", "24MB").build();
        ReplayRun.Outcome ok = ReplayRun.run(enough, BootOptions.defaults(), ev, Replay.Touch.parse("none"));
        assertThat(ok.result().failure()).isNull();
        assertThat(ok.result().processes().getFirst().peakBrkBytes()).isEqualTo(18L << 20);
    }

    @Test
    void moreThreadsThanMaxNumOfThreadsNamesTheClone() throws Exception {
        // non-EDMM: TCS Max is max_num_of_threads (an EDMM build allows at least 4096)
        BuiltEnclave two = TestInstance.builder(tmp.resolve("two-threads")).edmm(false)
                .set("resource_limits.user_space_size", "128MB").set("resource_limits.user_space_max_size", "128MB")
                .set("resource_limits.max_num_of_threads", 2).build();
        ReplayRun.Outcome o = ReplayRun.run(two, BootOptions.defaults(), events("mt.trace"), Replay.Touch.parse("none"));
        assertThat(o.fits()).isFalse();
        Replay.Failure f = o.result().failure();
        assertThat(f.errno()).isEqualTo("EAGAIN");
        assertThat(f.call()).startsWith("clone3(");
        assertThat(lines("mt.trace").get(f.line() - 1)).contains("clone3(");
        assertThat(f.limit()).contains("resource_limits.max_num_of_threads");
    }

    @Test
    void anUnreadableArgumentIsAFormatErrorWithItsLine() throws Exception {
        List<TraceEvent> ev = new StraceReader().read(new BufferedReader(new java.io.StringReader(String.join("\n",
                "100 brk(NULL) = 0x5000",
                "100 mmap(NULL, 40z6, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
                "100 exit_group(0) = ?"))), 0).events();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReplayRun.run(instance("big", "8GB"),
                BootOptions.defaults(), ev, Replay.Touch.parse("none")))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("'40z6' is not a number");
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 120, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // it used to hang
    void aCloneThatReturnsTheTidOfALiveThreadIsAFormatErrorWithItsLine() throws Exception {
        int cases = 0;
        for (String trace : List.of("fork.trace", "mt.trace")) {
            List<String> original = lines(trace);
            for (int clone = 0; clone < original.size(); clone++) {
                String line = original.get(clone);
                if (!(line.contains(" clone(") || line.contains(" clone3(")) || line.contains("unfinished")) {
                    continue;
                }
                List<String> lines = new java.util.ArrayList<>(original);
                lines.add(clone + 1, line); // the same clone twice: a second thread with the tid of a live one
                List<TraceEvent> ev = new StraceReader().read(new BufferedReader(new java.io.StringReader(String.join("\n", lines))), 0)
                        .events();
                int second = clone + 2;
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReplayRun.run(instance("big", "8GB"),
                        BootOptions.defaults(), ev, Replay.Touch.parse("none"))).as(trace + " line " + second)
                        .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(second))
                        .hasMessageContaining("still alive");
                cases++;
            }
        }
        assertThat(cases).as("the clones of both traces").isGreaterThanOrEqualTo(5);
    }

    private static List<TraceEvent> parse(String... lines) throws IOException {
        return new StraceReader().read(new BufferedReader(new java.io.StringReader(String.join("\n", lines))), 0).events();
    }

    @Test
    void descriptorsOfTheTraceAreKernelObjectsAndATooSmallKernelHeapNamesTheCallAndTheKey() throws Exception {
        List<TraceEvent> ev = parse(
                "7001  10:00:00.000001 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3 <0.000010>",
                "7001  10:00:00.000002 pipe2([4, 5], O_CLOEXEC) = 0 <0.000010>",
                "7001  10:00:00.000003 epoll_create1(EPOLL_CLOEXEC) = 6 <0.000010>",
                "7001  10:00:00.000004 epoll_ctl(6, EPOLL_CTL_ADD, 4, {events=EPOLLIN, data={u32=4, u64=4}}) = 0 <0.000010>",
                "7001  10:00:00.000005 dup(3) = 7 <0.000010>",
                "7001  10:00:00.000006 close(3) = 0 <0.000010>",
                "7001  10:00:00.000007 pipe2([3, 8], 0) = 0 <0.000010>",
                "7001  10:00:00.000008 exit_group(0)     = ?",
                "7001  10:00:00.000009 +++ exited with 0 +++");
        BuiltEnclave roomy = TestInstance.builder(tmp.resolve("kheap-roomy")).edmm(false)
                .set("resource_limits.user_space_size", "128MB").set("resource_limits.kernel_space_heap_size", "8MB").build();
        ReplayRun.Outcome ok = ReplayRun.run(roomy, BootOptions.defaults(), ev, Replay.Touch.parse("none"));
        assertThat(ok.result().failure()).isNull();
        assertThat(ok.result().replayed()).containsEntry("pipe2", 2).containsEntry("epoll_ctl", 1).containsEntry("dup", 1);
        assertThat(List.copyOf(ok.result().replayed().keySet())).as("counts iterate by call name, the same on every run")
                .isSorted();
        long pipe = io.jocclum.libos.kheap.KernelHeap.Kind.PIPE_BUFFER.bytes();
        Replay.ProcessPeak p = ok.result().processes().getFirst();
        assertThat(p.peakKernelHeapBytes()).as("two pipe buffers, the files, the epoll and its item")
                .isGreaterThan(2 * pipe).isLessThan(2 * pipe + (64 << 10));
        Replay.KernelHeapUse k = ok.result().kernelHeap();
        assertThat(k.peak()).isGreaterThanOrEqualTo(k.atStart() + 2 * pipe);
        assertThat(k.limit()).isEqualTo(8L << 20);

        BuiltEnclave small = TestInstance.builder(tmp.resolve("kheap-small")).edmm(false)
                .set("resource_limits.user_space_size", "128MB").set("resource_limits.kernel_space_heap_size", "2MB").build();
        ReplayRun.Outcome o = ReplayRun.run(small, BootOptions.defaults(), ev, Replay.Touch.parse("none"));
        Replay.Failure f = o.result().failure();
        assertThat(f).as("the second 1MB pipe buffer does not fit in 2MB").isNotNull();
        assertThat(f.line()).isEqualTo(7);
        assertThat(f.call()).startsWith("pipe2(");
        assertThat(f.errno()).isEqualTo("ENOMEM");
        assertThat(f.limit()).contains("kernel_space_heap_max_size").contains("kernel_space_heap_size");
    }
}
