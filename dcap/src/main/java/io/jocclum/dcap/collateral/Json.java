package io.jocclum.dcap.collateral;

import io.jocclum.dcap.CollateralFormatException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A JSON value of a collateral item with its JSON path; every typed read names the item and the path
 * in its {@link CollateralFormatException}.
 */
final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    final String item;
    final String path;
    final JsonNode node;

    Json(String item, String path, JsonNode node) {
        this.item = item;
        this.path = path;
        this.node = node;
    }

    /** Parses {@code bytes} as one JSON value; {@code path} is where it sits in its source. */
    static Json parse(String item, String path, byte[] bytes) {
        try {
            return new Json(item, path, MAPPER.readTree(bytes));
        } catch (JacksonException e) {
            throw new CollateralFormatException(item, path + where(e), "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Where a parse error is: collateral JSON is always read from bytes, whose parser gives a byte offset. */
    private static String where(JacksonException e) {
        var loc = e.getLocation();
        if (loc == null || loc.getByteOffset() < 0) {
            return "";
        }
        return " (byte " + loc.getByteOffset() + ")";
    }

    CollateralFormatException error(String problem) {
        return new CollateralFormatException(item, path, problem);
    }

    Json object() {
        if (!node.isObject()) {
            throw error("expected a JSON object, found " + kind(node));
        }
        return this;
    }

    Json field(String name) {
        object();
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw new CollateralFormatException(item, path, "the required field '" + name + "' is missing");
        }
        return new Json(item, path + "." + name, v);
    }

    Json optional(String name) {
        object();
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : new Json(item, path + "." + name, v);
    }

    List<Json> array() {
        if (!node.isArray()) {
            throw error("expected a JSON array, found " + kind(node));
        }
        List<Json> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(new Json(item, path + "[" + i + "]", node.get(i)));
        }
        return out;
    }

    String string() {
        if (!node.isString()) {
            throw error("expected a string, found " + kind(node));
        }
        return node.stringValue();
    }

    long integer(long min, long max) {
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < min || node.longValue() > max) {
            throw error("expected an integer from " + min + " to " + max + ", found " + describe());
        }
        return node.longValue();
    }

    int integer(int min, int max) {
        return (int) integer((long) min, (long) max);
    }

    byte[] hex(int bytes) {
        String s = string();
        if (s.length() != 2 * bytes) {
            throw error("expected " + bytes + " bytes of hex (" + 2 * bytes + " digits), found '" + abbreviate(s) + "'");
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw error("'" + abbreviate(s) + "' is not hex");
        }
    }

    Instant date() {
        String s = string();
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw error("'" + abbreviate(s) + "' is not an ISO-8601 UTC date such as 2025-06-19T10:56:11Z");
        }
    }

    String describe() {
        return node.isString() ? "'" + abbreviate(node.stringValue()) + "'" : abbreviate(node.toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> "null";
        };
    }

    /**
     * The exact bytes of the value at {@code path} (names of nested object fields) in the JSON
     * document {@code doc}: signed collateral bodies must be verified over the bytes as received.
     */
    static byte[] rawValue(String item, String docPath, byte[] doc, String... path) {
        try (JsonParser p = MAPPER.createParser(doc)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new CollateralFormatException(item, docPath, "expected a JSON object");
            }
            String at = docPath;
            for (int depth = 0; depth < path.length; depth++) {
                String want = path[depth];
                at = at + "." + want;
                boolean found = false;
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if (name.equals(want)) {
                        found = true;
                        if (depth == path.length - 1) {
                            if (v != JsonToken.START_OBJECT) {
                                throw new CollateralFormatException(item, at, "expected a JSON object");
                            }
                            long start = p.currentTokenLocation().getByteOffset();
                            p.skipChildren();
                            long end = p.currentLocation().getByteOffset();
                            if (start < 0 || end <= start || end > doc.length || doc[(int) start] != '{' || doc[(int) end - 1] != '}') {
                                throw new CollateralFormatException(item, at, "cannot locate the bytes of the value");
                            }
                            // the rest of the document must still be valid JSON
                            while (p.nextToken() != null) {
                                p.skipChildren();
                            }
                            return java.util.Arrays.copyOfRange(doc, (int) start, (int) end);
                        }
                        if (v != JsonToken.START_OBJECT) {
                            throw new CollateralFormatException(item, at, "expected a JSON object");
                        }
                        break;
                    }
                    p.skipChildren();
                }
                if (!found) {
                    throw new CollateralFormatException(item, docPath, "the required field '" + want + "' is missing at " + at);
                }
            }
            throw new IllegalArgumentException("empty path");
        } catch (JacksonException e) {
            throw new CollateralFormatException(item, docPath + where(e), "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
