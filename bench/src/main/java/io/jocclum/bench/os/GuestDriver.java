package io.jocclum.bench.os;

import io.jocclum.api.GuestProgram;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.programs.ProgramRegistry;
import io.jocclum.libos.testing.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.SynchronousQueue;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * A booted LibOS whose process 1 is a benchmark guest: it takes work items from the benchmark
 * thread and runs each on its own guest thread (the only thread that may use its
 * {@link Syscalls}), so a JMH method can time real system calls of a real guest. The handoff (two
 * {@link SynchronousQueue} transfers: a few microseconds of CPU, but each wakes a thread that slept
 * through the item, tens of microseconds of wall time on a virtual machine) is paid once per work
 * item; a work item runs a batch of calls, so it is spread over the batch.
 */
public final class GuestDriver implements AutoCloseable {
    private static final ToLongFunction<Syscalls> STOP = s -> 0;

    private final Path dir;
    private final LibOs os;
    private final SynchronousQueue<ToLongFunction<Syscalls>> work = new SynchronousQueue<>();
    private final SynchronousQueue<Long> done = new SynchronousQueue<>();
    private final Thread runner;

    /** Builds an EDMM instance of Occlum's template in a temporary directory and boots it on the default platform. */
    public GuestDriver() {
        this(b -> { }, ProgramRegistry.standard());
    }

    /**
     * Builds an EDMM instance of Occlum's template changed by {@code config} in a temporary
     * directory and boots it on the default platform with {@code programs} (plus the benchmark
     * guest, {@code /bin/benchguest}).
     */
    public GuestDriver(Consumer<TestInstance.Builder> config, ProgramRegistry programs) {
        try {
            dir = Files.createTempDirectory("jocclum-bench-os-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestInstance.Builder b = TestInstance.builder(dir).edmm(true);
        config.accept(b);
        BuiltEnclave built = b.build();
        ProgramRegistry reg = programs.with("benchguest", () -> new Guest(work, done));
        os = LibOs.boot(built, BootOptions.defaults().withPrograms(reg)
                .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), System.err));
        runner = Thread.ofPlatform().name("bench-libos-run").start(() -> {
            try {
                os.run("/bin/benchguest", java.util.List.of());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** The booted LibOS. */
    public LibOs os() {
        return os;
    }

    /** Runs {@code item} on the guest's main thread and returns its result. */
    public long call(ToLongFunction<Syscalls> item) {
        try {
            work.put(item);
            return done.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            work.put(STOP);
            runner.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        os.close();
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory
        }
    }

    /** The guest: runs work items until STOP. */
    public static final class Guest implements GuestProgram {
        private final SynchronousQueue<ToLongFunction<Syscalls>> work;
        private final SynchronousQueue<Long> done;

        Guest(SynchronousQueue<ToLongFunction<Syscalls>> work, SynchronousQueue<Long> done) {
            this.work = work;
            this.done = done;
        }

        @Override
        public int main(Syscalls sys, String[] argv, String[] envp) throws InterruptedException {
            for (ToLongFunction<Syscalls> item = work.take(); item != STOP; item = work.take()) {
                done.put(item.applyAsLong(sys));
            }
            return 0;
        }
    }
}
