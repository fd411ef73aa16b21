package io.jocclum.libos.programs;

import io.jocclum.libos.fs.Caller;

/** Finds the program at a LibOS path, as execve would: ENOENT, EACCES, ENOEXEC, EISDIR ... as {@code ErrnoException}. */
@FunctionalInterface
public interface ProgramLoader {
    LoadedProgram load(Caller caller, String path);
}
