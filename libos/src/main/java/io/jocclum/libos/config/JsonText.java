package io.jocclum.libos.config;

import tools.jackson.databind.JsonNode;

/**
 * How configuration messages name JSON values: a value as JSON text, its kind, and the sentence
 * for a value of the wrong kind. Shared by every JSON file jocclum reads (Occlum.json, scenarios).
 */
public final class JsonText {
    private JsonText() {
    }

    /** "VALUE is a string; expected X." for scalars, "found an array; expected X." for containers. */
    public static String mismatch(JsonNode v, String expected) {
        if (v.isContainer() || v.isNull()) {
            return "found " + kind(v) + "; expected " + expected + ".";
        }
        return show(v) + " is " + kind(v) + "; expected " + expected + ".";
    }

    public static String kind(JsonNode v) {
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
        } else if (v.isObject()) {
            return "an object";
        }
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The value as JSON text (strings quoted, long ones shortened). */
    public static String show(JsonNode v) {
        if (v.isString()) {
            String s = v.stringValue();
            if (s.length() > 60) {
                s = s.substring(0, 57) + "...";
            }
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            return b.append('"').toString();
        }
        if (v.isContainer()) {
            return kind(v);
        }
        return v.toString();
    }

    public static String quote(String s) {
        return show(tools.jackson.databind.node.JsonNodeFactory.instance.stringNode(s));
    }
}
