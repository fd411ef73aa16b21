package io.jocclum.cli.report;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads one JSON file of a report and names the file and the JSON path ({@code $.series[2].t}) in
 * every error: an {@link IOException} whose message is one sentence.
 */
final class Json {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Path file;

    private Json(Path file) {
        this.file = file;
    }

    /** The file's root object, or an IOException naming the file and the problem. */
    static Root read(Path file) throws IOException {
        Json json = new Json(file);
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " does not exist or is not a regular file.");
        }
        JsonNode root;
        try {
            root = JsonMapper.builder().build().readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().strip();
            int nl = m.indexOf('\n');
            throw new IOException(file + " is not valid JSON" + (e.getLocation() == null ? "" : " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr())
                    + ": " + (nl < 0 ? m : m.substring(0, nl)).replaceAll("[.]$", "") + ".");
        }
        if (root == null || !root.isObject()) {
            throw json.error("$", "must be a JSON object");
        }
        return new Root(json, root);
    }

    /** The JSON file and its root node. */
    record Root(Json json, JsonNode node) {
    }

    IOException error(String path, String problem) {
        return new IOException(file + ": " + path + " " + problem + ".");
    }

    static String field(String path, String name) {
        return IDENTIFIER.matcher(name).matches() ? path + "." + name : path + "[\"" + name.replace("\"", "\\\"") + "\"]";
    }

    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    private static String shown(JsonNode n) {
        String s = n.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    private JsonNode present(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = obj.get(name);
        if (n == null || n.isMissingNode()) {
            throw error(field(path, name), "is missing");
        }
        return n;
    }

    /** A required object. */
    JsonNode object(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = present(obj, name, path);
        if (!n.isObject()) {
            throw error(field(path, name), "must be an object, not " + shown(n));
        }
        return n;
    }

    /** An optional object: an empty result when absent or null. */
    JsonNode objectOrEmpty(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) {
            return JsonMapper.builder().build().createObjectNode();
        }
        if (!n.isObject()) {
            throw error(field(path, name), "must be an object, not " + shown(n));
        }
        return n;
    }

    /** A required array's elements. */
    List<JsonNode> array(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = present(obj, name, path);
        if (!n.isArray()) {
            throw error(field(path, name), "must be an array, not " + shown(n));
        }
        return new ArrayList<>(n.values());
    }

    /** An optional array's elements: none when absent or null. */
    List<JsonNode> arrayOrEmpty(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) {
            return List.of();
        }
        return array(obj, name, path);
    }

    /** Element {@code i} of an array at {@code arrayPath}, which must be an object (described by {@code what}). */
    JsonNode objectAt(List<JsonNode> array, int i, String arrayPath, String what) throws IOException {
        JsonNode n = array.get(i);
        if (!n.isObject()) {
            throw error(index(arrayPath, i), "must be an object" + what + ", not " + shown(n));
        }
        return n;
    }

    /** A required string. */
    String string(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = present(obj, name, path);
        if (!n.isString()) {
            throw error(field(path, name), "must be a string, not " + shown(n));
        }
        return n.stringValue();
    }

    /** An optional string (absent or null: {@code fallback}). */
    String string(JsonNode obj, String name, String path, String fallback) throws IOException {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) {
            return fallback;
        }
        return string(obj, name, path);
    }

    /** A required finite number. */
    double number(JsonNode obj, String name, String path) throws IOException {
        Double d = numberOrNull(present(obj, name, path), field(path, name));
        if (d == null) {
            throw error(field(path, name), "must be a number, not null");
        }
        return d;
    }

    /** A finite number or null (also when absent). */
    Double numberOrNull(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = obj.get(name);
        return n == null ? null : numberOrNull(n, field(path, name));
    }

    /** The node as a finite number, or null for JSON null. */
    Double numberOrNull(JsonNode n, String path) throws IOException {
        if (n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (!n.isNumber()) {
            throw error(path, "must be a number or null, not " + shown(n));
        }
        double d = n.doubleValue();
        if (!Double.isFinite(d)) {
            throw error(path, "must be a finite number, not " + shown(n));
        }
        return d;
    }

    /** An optional boolean (absent or null: null). */
    Boolean booleanOrNull(JsonNode obj, String name, String path) throws IOException {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw error(field(path, name), "must be true or false, not " + shown(n));
        }
        return n.booleanValue();
    }

    /** Checks that {@code schema} is the expected one. */
    void schema(JsonNode root, String expected) throws IOException {
        JsonNode n = root.get("schema");
        if (n == null || !n.isString() || !n.stringValue().equals(expected)) {
            throw error("$.schema", "must be \"" + expected + "\", not " + (n == null ? "missing" : shown(n)));
        }
    }
}
