package io.jocclum.libos.config;

import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The internal config the LibOS reads at boot (Occlum's build/.Occlum_sys.json): what the LibOS
 * needs of Occlum.json after resolution, in a canonical form, so that its bytes, which are
 * measured into MRENCLAVE, depend on the configuration's values only (never on comments,
 * whitespace, key order or how a size was spelled).
 *
 * <p>Contents: {@code resource_limits.user_space_init_size} and {@code user_space_max_size} as
 * the byte count plus {@code B} (Occlum's format); {@code process} (sizes in the same form);
 * {@code entry_points}; {@code env}; {@code metadata} (without disable_log); {@code disable_log}
 * (metadata.disable_log if given, else not debuggable); {@code mount} with the image layer's
 * {@code options.MAC} filled in; {@code feature} with every key. Occlum keeps metadata out of its
 * internal config; we keep it in so that every value of Occlum.json is covered by MRENCLAVE.
 *
 * <p>{@link #parse} is strict like Occlum's LibOS: unknown keys are errors.
 */
public record InternalConfig(long userSpaceInitSize, long userSpaceMaxSize, ProcessDefaults process,
                             List<String> entryPoints, Env env, Metadata metadata, boolean disableLog,
                             List<Mount> mounts, Feature feature) {

    /** Value of the {@code format} key; bump when the layout of this file changes. */
    public static final String FORMAT = "jocclum-internal-config/1";
    static final List<String> TOP = List.of("format", "resource_limits", "process", "entry_points", "env", "metadata",
            "disable_log", "mount", "feature");
    static final List<String> LIMITS = List.of("user_space_init_size", "user_space_max_size");
    static final List<String> METADATA = List.of("product_id", "version_number", "debuggable", "enable_kss",
            "family_id", "ext_prod_id");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    public InternalConfig {
        entryPoints = List.copyOf(entryPoints);
        mounts = List.copyOf(mounts);
    }

    /** The image layer's MAC ({@code mount[root].options.layers[image].options.MAC}), if there is one. */
    public Optional<String> imageMac() {
        int[] at = Mount.imageLayer(mounts);
        if (at[1] < 0) {
            return Optional.empty();
        }
        return mounts.get(at[0]).options().layers().orElseThrow().get(at[1]).options().mac();
    }

    // ---- writing ----------------------------------------------------------------------------

    /** Canonical JSON: fixed key order, two-space indentation, LF line ends, final newline. */
    public byte[] toBytes() {
        ObjectNode root = NODES.objectNode();
        root.put("format", FORMAT);
        ObjectNode rl = root.putObject("resource_limits");
        rl.put("user_space_init_size", Sizes.canonical(userSpaceInitSize));
        rl.put("user_space_max_size", Sizes.canonical(userSpaceMaxSize));
        ObjectNode p = root.putObject("process");
        p.put("default_stack_size", Sizes.canonical(process.defaultStackSize()));
        p.put("default_heap_size", Sizes.canonical(process.defaultHeapSize()));
        p.put("default_mmap_size", Sizes.canonical(process.defaultMmapSize()));
        strings(root.putArray("entry_points"), entryPoints);
        ObjectNode e = root.putObject("env");
        strings(e.putArray("default"), env.defaults());
        strings(e.putArray("untrusted"), env.untrusted());
        ObjectNode m = root.putObject("metadata");
        m.put("product_id", metadata.productId());
        m.put("version_number", metadata.versionNumber());
        m.put("debuggable", metadata.debuggable());
        m.put("enable_kss", metadata.enableKss());
        id(m.putObject("family_id"), metadata.familyId());
        id(m.putObject("ext_prod_id"), metadata.extProdId());
        root.put("disable_log", disableLog);
        ArrayNode ms = root.putArray("mount");
        for (Mount mount : mounts) {
            ms.add(mount(mount));
        }
        ObjectNode f = root.putObject("feature");
        f.put("amx", feature.amx());
        f.put("pkru", feature.pkru());
        f.put("io_uring", feature.ioUring());
        f.put("enable_edmm", feature.enableEdmm());
        f.put("enable_posix_shm", feature.enablePosixShm());
        DefaultIndenter lf = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter()
                .withObjectIndenter(lf).withArrayIndenter(lf)
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectNameValueSpacing(Separators.Spacing.AFTER));
        String json = OcclumJson.MAPPER.writer().with(pretty).writeValueAsString(root);
        return (json + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    private static void id(ObjectNode o, KssId id) {
        o.put("high", id.high());
        o.put("low", id.low());
    }

    private static ObjectNode mount(Mount m) {
        ObjectNode o = NODES.objectNode();
        o.put("target", m.target());
        o.put("type", m.type());
        m.source().ifPresent(s -> o.put("source", s));
        MountOptions opt = m.options();
        if (!opt.equals(MountOptions.NONE)) {
            ObjectNode oo = o.putObject("options");
            opt.mac().ifPresent(v -> oo.put("MAC", v));
            opt.layers().ifPresent(ls -> {
                ArrayNode a = oo.putArray("layers");
                ls.forEach(l -> a.add(mount(l)));
            });
            opt.temporary().ifPresent(v -> oo.put("temporary", v));
            opt.cacheSize().ifPresent(v -> oo.put("cache_size", Sizes.canonical(v)));
            opt.diskSize().ifPresent(v -> oo.put("disk_size", Sizes.canonical(v)));
            opt.index().ifPresent(v -> oo.put("index", v));
            opt.autokeyPolicy().ifPresent(v -> oo.put("autokey_policy", v));
        }
        return o;
    }

    // ---- reading ----------------------------------------------------------------------------

    /**
     * Reads an internal config written by {@link #toBytes()}; {@code IllegalArgumentException}
     * listing every problem (unknown keys included) when it is not one.
     */
    public static InternalConfig parse(byte[] json) {
        JsonNode root;
        try {
            root = OcclumJson.tree(json, "internal config");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        Problems problems = new Problems(true);
        Fields top = Fields.of(root, "", problems, TOP);
        if (top == null) {
            throw new IllegalArgumentException(problems.exception("internal config").getMessage());
        }
        Optional<String> format = top.string("format", true, Fields.quote(FORMAT));
        if (format.isPresent() && !format.get().equals(FORMAT)) {
            problems.error("format", Fields.quote(format.get()) + " is not a format this LibOS reads; expected "
                    + Fields.quote(FORMAT) + ".");
        }
        Fields rl = top.object("resource_limits", true, LIMITS);
        OptionalLong init = OptionalLong.empty();
        OptionalLong max = OptionalLong.empty();
        if (rl != null) {
            init = rl.size("user_space_init_size", true);
            max = rl.size("user_space_max_size", true);
            rl.finish();
        }
        Fields pf = top.object("process", true, OcclumJson.PROCESS);
        ProcessDefaults process = null;
        if (pf != null) {
            OptionalLong s = pf.size("default_stack_size", true);
            OptionalLong h = pf.size("default_heap_size", true);
            OptionalLong mm = pf.size("default_mmap_size", true);
            pf.finish();
            if (s.isPresent() && h.isPresent() && mm.isPresent()) {
                process = new ProcessDefaults(s.getAsLong(), h.getAsLong(), mm.getAsLong());
            }
        }
        List<String> eps = top.strings("entry_points", true, "an array of absolute paths", "an absolute path");
        Fields ef = top.object("env", true, OcclumJson.ENV);
        Env env = null;
        if (ef != null) {
            List<String> d = ef.strings("default", true, "an array of strings", "a string");
            List<String> u = ef.strings("untrusted", true, "an array of strings", "a string");
            ef.finish();
            if (d != null && u != null) {
                env = new Env(d, u);
            }
        }
        Metadata metadata = null;
        Fields mf = top.object("metadata", true, METADATA);
        if (mf != null) {
            OptionalLong prod = mf.whole("product_id", true, 0, 0xFFFF);
            OptionalLong svn = mf.whole("version_number", true, 0, 0xFFFF);
            Optional<Boolean> dbg = mf.bool("debuggable", true);
            Optional<Boolean> kss = mf.bool("enable_kss", true);
            KssId fam = id(mf.object("family_id", true, OcclumJson.KSS_ID));
            KssId ext = id(mf.object("ext_prod_id", true, OcclumJson.KSS_ID));
            mf.finish();
            if (prod.isPresent() && svn.isPresent() && dbg.isPresent() && kss.isPresent() && fam != null && ext != null) {
                metadata = new Metadata((int) prod.getAsLong(), (int) svn.getAsLong(), dbg.get(), kss.get(), fam, ext,
                        Optional.empty());
            }
        }
        Optional<Boolean> disableLog = top.bool("disable_log", true);
        JsonNode mn = top.raw("mount", true, "an array of mounts");
        List<Mount> mounts = mn == null ? null : OcclumJson.mounts(mn, "mount", problems, true);
        Fields ff = top.object("feature", true, OcclumJson.FEATURE);
        Feature feature = null;
        if (ff != null) {
            OptionalLong amx = ff.whole("amx", true, 0, 2);
            OptionalLong pkru = ff.whole("pkru", true, 0, 2);
            OptionalLong io = ff.whole("io_uring", true, 0, 0xFFFF_FFFFL);
            Optional<Boolean> edmm = ff.bool("enable_edmm", true);
            Optional<Boolean> shm = ff.bool("enable_posix_shm", true);
            ff.finish();
            if (amx.isPresent() && pkru.isPresent() && io.isPresent() && edmm.isPresent() && shm.isPresent()) {
                feature = new Feature((int) amx.getAsLong(), (int) pkru.getAsLong(), io.getAsLong(), edmm.get(), shm.get());
            }
        }
        top.finish();
        if (problems.hasErrors()) {
            throw new IllegalArgumentException(problems.exception("internal config").getMessage());
        }
        return new InternalConfig(init.getAsLong(), max.getAsLong(), process, eps, env, metadata, disableLog.get(),
                mounts, feature);
    }

    private static KssId id(Fields f) {
        if (f == null) {
            return null;
        }
        Optional<String> h = f.string("high", true, "a hex string");
        Optional<String> l = f.string("low", true, "a hex string");
        f.finish();
        if (h.isEmpty() || l.isEmpty()) {
            return null;
        }
        long hv = 0;
        long lv = 0;
        try {
            hv = KssId.parseHex64(h.get());
        } catch (IllegalArgumentException e) {
            // ignored ids of a KSS-less enclave may be anything; the writer keeps them as written
        }
        try {
            lv = KssId.parseHex64(l.get());
        } catch (IllegalArgumentException e) {
            // as above
        }
        return new KssId(h.get(), l.get(), hv, lv);
    }
}
