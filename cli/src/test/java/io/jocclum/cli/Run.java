package io.jocclum.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code jocclum} in-process with captured output, a given environment and working directory. */
final class Run {
    /** Every run sees this date unless a test says otherwise, so SIGSTRUCTs are reproducible. */
    static final Map<String, String> ENV = Map.of("SOURCE_DATE_EPOCH", "1700000000");

    record Result(int exit, String out, String err) {
        /** No stack trace ever reaches the user. */
        Result noTrace() {
            assertThat(err).doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(out).doesNotContain("\tat ");
            return this;
        }
    }

    private Run() {
    }

    /** {@code examples/SUB} of the checkout, found from the working directory upwards. */
    static Path example(String sub) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples").resolve(sub))) {
                return p.resolve("examples").resolve(sub);
            }
        }
        throw new IllegalStateException("examples/" + sub + " not found above " + Path.of("").toAbsolutePath());
    }

    static Result jocclum(Path cwd, String... args) {
        return jocclum(cwd, Map.of(), args);
    }

    static Result jocclum(Path cwd, Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> all = new HashMap<>(ENV);
        all.putAll(env);
        Cli cli = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                all, cwd, Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
        int exit = Main.run(cli, args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)).noTrace();
    }

    /** A new instance {@code dir/name} with small sizes (so a non-EDMM load is quick). */
    static Path smallInstance(Path dir, String name) throws IOException {
        assertThat(jocclum(dir, "new", name).exit()).isZero();
        Path inst = dir.resolve(name);
        Path json = inst.resolve("Occlum.json");
        String s = Files.readString(json).replace("\"300MB\"", "\"64MB\"").replace("\"32MB\"", "\"8MB\"")
                .replace("\"100MB\"", "\"8MB\"").replace("\"4MB\"", "\"256KB\"");
        Files.writeString(json, s);
        return inst;
    }

    /** A test key file (RSA-3072, e=3) copied out of the test resources. */
    static Path key(Path dir, String name) {
        try (InputStream in = Run.class.getResourceAsStream(name)) {
            Path p = dir.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every regular file under {@code dir} (relative path → bytes), lock file excluded. */
    static Map<String, String> files(Path dir) {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String rel = dir.relativize(p).toString();
                if (Files.isRegularFile(p) && !rel.equals(".lock")) {
                    m.put(rel, java.util.HexFormat.of().formatHex(Files.readAllBytes(p)) + "@"
                            + Files.getLastModifiedTime(p).toMillis());
                } else if (Files.isDirectory(p)) {
                    m.put(rel + "/", "");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
