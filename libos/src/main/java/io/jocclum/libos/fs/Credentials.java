package io.jocclum.libos.fs;

/**
 * Who makes a call: user and group ids. uid 0 stands for a process with all capabilities
 * (Occlum runs every process as root); others get Unix permission checks and the unprivileged
 * limits (for example the 1 MiB pipe maximum of {@code F_SETPIPE_SZ}).
 */
public record Credentials(int uid, int gid) {
    /** uid 0, gid 0: what Occlum gives every process. */
    public static final Credentials ROOT = new Credentials(0, 0);

    /** True when the caller has CAP_DAC_OVERRIDE, CAP_SYS_RESOURCE and friends. */
    public boolean privileged() {
        return uid == 0;
    }
}
