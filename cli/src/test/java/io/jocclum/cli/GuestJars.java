package io.jocclum.cli;

import io.jocclum.api.GuestProgram;
import io.jocclum.libos.programs.JarProgram;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guest programs written in a test: compiled against the guest API at test time and packed as a
 * runnable jar; and small instances built with one.
 */
final class GuestJars {
    private GuestJars() {
    }

    /** Compiles {@code source} (class {@code guest.App}) in {@code work} and returns the jar's bytes. */
    static byte[] compile(Path work, String source) throws Exception {
        Path src = work.resolve("src/guest/App.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        Path api = Path.of(GuestProgram.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "--release", "25", "-cp", api.toString(), "-d", classes.toString(), src.toString());
        assertThat(rc).as(diag.toString(StandardCharsets.UTF_8)).isZero();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(new Attributes.Name(JarProgram.MAIN_CLASS_ATTRIBUTE), "guest.App");
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(jar, mf)) {
            out.putNextEntry(new JarEntry("guest/App.class"));
            out.write(Files.readAllBytes(classes.resolve("guest/App.class")));
            out.closeEntry();
        }
        return jar.toByteArray();
    }

    /**
     * A new instance {@code tmp/name} with small sizes (a non-EDMM load is quick), debuggable or
     * not, {@code source} compiled to {@code image/bin/app.jar}, {@code files} (image path → text)
     * in its image, built with test key A and {@code buildArgs}.
     */
    static Path instance(Path tmp, String name, boolean debuggable, String source, Map<String, String> files, String... buildArgs)
            throws Exception {
        assertThat(Run.jocclum(tmp, "new", name).exit()).isZero();
        Path inst = tmp.resolve(name);
        Path json = inst.resolve("Occlum.json");
        String s = Files.readString(json).replace("\"300MB\"", "\"64MB\"").replace("\"32MB\"", "\"8MB\"")
                .replace("\"100MB\"", "\"8MB\"").replace("\"4MB\"", "\"256KB\"");
        if (!debuggable) {
            s = s.replace("\"debuggable\": true", "\"debuggable\": false");
            assertThat(s).contains("\"debuggable\": false");
        }
        Files.writeString(json, s);
        Files.write(inst.resolve("image/bin/app.jar"), compile(tmp.resolve("guest-" + name), source));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(inst.resolve("image").resolve(f.getKey()), f.getValue());
        }
        List<String> build = new ArrayList<>(List.of("build", "--sign-key", Run.key(tmp, "key-a.pem").toString()));
        build.addAll(List.of(buildArgs));
        Run.Result b = Run.jocclum(inst, build.toArray(String[]::new));
        assertThat(b.exit()).as(b.err()).isZero();
        return inst;
    }
}
