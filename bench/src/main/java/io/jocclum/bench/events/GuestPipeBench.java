package io.jocclum.bench.events;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.testing.TestInstance;
import io.jocclum.sgx.epc.Ksgxd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pipe throughput as a guest program sees it: one operation is {@code /bin/pipebench --block 64K
 * --total 256M} run in a booted LibOS — two guest processes (the reader spawned with its stdin set
 * by a posix_spawn dup2 action), every 64 KiB write and read a system call through the façade,
 * the bytes copied into and out of guest memory on both sides, plus the two processes' creation
 * and exit (a few milliseconds, small against the transfer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
public class GuestPipeBench {
    /** Bytes per operation. */
    public static final long TOTAL = 256L << 20;

    private Path dir;
    private LibOs os;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("jocclum-bench-guest-pipe-");
        BuiltEnclave built = TestInstance.builder(dir).edmm(false)
                .set("resource_limits.user_space_size", "64MB")
                .set("resource_limits.max_num_of_threads", 8)
                .set("process.default_heap_size", "4MB")
                .build();
        os = LibOs.boot(built, BootOptions.defaults()
                .withPlatform(PlatformSettings.defaults().withEpcBytes(1L << 30).withKsgxd(Ksgxd.Mode.MANUAL))
                .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), err));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        os.close();
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Benchmark
    public int ours() throws InterruptedException {
        int status = os.run("/bin/pipebench", List.of("--block", "64K", "--total", Long.toString(TOTAL)));
        if (status != 0) {
            throw new IllegalStateException("pipebench failed with wait status " + status + ": " + err.toString(StandardCharsets.UTF_8));
        }
        return status;
    }
}
