package io.jocclum.libos.fs;

/** Opens a path for a spawn "open" file action, on behalf of the parent (see {@link Vfs#opener}). */
@FunctionalInterface
public interface FileOpener {
    /** Returns an open file with no descriptor reference yet; throws ErrnoException on failure. */
    OpenFile open(String path, int flags, int mode);
}
