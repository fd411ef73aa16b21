package io.jocclum.libos.scenario;

import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.InternalConfig;
import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.config.Templates;
import io.jocclum.libos.fs.sefs.ImageKey;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.layout.Measurement;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.measure.SigningKey;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The enclaves a scenario loads: an inline configuration goes through the build pipeline's own
 * steps (Occlum.json resolution with the EDMM rules, the internal config, the layout, MRENCLAVE,
 * SIGSTRUCT) without an image on disk; an instance directory is read back as {@code jocclum run}
 * reads it. Prepared images are cached per configuration (thread-safe), so a hundred replicas are
 * measured once.
 */
final class Images {
    /** The SIGSTRUCT date of scenario builds (fixed, so runs are reproducible). */
    private static final int DATE = SigStruct.bcdDate(2026, 1, 1);
    private static final Map<String, Prepared> CACHE = new ConcurrentHashMap<>();
    private static volatile RSAPrivateCrtKey key;

    private Images() {
    }

    /**
     * What the engine loads: the layout (its image is what ADD_PAGES adds), the SIGSTRUCT EINIT
     * checks, the LibOS config, and the built instance (null for an inline configuration).
     */
    record Prepared(EnclaveLayout layout, SigStruct sigStruct, InternalConfig config, BuiltEnclave built) {
    }

    /** Occlum's template with {@code sections} merged over it (objects key by key, anything else replaced). */
    static byte[] occlumJson(ObjectNode sections) {
        ObjectNode base;
        try {
            base = (ObjectNode) Json.read(Templates.occlumTemplate());
        } catch (tools.jackson.core.JacksonException e) {
            throw new IllegalStateException("Occlum's template does not parse", e);
        }
        if (sections != null) {
            merge(base, sections);
        }
        return Json.MAPPER.writeValueAsBytes(base);
    }

    private static void merge(ObjectNode into, ObjectNode from) {
        for (String k : from.propertyNames()) {
            JsonNode v = from.get(k);
            JsonNode old = into.get(k);
            if (v.isObject() && old != null && old.isObject()) {
                merge((ObjectNode) old, (ObjectNode) v);
            } else {
                into.set(k, v);
            }
        }
    }

    /** The configuration resolved for an EDMM or a non-EDMM build; ConfigException with every problem. */
    static ResolvedConfig resolve(byte[] occlumJson, boolean edmm, String origin) {
        return OcclumJson.load(occlumJson, origin, BuildRequest.of(SgxMode.HW, edmm));
    }

    /** Whether the instance at {@code dir} was built with EDMM, or null when it has no build. */
    static Boolean instanceEdmm(java.nio.file.Path dir) {
        InstancePaths p = new InstancePaths(dir);
        if (!Files.exists(p.sigStruct())) {
            return null;
        }
        try {
            return BuiltEnclave.load(p).layout().edmm();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The prepared enclave of {@code source} (cached). */
    static Prepared prepare(Scenario.Source source, boolean edmm) {
        return switch (source) {
            case Scenario.Source.Inline in -> CACHE.computeIfAbsent(cacheKey(in.occlumJson(), edmm), k -> inline(in.occlumJson(), edmm));
            case Scenario.Source.Instance inst -> {
                try {
                    BuiltEnclave b = BuiltEnclave.load(new InstancePaths(inst.dir()));
                    yield new Prepared(b.layout(), b.sigStruct(), b.internalConfig(), b);
                } catch (IOException | RuntimeException e) {
                    throw new ScenarioException("the instance " + inst.dir() + " cannot be read (" + e.getMessage() + "); run"
                            + " jocclum build there.");
                }
            }
        };
    }

    private static Prepared inline(byte[] json, boolean edmm) {
        ResolvedConfig r = resolve(json, edmm, "Occlum.json");
        // No image on disk: the image layer's MAC and the image digest are fixed (all zero).
        InternalConfig cfg = r.internalConfig(ImageKey.format(new byte[ImageKey.BYTES]));
        byte[] cfgBytes = cfg.toBytes();
        EnclaveLayout layout = EnclaveLayout.plan(r.enclaveXml(), cfgBytes, new byte[32]);
        byte[] mrenclave = Measurement.mrenclave(layout);
        SigStruct sig = Measurement.sigStruct(layout, mrenclave, DATE).sign(signingKey());
        return new Prepared(layout, sig, cfg, null);
    }

    private static String cacheKey(byte[] json, boolean edmm) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(json);
            return HexFormat.of().formatHex(d.digest()) + (edmm ? "+edmm" : "");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The RSA-3072 (e = 3) key scenario builds are signed with: a fixed key shipped with jocclum
     * (not a secret: it signs simulated enclaves only), read once; generating one would cost
     * seconds per run.
     */
    private static RSAPrivateCrtKey signingKey() {
        RSAPrivateCrtKey k = key;
        if (k == null) {
            synchronized (Images.class) {
                if (key == null) {
                    try (java.io.InputStream in = Images.class.getResourceAsStream("signing-key.pem")) {
                        key = SigningKey.parsePem(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII),
                                "signing-key.pem");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("the scenario signing key cannot be read", e);
                    }
                }
                k = key;
            }
        }
        return k;
    }
}
