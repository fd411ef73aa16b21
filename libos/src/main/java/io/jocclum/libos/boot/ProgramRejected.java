package io.jocclum.libos.boot;

import io.jocclum.api.Errno;

/**
 * The LibOS refused to create the host's program (Occlum's {@code occlum_ecall_new_process}
 * failing): the errno and Occlum's message. {@code jocclum run} prints it and exits with 127,
 * as {@code occlum run} does.
 */
public final class ProgramRejected extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Errno errno;

    public ProgramRejected(Errno errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
