package io.jocclum.libos.os;

import io.jocclum.api.GuestProgram;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.programs.ProgramRegistry;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A booted LibOS for tests: guest programs are registered by name at run time (built-ins
 * {@code /bin/main}, {@code /bin/child}, {@code /bin/child2}, {@code /bin/child3} dispatch to
 * whatever the test put under that name), output is captured per run.
 */
final class Booted implements AutoCloseable {
    static final List<String> SLOTS = List.of("main", "child", "child2", "child3");

    /** What a run produced. */
    record Result(int status, String out, String err) {
        /** Exited with 0 (else fails showing stderr, where a failed assertion inside the guest is reported). */
        Result assertOk() {
            org.assertj.core.api.Assertions.assertThat(status).as("wait status; stderr: %s", err).isZero();
            return this;
        }
    }

    final LibOs os;
    final Matrix matrix;
    private final Map<String, GuestProgram> programs;
    private final Capture out;
    private final Capture err;

    private Booted(LibOs os, Matrix matrix, Map<String, GuestProgram> programs, Capture out, Capture err) {
        this.os = os;
        this.matrix = matrix;
        this.programs = programs;
        this.out = out;
        this.err = err;
    }

    static Booted boot(BuiltEnclave built, Matrix m, PlatformSettings platform) {
        return boot(built, m, platform, java.time.InstantSource.fixed(java.time.Instant.EPOCH));
    }

    /** A LibOS whose wall clock (CLOCK_REALTIME, the time VER_DCAP_QUOTE checks collateral at) is {@code wall}. */
    static Booted boot(BuiltEnclave built, Matrix m, PlatformSettings platform, java.time.InstantSource wall) {
        java.nio.file.Path upper;
        try {
            // each boot its own upper layer: a shared instance's boots are alive at once
            java.nio.file.Files.createDirectories(built.paths().root().resolve("run"));
            upper = java.nio.file.Files.createTempDirectory(built.paths().root().resolve("run"), "upper-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return boot(built, m, platform, wall, upper);
    }

    /** A LibOS whose root union's upper layer is the SEFS in {@code upper} (kept across boots). */
    static Booted boot(BuiltEnclave built, Matrix m, PlatformSettings platform, java.time.InstantSource wall,
                       java.nio.file.Path upper) {
        Map<String, GuestProgram> programs = new ConcurrentHashMap<>();
        ProgramRegistry reg = ProgramRegistry.standard();
        for (String s : SLOTS) {
            reg = reg.with(s, () -> new Slot(programs, s));
        }
        Capture out = new Capture();
        Capture err = new Capture();
        LibOs os = LibOs.boot(built, BootOptions.defaults().withPlatform(platform.withSgx2(m.sgx2)).withPrograms(reg)
                .withStdio(InputStream.nullInputStream(), out, err).withClocks(io.jocclum.libos.events.WaitClock.system(), wall)
                .withUpperLayer(upper));
        return new Booted(os, m, programs, out, err);
    }

    /** Puts {@code p} under /bin/{@code slot} for the next runs. */
    Booted program(String slot, GuestProgram p) {
        if (!SLOTS.contains(slot)) {
            throw new IllegalArgumentException("no slot " + slot);
        }
        programs.put(slot, p);
        return this;
    }

    /** Runs {@code p} as /bin/main with {@code args}. */
    Result run(GuestProgram p, String... args) throws InterruptedException {
        program("main", p);
        return runPath("/bin/main", args);
    }

    /** Runs {@code path} (a built-in or a test slot) as init. */
    Result runPath(String path, String... args) throws InterruptedException {
        out.reset();
        err.reset();
        int st = os.run(path, List.of(args));
        return new Result(st, out.text(), err.text());
    }

    @Override
    public void close() {
        os.close();
    }

    /** A program of a test slot, looked up when the process starts. */
    static final class Slot implements GuestProgram {
        private final Map<String, GuestProgram> programs;
        private final String name;

        Slot(Map<String, GuestProgram> programs, String name) {
            this.programs = programs;
            this.name = name;
        }

        @Override
        public int main(Syscalls sys, String[] argv, String[] envp) throws Exception {
            GuestProgram p = programs.get(name);
            if (p == null) {
                throw new IllegalStateException("no test program in slot " + name);
            }
            return p.main(sys, argv, envp);
        }
    }

    static final class Capture extends ByteArrayOutputStream {
        synchronized String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }
}
