package io.jocclum.libos.scenario;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/** Reading JSON with comments and trailing commas (as Occlum.json), and naming values in messages. */
final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private Json() {
    }

    /** The tree of {@code bytes}; JacksonException when it is not JSON. */
    static JsonNode read(byte[] bytes) throws JacksonException {
        return MAPPER.readTree(bytes);
    }

    static String kind(JsonNode v) {
        if (v.isString()) {
            return "a string";
        } else if (v.isNumber()) {
            return "a number";
        } else if (v.isBoolean()) {
            return "a boolean";
        } else if (v.isNull()) {
            return "null";
        } else if (v.isArray()) {
            return "an array";
        }
        return "an object";
    }

    /** The value as JSON text (strings quoted and shortened), or its kind for containers. */
    static String show(JsonNode v) {
        if (v.isContainer()) {
            return kind(v);
        }
        String s = v.toString();
        return s.length() > 64 ? s.substring(0, 60) + "...\"" : s;
    }

    static String quote(String s) {
        return show(JsonNodeFactory.instance.stringNode(s));
    }

    /** "VALUE is a string; expected X" for scalars, "found an array; expected X" for containers. */
    static String mismatch(JsonNode v, String expected) {
        if (v.isContainer() || v.isNull()) {
            return "found " + kind(v) + "; expected " + expected;
        }
        return show(v) + " is " + kind(v) + "; expected " + expected;
    }
}
