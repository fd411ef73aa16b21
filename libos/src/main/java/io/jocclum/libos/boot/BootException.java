package io.jocclum.libos.boot;

/**
 * The enclave cannot be booted or the program cannot be started because of the user's input (the
 * instance, the platform settings, the program path): one sentence naming the bad value and what
 * is allowed. The CLI prints it and exits with 1; it never carries a stack trace.
 */
public final class BootException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BootException(String message) {
        super(message, null, false, false);
    }
}
