package io.jocclum.cli;

import io.jocclum.libos.config.Templates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class InstanceTest {
    @TempDir
    Path tmp;

    static java.util.List<String> tree(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void newMakesOcclumsTemplateAndTheImageDirectoriesAndNothingElse() throws Exception {
        Run.Result r = Run.jocclum(tmp, "new", "inst");
        assertThat(r.exit()).isZero();
        Path inst = tmp.resolve("inst");
        assertThat(r.out()).startsWith("Created an instance in " + inst + ": ");
        assertThat(Files.readAllBytes(inst.resolve("Occlum.json"))).isEqualTo(Templates.occlumTemplate());
        assertThat(tree(inst)).containsExactly("Occlum.json", "image", "image/bin", "image/etc", "image/host", "image/lib",
                "image/tmp");
    }

    @Test
    void newRefusesANonEmptyDirectoryButTakesAnEmptyOne() throws Exception {
        Files.createDirectories(tmp.resolve("empty"));
        assertThat(Run.jocclum(tmp, "new", "empty").exit()).isZero();
        Run.Result again = Run.jocclum(tmp, "new", "empty");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("jocclum: " + tmp.resolve("empty") + " already exists and is not empty; jocclum"
                + " new needs a new or empty directory (jocclum init makes an instance in the current one).\n");
        Files.writeString(tmp.resolve("file"), "x");
        assertThat(Run.jocclum(tmp, "new", "file").err()).isEqualTo("jocclum: " + tmp.resolve("file") + " exists and is"
                + " not a directory; jocclum new needs a new or empty directory.\n");
    }

    @Test
    void initWorksInTheCurrentDirectoryOnce() throws Exception {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        Run.Result r = Run.jocclum(tmp, "init");
        assertThat(r.exit()).isZero();
        assertThat(tree(tmp)).containsExactly("Occlum.json", "image", "image/bin", "image/etc", "image/host", "image/lib",
                "image/tmp", "notes.txt");
        Run.Result again = Run.jocclum(tmp, "init");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("jocclum: " + tmp + " already holds an instance (Occlum.json exists); jocclum"
                + " init only initialises a directory without one.\n");
    }
}
