package io.jocclum.libos.config;

import tools.jackson.databind.JsonNode;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Typed access to the fields of one JSON object of a configuration. Every accessor reports what
 * is wrong (missing, wrong type, bad value) to {@link Problems} with the field's JSON path and
 * returns empty; {@link #finish()} reports the keys nobody asked for, naming the closest known
 * key. Not thread-safe; one per object per read.
 */
final class Fields {
    static final String SIZE = "a size string such as \"300MB\"";
    static final String BOOL = "true or false";
    static final String STRING = "a string";
    static final String OBJECT = "an object";

    private final JsonNode node;
    private final String path;
    private final Problems problems;
    private final List<String> known;

    private Fields(JsonNode node, String path, Problems problems, List<String> known) {
        this.node = node;
        this.path = path;
        this.problems = problems;
        this.known = known;
    }

    /** Fields of {@code node} at {@code path} whose keys are {@code known}; null (and an error) if it is not an object. */
    static Fields of(JsonNode node, String path, Problems problems, List<String> known) {
        if (!node.isObject()) {
            problems.error(path, mismatch(node, OBJECT + " with the keys " + String.join(", ", known)));
            return null;
        }
        return new Fields(node, path, problems, known);
    }

    Problems problems() {
        return problems;
    }

    String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        return node.has(key);
    }

    /** The raw value, or null; a missing required key is reported with {@code expected}. */
    JsonNode raw(String key, boolean required, String expected) {
        JsonNode v = node.get(key);
        if (v == null && required) {
            problems.error(path(key), "required key missing; expected " + expected + ".");
        }
        return v;
    }

    /** Reports unknown keys: warnings naming the closest known key, errors in strict mode. */
    void finish() {
        for (String key : node.propertyNames()) {
            if (known.contains(key)) {
                continue;
            }
            if (problems.strict) {
                problems.error(path(key), "unknown key; allowed here: " + String.join(", ", known) + ".");
            } else {
                problems.warn(path(key), "unknown key, ignored; did you mean " + closest(key, known) + "?");
            }
        }
    }

    Fields object(String key, boolean required, List<String> keys) {
        JsonNode v = raw(key, required, OBJECT);
        return v == null ? null : of(v, path(key), problems, keys);
    }

    OptionalLong size(String key, boolean required) {
        JsonNode v = raw(key, required, SIZE);
        return v == null ? OptionalLong.empty() : size(v, path(key), problems);
    }

    static OptionalLong size(JsonNode v, String path, Problems problems) {
        if (!v.isString()) {
            problems.error(path, mismatch(v, SIZE));
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Sizes.parse(v.stringValue()));
        } catch (IllegalArgumentException e) {
            problems.error(path, show(v) + " " + e.getMessage() + ".");
            return OptionalLong.empty();
        }
    }

    /** A whole number in [min, max]; absent optional keys are empty. */
    OptionalLong whole(String key, boolean required, long min, long max) {
        String expected = "a whole number from " + min + " to " + max;
        JsonNode v = raw(key, required, expected);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (!v.isNumber()) {
            problems.error(path(key), mismatch(v, expected));
            return OptionalLong.empty();
        }
        if (!v.isIntegralNumber()) {
            problems.error(path(key), show(v) + " is not a whole number; expected " + expected + ".");
            return OptionalLong.empty();
        }
        BigInteger b = v.bigIntegerValue();
        if (b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
            problems.error(path(key), show(v) + " is out of range; expected " + expected + ".");
            return OptionalLong.empty();
        }
        return OptionalLong.of(b.longValueExact());
    }

    Optional<Boolean> bool(String key, boolean required) {
        JsonNode v = raw(key, required, BOOL);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isBoolean()) {
            problems.error(path(key), mismatch(v, BOOL));
            return Optional.empty();
        }
        return Optional.of(v.booleanValue());
    }

    Optional<String> string(String key, boolean required, String expected) {
        JsonNode v = raw(key, required, expected);
        return v == null ? Optional.empty() : string(v, path(key), problems, expected);
    }

    static Optional<String> string(JsonNode v, String path, Problems problems, String expected) {
        if (!v.isString()) {
            problems.error(path, mismatch(v, expected));
            return Optional.empty();
        }
        return Optional.of(v.stringValue());
    }

    /** An array of strings; null if missing or malformed (each bad element reported). */
    List<String> strings(String key, boolean required, String expected, String elementExpected) {
        JsonNode v = raw(key, required, expected);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            problems.error(path(key), mismatch(v, expected));
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < v.size(); i++) {
            Optional<String> s = string(v.get(i), path(key) + "[" + i + "]", problems, elementExpected);
            if (s.isPresent()) {
                out.add(s.get());
            } else {
                ok = false;
            }
        }
        return ok ? out : null;
    }

    // ---- messages ---------------------------------------------------------------------------

    /** "VALUE is a string; expected X." for scalars, "found an array; expected X." for containers. */
    static String mismatch(JsonNode v, String expected) {
        return JsonText.mismatch(v, expected);
    }

    static String kind(JsonNode v) {
        return JsonText.kind(v);
    }

    /** The value as JSON text (strings quoted, long ones shortened). */
    static String show(JsonNode v) {
        return JsonText.show(v);
    }

    static String quote(String s) {
        return JsonText.quote(s);
    }

    /**
     * The known key {@code key} most likely stands for: the shortest known key that starts with it
     * (a truncated name such as {@code user_space_max}), else the one with the smallest
     * case-insensitive edit distance (ties: the first listed).
     */
    static String closest(String key, List<String> known) {
        String prefixed = null;
        for (String k : known) {
            if (k.startsWith(key) && (prefixed == null || k.length() < prefixed.length())) {
                prefixed = k;
            }
        }
        if (prefixed != null && !key.isEmpty()) {
            return prefixed;
        }
        String best = known.getFirst();
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
