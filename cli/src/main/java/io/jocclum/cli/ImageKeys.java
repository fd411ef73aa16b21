package io.jocclum.cli;

import io.jocclum.libos.fs.sefs.ImageKey;
import io.jocclum.libos.layout.InstancePaths;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Image keys on the command line: {@code build --image-key FILE}, {@code run --image-key FILE}
 * and the key a build stored with {@code --buildin-image-key} ({@code build/image_key}, Occlum's
 * {@code initfs/etc/image_key}).
 */
final class ImageKeys {
    /** Where {@code --buildin-image-key} puts the key. */
    static final String BUILTIN = "image_key";

    private ImageKeys() {
    }

    /** The key in {@code file} (relative to the working directory), or a {@link UserError}. */
    static byte[] read(Cli cli, Path file) {
        Path f = cli.resolve(file);
        try {
            return ImageKey.parse(Files.readString(f, StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            throw new UserError("the image key file " + f + " does not exist; make one with jocclum gen-image-key " + file + ".");
        } catch (IOException e) {
            throw Instance.io("cannot read the image key " + f, e);
        } catch (IllegalArgumentException e) {
            throw new UserError(f + ": " + e.getMessage() + ".");
        }
    }

    /**
     * The key {@code run} boots with: {@code --image-key}, else the built-in key, else none; a
     * {@link UserError} when the image is encrypted and no key is at hand.
     */
    static byte[] forRun(Cli cli, InstancePaths paths, Path option) {
        if (option != null) {
            return read(cli, option);
        }
        Path builtin = paths.build().resolve(BUILTIN);
        if (Files.exists(builtin)) {
            return read(cli, builtin);
        }
        Path config = paths.build().resolve(InstancePaths.IMAGE_CONFIG);
        try {
            if (Files.exists(config) && Files.readString(config, StandardCharsets.US_ASCII).contains("\"encrypted\"")) {
                throw new UserError("the image of " + paths.root() + " is encrypted (built with --image-key); give its key with"
                        + " jocclum run --image-key FILE.");
            }
        } catch (IOException e) {
            throw Instance.io("cannot read " + config, e);
        }
        return null;
    }
}
