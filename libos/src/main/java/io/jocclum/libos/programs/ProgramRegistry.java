package io.jocclum.libos.programs;

import io.jocclum.api.GuestProgram;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The built-in programs, found by name under {@code /bin}: {@code hello}, {@code memtest},
 * {@code spawntest}, {@code pipebench}, {@code epollecho}, {@code dcap-test}, plus whatever a test or embedding registers with {@link #with}. Immutable.
 * A built-in's program image is the bytes of its entry class file, so its process gets an image
 * region the size of its code, as an ELF program would.
 */
public final class ProgramRegistry {
    /** The directory built-ins appear in. */
    public static final String BIN = "/bin/";

    /** One built-in: its name, how to make its entry object, its image bytes. */
    public record Builtin(String name, Supplier<GuestProgram> factory, byte[] image) {
    }

    private final Map<String, Builtin> byName;

    private ProgramRegistry(Map<String, Builtin> byName) {
        // registration order, so that a list of the built-ins reads the same on every run
        this.byName = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    /** hello, memtest, spawntest, pipebench, epollecho and dcap-test. */
    public static ProgramRegistry standard() {
        return empty().with("hello", Hello::new).with("memtest", MemTest::new).with("spawntest", SpawnTest::new)
                .with("pipebench", PipeBench::new).with("epollecho", EpollEcho::new).with("dcap-test", DcapTest::new);
    }

    /** No built-ins. */
    public static ProgramRegistry empty() {
        return new ProgramRegistry(Map.of());
    }

    /** This registry plus {@code /bin/NAME} running {@code factory} (replacing an existing one of that name). */
    public ProgramRegistry with(String name, Supplier<GuestProgram> factory) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("a built-in name is one path component, got \"" + name + "\"");
        }
        Map<String, Builtin> m = new LinkedHashMap<>(byName);
        m.put(name, new Builtin(name, factory, classBytes(factory.get().getClass(), name)));
        return new ProgramRegistry(m);
    }

    /** The built-in of {@code name}, if any. */
    public Optional<Builtin> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The names, in registration order. */
    public java.util.Set<String> names() {
        return byName.keySet();
    }

    /** The class file of {@code cls} (its program image), or the name's bytes for classes without one (lambdas). */
    static byte[] classBytes(Class<?> cls, String name) {
        String resource = "/" + cls.getName().replace('.', '/') + ".class";
        try (InputStream in = cls.getResourceAsStream(resource)) {
            if (in != null) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ("builtin " + name).getBytes(StandardCharsets.UTF_8);
    }
}
