package io.jocclum.libos.replay;

/** A trace line that is not strace output: its line number and what is wrong. */
public final class TraceFormatException extends RuntimeException {
    private final int line;

    public TraceFormatException(int line, String message) {
        super("line " + line + ": " + message, null, false, false);
        this.line = line;
    }

    /** The 1-based line. */
    public int line() {
        return line;
    }
}
