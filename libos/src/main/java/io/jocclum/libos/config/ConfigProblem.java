package io.jocclum.libos.config;

/**
 * One problem of a configuration: where it is (a JSON path such as
 * {@code mount[0].options.layers[1].type}, empty for the file as a whole) and one sentence saying
 * what is wrong with which value and what is allowed.
 */
public record ConfigProblem(Severity severity, String path, String message) {

    public enum Severity { ERROR, WARNING }

    public ConfigProblem {
        if (message.isBlank()) {
            throw new IllegalArgumentException("a problem needs a message");
        }
    }

    static ConfigProblem error(String path, String message) {
        return new ConfigProblem(Severity.ERROR, path, message);
    }

    static ConfigProblem warning(String path, String message) {
        return new ConfigProblem(Severity.WARNING, path, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** "path: message", or just the message for a problem of the whole file. */
    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
