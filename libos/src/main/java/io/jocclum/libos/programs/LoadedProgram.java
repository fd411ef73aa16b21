package io.jocclum.libos.programs;

import io.jocclum.api.GuestProgram;

import java.util.function.Supplier;

/**
 * A program ready to be started in a new process.
 *
 * @param path  the LibOS path it was found at
 * @param kind  built-in or a jar of the image
 * @param entry makes the entry object (a fresh one per process); may throw what the program's
 *              constructor throws, which then kills the new process like an uncaught exception
 * @param image the program's bytes (jar or class files): the process's program image region is
 *              sized by them and filled with them, as an ELF image would be
 */
public record LoadedProgram(String path, Kind kind, Supplier<GuestProgram> entry, byte[] image) {
    public enum Kind { BUILTIN, JAR }

    @Override
    public byte[] image() {
        return image;
    }
}
