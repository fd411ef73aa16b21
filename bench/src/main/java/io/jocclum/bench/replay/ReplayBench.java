package io.jocclum.bench.replay;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.replay.Replay;
import io.jocclum.libos.replay.ReplayRun;
import io.jocclum.libos.replay.StraceReader;
import io.jocclum.libos.testing.TestInstance;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * One whole replay of a recorded {@code strace -f -tt -T} trace, as {@code jocclum replay} does it
 * after the boot (read and parse every line, replay the memory calls of every process and thread
 * through the guest system calls, touching pages as {@code --touch} says, collect the report),
 * against reading the same text line by line and splitting each line into its fields. Both score
 * whole passes over the same file, so their ratio is the ratio of lines per second. The instance
 * boots once per trial: the boot is a fixed cost of each {@code jocclum replay}, independent of
 * the trace, measured by {@code os-boot-edmm-16g}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ReplayBench {
    private static final Pattern FIELDS = Pattern.compile("[\\s(),=]+");

    /** A trace recorded with strace (a Python run), as kept with the LibOS's replay tests. */
    static final String TRACE = "python.trace.gz";

    private byte[] text;
    private int lines;
    private Path dir;
    private LibOs os;
    private volatile Replay current;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        text = load(TRACE);
        lines = (int) new String(text, StandardCharsets.UTF_8).lines().count();
        dir = Files.createTempDirectory("jocclum-bench-replay-");
        BuiltEnclave built = TestInstance.builder(dir).edmm(true).set("resource_limits.user_space_size", "64MB")
                .set("resource_limits.user_space_max_size", "8GB").set("resource_limits.max_num_of_threads", 32).build();
        os = LibOs.boot(built, BootOptions.defaults().withPrograms(BootOptions.defaults().programs()
                .with(ReplayRun.ROOT_PROGRAM, () -> (sys, argv, envp) -> current.root().main(sys, argv, envp))
                .with(Replay.CHILD_PROGRAM, () -> (sys, argv, envp) -> current.child().main(sys, argv, envp))));
    }

    /** The uncompressed text of a trace kept with the replay tests. */
    static byte[] load(String name) throws IOException {
        try (InputStream raw = ReplayBench.class.getResourceAsStream("/io/jocclum/libos/replay/" + name)) {
            if (raw == null) {
                throw new IOException("the trace " + name + " is missing from the benchmark jar");
            }
            try (InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                return in.readAllBytes();
            }
        }
    }

    /** Lines in the trace (for the lines-per-second figures). */
    int lines() {
        return lines;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (os != null) {
            os.close();
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private BufferedReader reader() {
        return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(text), StandardCharsets.UTF_8));
    }

    /** {@code --touch all}, the default of jocclum replay. */
    @Benchmark
    public Object replay() throws IOException, InterruptedException {
        return replay("all");
    }

    /** {@code --touch none}: the calls alone, no page committed by a touch. */
    @Benchmark
    public Object replayTouchingNone() throws IOException, InterruptedException {
        return replay("none");
    }

    private Replay.Result replay(String touch) throws IOException, InterruptedException {
        current = new Replay(new StraceReader().read(reader(), 0).events(), Replay.Touch.parse(touch));
        int status = os.run("/bin/" + ReplayRun.ROOT_PROGRAM, List.of());
        Replay.Result r = current.result();
        if (status != 0 || r.failure() != null) {
            throw new IllegalStateException("the replay failed (status " + status + "): " + r.failure());
        }
        return r;
    }

    @Benchmark
    public long readAndSplit() throws IOException {
        long fields = 0;
        try (BufferedReader in = reader()) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                fields += FIELDS.split(line).length;
            }
        }
        return fields;
    }
}
