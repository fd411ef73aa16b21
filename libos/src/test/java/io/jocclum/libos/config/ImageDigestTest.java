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

    /**
     * A tree with an empty directory, a symbolic link, an executable, an empty file, a non-ASCII
     * name and names whose byte order differs from a directory walk's (pre-order "a", "a/b", then
     * "a-b") and from a case-insensitive listing ("B" before "a").
     */
    static Path knownTree(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("empty"));
        Files.writeString(dir.resolve("é"), "x");
        Files.writeString(dir.resolve("a/c"), "#!x\n");
        Files.writeString(dir.resolve("a/b"), "hello\n");
        Files.writeString(dir.resolve("a-b"), "");
        Files.writeString(dir.resolve("B"), "upper");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("a/b"));
        for (String f : new String[]{"é", "a/b", "a-b", "B"}) {
            Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.setPosixFilePermissions(dir.resolve("a/c"), PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    @Test
    void entriesAreInTheOrderOfTheirPathsAsUtf8Bytes(@TempDir Path t) throws Exception {
        Path root = knownTree(t.resolve("img"));
        assertThat(ImageDigest.entries(root).stream().map(ImageDigest.Entry::relative).toList())
                .containsExactly("B", "a", "a-b", "a/b", "a/c", "empty", "link", "é");
    }

    /**
     * Known answer: the SHA-256 of the canonical stream of {@link #knownTree}, computed
     * independently from the format in ImageDigest's documentation ('F' path exec length content,
     * 'D' path, 'L' path target; strings as 4-byte little-endian length + UTF-8; lengths 8-byte
     * little-endian), whatever order the file system lists the entries in.
     */
    @Test
    void knownAnswer(@TempDir Path t) throws Exception {
        Path root = knownTree(t.resolve("img"));
        assertThat(ImageDigest.hex(ImageDigest.of(root))).isEqualTo("fab3fe783c2cb871698ac22646213439104b10047c9812e75de77f6de2965849");
        Path empty = Files.createDirectories(t.resolve("nothing"));
        assertThat(ImageDigest.hex(ImageDigest.of(empty))).as("SHA-256 of the empty stream")
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void knownAnswerOfTheSameTreeBuiltInAnotherOrder(@TempDir Path t) throws Exception {
        Path root = t.resolve("img2");
        Files.createSymbolicLink(Files.createDirectories(root).resolve("link"), Path.of("a/b"));
        Files.writeString(root.resolve("B"), "upper");
        Files.writeString(root.resolve("a-b"), "");
        Files.createDirectories(root.resolve("empty"));
        Files.createDirectories(root.resolve("a"));
        Files.writeString(root.resolve("a/b"), "hello\n");
        Files.writeString(root.resolve("a/c"), "#!x\n");
        Files.writeString(root.resolve("é"), "x");
        for (String f : new String[]{"é", "a/b", "a-b", "B"}) {
            Files.setPosixFilePermissions(root.resolve(f), PosixFilePermissions.fromString("rw-------"));
        }
        Files.setPosixFilePermissions(root.resolve("a/c"), PosixFilePermissions.fromString("rwx------"));
        assertThat(ImageDigest.hex(ImageDigest.of(root))).isEqualTo("fab3fe783c2cb871698ac22646213439104b10047c9812e75de77f6de2965849");
    }
}
