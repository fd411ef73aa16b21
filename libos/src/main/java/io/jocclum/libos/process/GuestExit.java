package io.jocclum.libos.process;

/**
 * Unwinds a guest thread that must end: it called exit or exit_group, or its process is dying
 * (killed, faulted, or another thread called exit_group). Thrown by the syscall façade at a
 * system call, a guest-memory access or a blocking wait, and caught where the thread started. An
 * {@link Error}, so that guest code catching {@code Exception} does not swallow it; immutable and
 * without stack trace, so one instance serves all.
 */
public final class GuestExit extends Error {
    private static final long serialVersionUID = 1L;
    /** The one instance. */
    public static final GuestExit INSTANCE = new GuestExit();

    private GuestExit() {
        super("guest thread exit", null, false, false);
    }
}
