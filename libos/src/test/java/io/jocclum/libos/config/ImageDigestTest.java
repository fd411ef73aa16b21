package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class ImageDigestTest {

    static Path image(Path dir) throws Exception {
        for (String d : new String[]{"bin", "lib", "etc", "tmp", "host"}) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("bin/hello"), "hello\n");
        Files.writeString(dir.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        return dir;
    }

    @Test
    void dependsOnContentNamesTypesAndTheExecutableBitOnly(@TempDir Path t) throws Exception {
        Path a = image(t.resolve("a"));
        byte[] base = ImageDigest.of(a);
        assertThat(base).hasSize(32);
        // same content created in another order, with other times: same digest
        Path b = t.resolve("b");
        Files.createDirectories(b.resolve("etc"));
        Files.writeString(b.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        for (String d : new String[]{"host", "tmp", "lib", "bin"}) {
            Files.createDirectories(b.resolve(d));
        }
        Files.writeString(b.resolve("bin/hello"), "hello\n");
        Files.setLastModifiedTime(b.resolve("bin/hello"), java.nio.file.attribute.FileTime.fromMillis(0));
        assertThat(ImageDigest.of(b)).isEqualTo(base);

        Files.writeString(b.resolve("bin/hello"), "hellO\n");
        byte[] oneByte = ImageDigest.of(b);
        assertThat(oneByte).isNotEqualTo(base);
        Files.writeString(b.resolve("bin/hello"), "hello\n");
        assertThat(ImageDigest.of(b)).isEqualTo(base);

        Files.setPosixFilePermissions(b.resolve("bin/hello"), PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(ImageDigest.of(b)).isNotEqualTo(base);
        Files.setPosixFilePermissions(b.resolve("bin/hello"), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(ImageDigest.of(b)).as("group/other bits are not covered").isEqualTo(base);

        Files.createDirectories(b.resolve("lib/empty"));
        assertThat(ImageDigest.of(b)).as("an empty directory counts").isNotEqualTo(base);
        Files.delete(b.resolve("lib/empty"));

        Files.move(b.resolve("etc/hosts"), b.resolve("etc/hostz"));
        assertThat(ImageDigest.of(b)).isNotEqualTo(base);
        Files.move(b.resolve("etc/hostz"), b.resolve("etc/hosts"));

        Files.createSymbolicLink(b.resolve("bin/hi"), Path.of("hello"));
        byte[] link = ImageDigest.of(b);
        assertThat(link).isNotEqualTo(base);
        Files.delete(b.resolve("bin/hi"));
        Files.createSymbolicLink(b.resolve("bin/hi"), Path.of("hellp"));
        assertThat(ImageDigest.of(b)).isNotEqualTo(link).isNotEqualTo(base);
    }

    @Test
    void aFileAndAnEmptyDirectoryOfTheSameNameDiffer(@TempDir Path t) throws Exception {
        Files.createDirectories(t.resolve("x/a"));
        Files.createDirectories(t.resolve("y"));
        Files.writeString(t.resolve("y/a"), "");
        assertThat(ImageDigest.of(t.resolve("x"))).isNotEqualTo(ImageDigest.of(t.resolve("y")));
    }
}
