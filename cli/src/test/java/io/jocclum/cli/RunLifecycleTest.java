package io.jocclum.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@code jocclum run} ends, checked on a real process: {@code Main.main} in a child JVM with a
 * small heap, started in a built EDMM instance. A guest whose memory is several times the JVM's
 * heap runs (EPC and backing pages live outside the heap); a run that still exhausts the heap ends
 * with status 1 and one sentence, whichever thread meets the exhausted heap first (also shown by
 * {@link HeapStorm}, many threads at once); SIGTERM and SIGINT end a spinning guest with 143 and
 * 130. No Java exception text reaches the terminal. {@code waitFor} timeouts only guard against a
 * hang.
 */
class RunLifecycleTest {
    private static final long HANG_GUARD_SECONDS = 300;

    @TempDir
    static Path tmp;
    static Path inst;

    @BeforeAll
    static void buildEdmmInstance() throws IOException {
        inst = Run.smallInstance(tmp, "life");
        Run.Result r = Run.jocclum(inst, "build", "--enable-edmm", "--sign-key", Run.key(tmp, "key-a.pem").toString());
        assertThat(r.exit()).as(r.err()).isZero();
    }

    /** {@code java -Xmx<heap> ... io.jocclum.cli.Main run ARGS} in the instance, stderr into a file. */
    static Process jocclum(String heap, Path stderr, String... runArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(runArgs));
        return java(heap, stderr, Main.class, args);
    }

    /** {@code java -Xmx<heap> ... MAIN ARGS} in the instance, stderr into a file. */
    static Process java(String heap, Path stderr, Class<?> main, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Xmx" + heap, "-XX:+UseSerialGC", "-Xss2m", "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(inst.toFile()).redirectError(stderr.toFile()).start();
    }

    /** Waits for the end (a hang fails the test) and returns its status. */
    static int end(Process p) throws InterruptedException {
        boolean ended = p.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        assertThat(ended).as("the run ended").isTrue();
        return p.exitValue();
    }

    /**
     * Skips a test that sends SIGINT to a child JVM when this process ignores SIGINT (as a job that a
     * shell without job control put in the background does): the child inherits the ignored
     * disposition, and the JVM then installs no SIGINT handler, as a program started that way must not.
     */
    static void assumeSigintReachesChildren() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                long ignored = Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16);
                org.junit.jupiter.api.Assumptions.assumeTrue((ignored & (1L << (2 - 1))) == 0,
                        "SIGINT is ignored by this process (started in the background without job control), so its children"
                                + " ignore it too; run the suite in the foreground to test SIGINT");
            }
        }
    }

    static void noJavaText(String s) {
        assertThat(s).doesNotContain("Exception").doesNotContain("Error:").doesNotContain("\tat ")
                .doesNotContain("at io.").doesNotContain("java.");
    }

    /** The one sentence of a JVM whose heap ran out, and nothing else. */
    static void heapSentenceOnly(String stderr) {
        assertThat(stderr.strip().lines()).as(stderr).singleElement().asString().matches("jocclum: the JVM ran out of heap"
                + " \\(its limit is [0-9]+MB\\); give it more with JOCCLUM_JAVA_OPTS=-Xmx<size>, or give the program less"
                + " memory\\.");
        noJavaText(stderr);
    }

    @Test
    void aGuestWithSeveralTimesTheHeapInEnclaveMemoryRuns() throws Exception {
        // 256MB of guest pages through a 64MB EPC (evictions to the backing store) in a 48MB heap
        Path err = tmp.resolve("big.err");
        Process p = jocclum("48m", err, "--epc", "64MB", "--stats", "/bin/memtest", "--size", "256MB", "--touch", "1");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = end(p);
        String e = Files.readString(err);
        assertThat(status).as(out + e).isZero();
        assertThat(out).contains("memtest: ok: 1 rounds, 65536 pages touched, 0 errors");
        assertThat(e).containsPattern("EWB +[0-9,]+ +[1-9][0-9,]*"); // pages really went to the backing store
        noJavaText(out + e);
    }

    @Test
    void aRunThatStillExhaustsTheHeapEndsWithOneSentence() throws Exception {
        // page metadata of 2GB of guest memory does not fit in 24MB
        Path err = tmp.resolve("oom.err");
        Process p = jocclum("24m", err, "--epc", "128MB", "/bin/memtest", "--size", "2GB", "--touch", "1");
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        int status = end(p);
        String e = Files.readString(err);
        // the JVM's heap is the host's: its end is a failure of jocclum (1), not a guest the OOM killer chose (137),
        // whether the guest's thread, ksgxd or another one meets the exhausted heap first
        assertThat(status).as(e).isEqualTo(1);
        assertThat(e).contains("(its limit is 2"); // -Xmx24m
        heapSentenceOnly(e);
    }

    @RepeatedTest(5)
    void theHeapRunningOutOnManyThreadsAtOnceEndsWithStatusOneAndOneSentence(RepetitionInfo rep) throws Exception {
        Path err = tmp.resolve("storm-" + rep.getCurrentRepetition() + ".err");
        Process p = java("16m", err, HeapStorm.class, List.of());
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        int status = end(p);
        String e = Files.readString(err);
        assertThat(status).as(e).isEqualTo(1);
        heapSentenceOnly(e);
    }

    @ParameterizedTest
    @CsvSource({"TERM, 143", "INT, 130"})
    void aSignalEndsASpinningGuestWith128PlusItsNumber(String signal, int expected) throws Exception {
        if (signal.equals("INT")) {
            assumeSigintReachesChildren();
        }
        Path err = tmp.resolve("sig" + signal + ".err");
        Process p = jocclum("256m", err, "/bin/memtest", "--size", "64KB", "--rounds", "1048576");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("the guest runs").startsWith("memtest: round 1:");
        Thread drain = Thread.ofVirtual().start(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
        int status = end(p);
        drain.join();
        String e = Files.readString(err);
        assertThat(status).as(e).isEqualTo(expected);
        assertThat(e.strip()).isEqualTo("jocclum: stopped by SIG" + signal + ".");
    }
}
