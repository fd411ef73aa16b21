package io.jocclum.bench.os;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cold process as a user starts it: {@code bin/jocclum run /bin/hello} in a freshly built
 * instance ({@code jocclum new} + {@code jocclum build}), timed from the start of the launcher
 * script to the end of the process (the launcher's JDK and freshness checks, JVM start, boot,
 * the program, exit). For reference, in the same rounds: {@code java -version} with the launcher's
 * JVM options (a JVM that starts and exits) and {@code bin/jocclum --version} (the launcher and the
 * CLI without an enclave). The checkout is {@link #HOME}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ColdRunBench {
    /** System property naming the jocclum checkout whose {@code bin/jocclum} is timed. */
    public static final String HOME = "jocclum.home";

    private Path dir;
    private Path instance;
    private Path jocclum;
    private String java;

    @Setup(Level.Trial)
    public void setup() throws IOException, InterruptedException {
        String home = System.getProperty(HOME);
        if (home == null) {
            throw new IllegalStateException("the system property " + HOME + " does not name the jocclum checkout (bin/bench sets it)");
        }
        jocclum = Path.of(home, "bin", "jocclum");
        java = io.jocclum.bench.harness.BenchContext.javaCommand(List.of(), ColdRunBench.class, List.of()).getFirst();
        dir = Files.createTempDirectory("jocclum-bench-cold-");
        instance = dir.resolve("hello");
        exec(dir, jocclum.toString(), "new", instance.toString());
        exec(instance, jocclum.toString(), "build");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BootBench.delete(dir);
    }

    private static String exec(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed with status " + p.exitValue() + ": " + out);
        }
        return out;
    }

    @Benchmark
    public String hello() throws IOException, InterruptedException {
        String out = exec(instance, jocclum.toString(), "run", "/bin/hello");
        if (out.isEmpty()) {
            throw new IllegalStateException("/bin/hello printed nothing");
        }
        return out;
    }

    @Benchmark
    public String jvm() throws IOException, InterruptedException {
        return exec(instance, java, "-XX:+UseSerialGC", "-Xss2m", "-version");
    }

    @Benchmark
    public String cli() throws IOException, InterruptedException {
        return exec(instance, jocclum.toString(), "--version");
    }
}
