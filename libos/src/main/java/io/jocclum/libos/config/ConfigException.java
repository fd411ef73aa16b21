package io.jocclum.libos.config;

import java.util.List;

/**
 * The configuration cannot be built: carries every error found (and the warnings seen on the
 * way), each one sentence. A user error, never a bug: callers print the problems, not a trace.
 */
public final class ConfigException extends RuntimeException {
    private final String origin;
    private final List<ConfigProblem> errors;
    private final List<ConfigProblem> warnings;

    public ConfigException(String origin, List<ConfigProblem> errors, List<ConfigProblem> warnings) {
        super(summary(origin, errors), null, false, false);
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.origin = origin;
        this.errors = List.copyOf(errors);
        this.warnings = List.copyOf(warnings);
    }

    public static ConfigException single(String origin, String path, String message) {
        return new ConfigException(origin, List.of(ConfigProblem.error(path, message)), List.of());
    }

    /** Where the configuration came from, e.g. "Occlum.json". */
    public String origin() {
        return origin;
    }

    public List<ConfigProblem> errors() {
        return errors;
    }

    public List<ConfigProblem> warnings() {
        return warnings;
    }

    private static String summary(String origin, List<ConfigProblem> errors) {
        if (errors.size() == 1) {
            return line(origin, errors.getFirst());
        }
        StringBuilder b = new StringBuilder(origin).append(" has ").append(errors.size()).append(" problems:");
        for (ConfigProblem p : errors) {
            b.append("\n  ").append(line(origin, p));
        }
        return b.toString();
    }

    /** "ORIGIN: path: message", or "ORIGIN message" for a problem of the whole file. */
    static String line(String origin, ConfigProblem p) {
        return p.path().isEmpty() ? origin + " " + p.message() : origin + ": " + p;
    }
}
