package io.jocclum.bench.os;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.layout.BuiltEnclave;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/**
 * {@code LibOs.boot} of an EDMM instance of Occlum's template with a 16 GB
 * {@code user_space_max_size} on the default platform; the close after each boot is not timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class BootBench {
    private Path dir;
    private BuiltEnclave built;
    private LibOs os;

    /** The instance of this benchmark, built in {@code dir}. */
    static BuiltEnclave build(Path dir) {
        return TestInstance.builder(dir).edmm(true).set("resource_limits.user_space_max_size", "16GB").build();
    }

    static void delete(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("jocclum-bench-boot-");
        built = build(dir);
    }

    @TearDown(Level.Invocation)
    public void close() {
        if (os != null) {
            os.close();
            os = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        delete(dir);
    }

    @Benchmark
    public LibOs boot() {
        os = LibOs.boot(built, BootOptions.defaults());
        return os;
    }
}
