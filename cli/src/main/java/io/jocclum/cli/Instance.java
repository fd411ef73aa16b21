package io.jocclum.cli;

import io.jocclum.libos.config.Templates;
import io.jocclum.libos.layout.InstancePaths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Creating and finding instances. A new instance is what {@code occlum new} makes, reduced to
 * what jocclum uses: Occlum.json with the keys and values of Occlum's template, and
 * {@code image/} with {@code bin lib etc tmp host}. Nothing else: the signing key and
 * {@code build/} come with the first build.
 */
final class Instance {
    /** The directories of a new image (Occlum's {@code occlum new}). */
    static final List<String> IMAGE_DIRS = List.of("bin", "lib", "etc", "tmp", "host");

    private Instance() {
    }

    /** {@code new DIR}: DIR must not exist or be empty. */
    static InstancePaths createNew(Path dir) {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new UserError(dir + " exists and is not a directory; jocclum new needs a new or empty directory.");
            }
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new UserError(dir + " already exists and is not empty; jocclum new needs a new or empty"
                            + " directory (jocclum init makes an instance in the current one).");
                }
            } catch (IOException e) {
                throw io("cannot read " + dir, e);
            }
        }
        return populate(dir);
    }

    /** {@code init}: the working directory must not hold an instance yet. */
    static InstancePaths initHere(Path dir) {
        InstancePaths p = new InstancePaths(dir);
        if (Files.exists(p.occlumJson()) || Files.exists(p.image())) {
            throw new UserError(dir + " already holds an instance (" + (Files.exists(p.occlumJson()) ? "Occlum.json"
                    : "image/") + " exists); jocclum init only initialises a directory without one.");
        }
        return populate(dir);
    }

    private static InstancePaths populate(Path dir) {
        InstancePaths p = new InstancePaths(dir);
        try {
            Files.createDirectories(p.root());
            for (String d : IMAGE_DIRS) {
                Files.createDirectories(p.image().resolve(d));
            }
            Path tmp = Files.createTempFile(p.root(), ".Occlum.json", ".tmp");
            Files.write(tmp, Templates.occlumTemplate());
            // a temporary file is created 0600; Occlum.json is an ordinary file (0644, as occlum new writes it)
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(tmp, p.occlumJson(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw io("cannot create the instance in " + dir, e);
        }
        return p;
    }

    /** The instance whose root is {@code dir}; a {@link UserError} when it has no Occlum.json. */
    static InstancePaths at(Path dir) {
        InstancePaths p = new InstancePaths(dir);
        if (!Files.isRegularFile(p.occlumJson())) {
            throw new UserError(dir + " is not a jocclum instance: it has no Occlum.json; run this inside one"
                    + " (jocclum new DIR or jocclum init create one).");
        }
        return p;
    }

    static UserError io(String what, IOException e) {
        String why = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) {
            why = "no such file " + why;
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            why = "permission denied on " + why;
        } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
            why = why + " already exists";
        }
        return new UserError(what + ": " + why + ".");
    }
}
