package io.jocclum.cli;

import io.jocclum.libos.fs.sefs.ImageKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.concurrent.Callable;

/**
 * {@code jocclum gen-image-key FILE}: a new random 128-bit image key written as Occlum's
 * {@code occlum gen-image-key} writes it (16 lowercase hex pairs separated by {@code -}); the
 * file is created with mode 600 (replaced if it exists).
 */
@Command(name = "gen-image-key", description = {
        "Generate a random image key into FILE (16 bytes as xx-xx-...), for jocclum build --image-key FILE, which then"
                + " encrypts the image and the upper layer of the root file system with it."})
final class GenImageKeyCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "Where to write the key (relative to the working directory).")
    Path file;

    GenImageKeyCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        Path f = cli.resolve(file);
        Path parent = f.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UserError("gen-image-key " + file + ": the directory " + parent + " does not exist; create it or give"
                    + " another path.");
        }
        if (Files.isDirectory(f)) {
            throw new UserError("gen-image-key " + file + ": " + f + " is a directory; give a file name.");
        }
        String key = ImageKey.format(ImageKey.generate(new SecureRandom())) + "\n";
        try {
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, key, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw Instance.io("cannot write the image key " + f, e);
        }
        return 0;
    }
}
