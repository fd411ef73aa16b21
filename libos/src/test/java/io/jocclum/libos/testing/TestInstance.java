package io.jocclum.libos.testing;

import io.jocclum.libos.build.EnclaveBuilder;
import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.config.Templates;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.measure.SigningKey;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A built instance made in a directory by {@code jocclum build}'s pipeline ({@link EnclaveBuilder}:
 * same snapshot, resolution, layout, measurement and SIGSTRUCT; none of the CLI's fingerprinting
 * and atomic commit). For tests and benchmarks only.
 *
 * <pre>
 * BuiltEnclave b = TestInstance.builder(dir).edmm(true)
 *         .set("resource_limits.user_space_size", "64MB").file("bin/app.jar", bytes).build();
 * </pre>
 */
public final class TestInstance {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA).build();
    private static volatile RSAPrivateCrtKey key;

    private TestInstance() {
    }

    /** A builder over Occlum's template in {@code dir} (created if needed). */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** The signing key of every test instance of this JVM (generated once). */
    public static RSAPrivateCrtKey key() {
        RSAPrivateCrtKey k = key;
        if (k == null) {
            synchronized (TestInstance.class) {
                if (key == null) {
                    key = SigningKey.generate(new SecureRandom());
                }
                k = key;
            }
        }
        return k;
    }

    public static final class Builder {
        private final Path dir;
        private byte[] template = Templates.occlumTemplate();
        private boolean edmm;
        private final Map<String, Object> overrides = new LinkedHashMap<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Starts from the EDMM guide's example configuration instead of Occlum's template. */
        public Builder guideExample() {
            this.template = Templates.guideExample();
            return this;
        }

        /** Build for an EDMM platform. */
        public Builder edmm(boolean on) {
            this.edmm = on;
            return this;
        }

        /** Sets a key by dotted path ("resource_limits.user_space_size") to a string, number or boolean; null removes it. */
        public Builder set(String path, Object value) {
            overrides.put(path, value);
            return this;
        }

        /** A file of the image, relative to image/ ("bin/app.jar"). */
        public Builder file(String relative, byte[] content) {
            files.put(relative, content.clone());
            return this;
        }

        /** Writes Occlum.json and image/, builds, and reads the instance back. */
        public BuiltEnclave build() {
            try {
                InstancePaths paths = new InstancePaths(dir);
                for (String d : List.of("bin", "lib", "etc", "tmp", "host")) {
                    Files.createDirectories(paths.image().resolve(d));
                }
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    Path p = paths.image().resolve(f.getKey());
                    Files.createDirectories(p.getParent());
                    Files.write(p, f.getValue());
                }
                byte[] json = json();
                Files.write(paths.occlumJson(), json);
                ResolvedConfig resolved = OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, edmm));
                EnclaveBuilder.deleteTree(paths.imageSnapshot());
                EnclaveBuilder.build(resolved, paths.image(), paths.build(), key(), SigStruct.bcdDate(2026, 1, 1));
                return BuiltEnclave.load(paths);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private byte[] json() {
            if (overrides.isEmpty()) {
                return template;
            }
            ObjectNode root = (ObjectNode) MAPPER.readTree(template);
            for (Map.Entry<String, Object> o : overrides.entrySet()) {
                String[] parts = o.getKey().split("\\.");
                ObjectNode n = root;
                for (int i = 0; i < parts.length - 1; i++) {
                    JsonNode c = n.get(parts[i]);
                    n = c instanceof ObjectNode on ? on : n.putObject(parts[i]);
                }
                String last = parts[parts.length - 1];
                Object v = o.getValue();
                switch (v) {
                    case null -> n.remove(last);
                    case String s -> n.put(last, s);
                    case Integer i -> n.put(last, i);
                    case Long l -> n.put(last, l);
                    case Boolean b -> n.put(last, b);
                    default -> throw new IllegalArgumentException("unsupported value " + v + " for " + o.getKey());
                }
            }
            return MAPPER.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        }
    }
}
