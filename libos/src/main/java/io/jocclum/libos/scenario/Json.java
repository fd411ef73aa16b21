package io.jocclum.libos.scenario;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import io.jocclum.libos.config.JsonText;

/** Reading JSON with comments and trailing commas (as Occlum.json), and naming values in messages as the configuration does. */
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
        return JsonText.kind(v);
    }

    static String show(JsonNode v) {
        return JsonText.show(v);
    }

    static String quote(String s) {
        return JsonText.quote(s);
    }

    /** "VALUE is a string; expected X." for scalars, "found an array; expected X." for containers. */
    static String mismatch(JsonNode v, String expected) {
        return JsonText.mismatch(v, expected);
    }
}
