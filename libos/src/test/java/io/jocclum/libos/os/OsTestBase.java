package io.jocclum.libos.os;

import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.sgx.epc.Ksgxd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Base of the LibOS black-box tests. {@link #os(Matrix)} boots (once per test class and matrix
 * cell) the small test configuration below; every test then runs guest programs in it; after
 * every test the invariant checker of the whole stack runs (VMAs, chunks, free space, commit
 * tracker against the EPCM and page contents; EPC, LRUs, VA slots, backing store, cgroup
 * counters; fd tables and open files; TCS pool; no internal error), and after the class the
 * LibOS is shut down (which checks that the user space is entirely free again).
 *
 * <p>Test configuration (Occlum's template with): kernel heap 8MB, kernel stacks 256KB, user space
 * 64MB (the Init on EDMM; 16GB Max + 1GB), 8 threads, process heap 4MB and stack 256KB. Platform:
 * 1GB EPC, ksgxd MANUAL (deterministic).
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OsTestBase {
    private static final Map<String, BuiltEnclave> BUILT = new ConcurrentHashMap<>();
    private static Path root;
    private final Map<Matrix, Booted> booted = new EnumMap<>(Matrix.class);
    private final List<Booted> extra = new ArrayList<>();

    static final PlatformSettings PLATFORM = PlatformSettings.defaults().withEpcBytes(1L << 30).withKsgxd(Ksgxd.Mode.MANUAL);

    /** The test configuration on top of Occlum's template. */
    static void standard(io.jocclum.libos.testing.TestInstance.Builder b) {
        b.set("resource_limits.kernel_space_heap_size", "8MB")
                .set("resource_limits.kernel_space_stack_size", "256KB")
                .set("resource_limits.user_space_size", "64MB")
                .set("resource_limits.max_num_of_threads", 8)
                .set("process.default_heap_size", "4MB")
                .set("process.default_stack_size", "256KB");
    }

    /** A built instance of the standard configuration plus {@code extra}, cached per {@code key} and EDMM flag. */
    static synchronized BuiltEnclave instance(String key, boolean edmm, Consumer<io.jocclum.libos.testing.TestInstance.Builder> extra) {
        return BUILT.computeIfAbsent(key + "/" + edmm, k -> {
            try {
                if (root == null) {
                    root = Files.createTempDirectory("jocclum-os-test-");
                    Path r = root;
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(r)));
                }
                io.jocclum.libos.testing.TestInstance.Builder b = io.jocclum.libos.testing.TestInstance.builder(root.resolve(k.replace('/', '-'))).edmm(edmm);
                standard(b);
                extra.accept(b);
                return b.build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The standard LibOS of this test class in matrix cell {@code m}. */
    Booted os(Matrix m) {
        return booted.computeIfAbsent(m, x -> Booted.boot(instance("standard", x.edmmBuild, b -> { }), x, PLATFORM));
    }

    /** A LibOS of a special configuration, closed (after its invariants are checked) after the test. */
    Booted boot(String key, Matrix m, PlatformSettings platform, Consumer<io.jocclum.libos.testing.TestInstance.Builder> cfg) {
        return boot(key, m, platform, java.time.InstantSource.fixed(java.time.Instant.EPOCH), cfg);
    }

    /** As above, with the LibOS wall clock {@code wall}. */
    Booted boot(String key, Matrix m, PlatformSettings platform, java.time.InstantSource wall,
                Consumer<io.jocclum.libos.testing.TestInstance.Builder> cfg) {
        Booted b = Booted.boot(instance(key, m.edmmBuild, cfg), m, platform, wall);
        extra.add(b);
        return b;
    }

    @AfterEach
    void checkInvariantsAfterEachTest() {
        List<Throwable> failures = new ArrayList<>();
        for (Booted b : booted.values()) {
            check(b, failures);
        }
        for (Booted b : extra) {
            check(b, failures);
            try {
                b.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        extra.clear();
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("after the test: " + failures.getFirst().getMessage());
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    private static void check(Booted b, List<Throwable> failures) {
        try {
            if (!quiesced(b, java.time.Duration.ofSeconds(30))) {
                b.os.kernel().killAll();
                failures.add(new AssertionError("processes were still running 30 s after the test; killed them"));
                if (!quiesced(b, java.time.Duration.ofSeconds(30))) {
                    throw new AssertionError("killed processes did not end (a guest thread in a pure compute loop?)");
                }
            }
            b.os.checkInvariants();
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    /** Waits at most {@code d} for every process to end (a host thread with a bounded join: no sleeping). */
    private static boolean quiesced(Booted b, java.time.Duration d) throws InterruptedException {
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                b.os.kernel().awaitQuiescent();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        if (!t.join(d)) {
            t.interrupt();
            return false;
        }
        return true;
    }

    @AfterAll
    void closeAll() {
        for (Booted b : booted.values()) {
            b.close();
        }
        booted.clear();
    }

    private static void delete(Path r) {
        try (var s = Files.walk(r)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
