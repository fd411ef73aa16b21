package io.jocclum.cli;

import io.jocclum.api.GuestProgram;
import io.jocclum.libos.programs.JarProgram;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/** Guest programs written in a test: compiled against the guest API at test time and packed as a runnable jar. */
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
}
