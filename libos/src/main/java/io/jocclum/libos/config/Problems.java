package io.jocclum.libos.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the problems of one configuration while it is read, so that all of them can be
 * reported at once. {@code strict} turns unknown keys into errors (the internal config, which
 * only jocclum writes); otherwise they are warnings (Occlum.json, which real users annotate).
 */
final class Problems {
    final List<ConfigProblem> errors = new ArrayList<>();
    final List<ConfigProblem> warnings = new ArrayList<>();
    final boolean strict;

    Problems(boolean strict) {
        this.strict = strict;
    }

    void error(String path, String message) {
        errors.add(ConfigProblem.error(path, message));
    }

    void warn(String path, String message) {
        warnings.add(ConfigProblem.warning(path, message));
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    ConfigException exception(String origin) {
        return new ConfigException(origin, errors, warnings);
    }
}
