package io.jocclum.cli;

/**
 * A mistake of the user (or of their environment) that ends a command: one sentence naming the
 * bad value and what is allowed, and the exit code. Printed as "jocclum: MESSAGE", never with a
 * stack trace.
 */
final class UserError extends RuntimeException {
    /** Exit code of every user error except configuration errors. */
    static final int FAILURE = 1;
    /** Exit code of configuration errors (Occlum.json, SGX_MODE, ...). */
    static final int CONFIG = 2;

    private final int exitCode;

    UserError(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    UserError(String message) {
        this(FAILURE, message);
    }

    int exitCode() {
        return exitCode;
    }
}
