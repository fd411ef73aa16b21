package io.jocclum.libos.config;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Test helper: edits a configuration through Jackson's tree (comments are lost, values kept). */
public final class Json {
    private Json() {
    }

    public static ObjectNode tree(byte[] json) {
        return (ObjectNode) OcclumJson.MAPPER.readTree(json);
    }

    public static byte[] edit(byte[] json, Consumer<ObjectNode> change) {
        ObjectNode root = tree(json);
        change.accept(root);
        return OcclumJson.MAPPER.writeValueAsBytes(root);
    }

    /** Sets {@code dotted.path} (objects only) to the JSON value {@code valueJson}, creating nothing. */
    public static byte[] set(byte[] json, String path, String valueJson) {
        return edit(json, root -> {
            String[] parts = path.split("\\.");
            ObjectNode o = root;
            for (int i = 0; i < parts.length - 1; i++) {
                o = (ObjectNode) o.get(parts[i]);
            }
            JsonNode v = OcclumJson.MAPPER.readTree(valueJson);
            o.set(parts[parts.length - 1], v);
        });
    }

    /** Removes {@code dotted.path}. */
    public static byte[] remove(byte[] json, String path) {
        return edit(json, root -> {
            String[] parts = path.split("\\.");
            ObjectNode o = root;
            for (int i = 0; i < parts.length - 1; i++) {
                o = (ObjectNode) o.get(parts[i]);
            }
            o.remove(parts[parts.length - 1]);
        });
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
