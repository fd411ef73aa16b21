package io.jocclum.libos.fs;

/**
 * A process's file-system context (Linux {@code fs_struct}): the current working directory, as a
 * canonical absolute LibOS path, and the umask. Shared by the threads of a process; a spawned
 * child gets a copy.
 */
public final class FsContext {
    /** Canonical absolute path; replaced whole. */
    private volatile String cwd;
    private volatile int umask;

    public FsContext(String cwd, int umask) {
        if (cwd == null || !cwd.startsWith("/")) {
            throw new IllegalArgumentException("cwd must be an absolute path: " + cwd);
        }
        this.cwd = cwd;
        this.umask = umask & 0777;
    }

    /** cwd "/" and umask 022. */
    public static FsContext initial() {
        return new FsContext("/", 022);
    }

    public String cwd() {
        return cwd;
    }

    void setCwd(String canonical) {
        this.cwd = canonical;
    }

    public int umask() {
        return umask;
    }

    /** Sets the umask and returns the previous one ({@code umask(2)}). */
    public int setUmask(int mask) {
        int old = umask;
        umask = mask & 0777;
        return old;
    }

    /** A copy for a spawned child. */
    public FsContext copy() {
        return new FsContext(cwd, umask);
    }
}
