package io.jocclum.libos.config;

import io.jocclum.sgx.arch.Pages;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads an Occlum.json the way {@code occlum build} does, but reports every problem of the file at
 * once, each with its JSON path, the bad value and what is allowed.
 *
 * <p>The file may hold {@code //} and {@code /* *}{@code /} comments and trailing commas (the EDMM
 * guide's own example has both). Sections and keys follow Occlum's template and
 * tools/gen_internal_conf; keys we do not know are warnings naming the closest known key (Occlum
 * ignores them silently, and a typo such as {@code user_space_max} must not pass unnoticed).
 * Missing top-level sections are reported together as one list. Checks that need the resolved
 * sizes (Init &lt;= Max, a mount's cache_size against the kernel heap Max) live in
 * {@link Resolver}; {@link #load} runs both and reports all problems together.
 */
public final class OcclumJson {

    static final List<String> SECTIONS = List.of("resource_limits", "process", "entry_points", "env", "metadata",
            "feature", "mount");
    static final List<String> RESOURCE_LIMITS = List.of("kernel_space_stack_size", "kernel_space_heap_size",
            "kernel_space_heap_max_size", "user_space_size", "user_space_max_size", "init_num_of_threads",
            "max_num_of_threads");
    static final List<String> PROCESS = List.of("default_stack_size", "default_heap_size", "default_mmap_size");
    static final List<String> ENV = List.of("default", "untrusted");
    static final List<String> METADATA = List.of("product_id", "version_number", "debuggable", "enable_kss",
            "family_id", "ext_prod_id", "disable_log");
    static final List<String> KSS_ID = List.of("high", "low");
    static final List<String> FEATURE = List.of("amx", "pkru", "io_uring", "enable_edmm", "enable_posix_shm");
    static final List<String> MOUNT = List.of("target", "type", "source", "options");
    static final List<String> MOUNT_OPTIONS = List.of("MAC", "layers", "temporary", "cache_size", "disk_size", "index",
            "autokey_policy");

    /** jocclum's limit on threads (TCS pages): keeps the layout table small. Occlum takes any u32. */
    public static final long MAX_THREADS = 65536;
    /** Smallest SEFS cache (Occlum's gen_internal_conf: 192 KB). */
    public static final long MIN_CACHE_SIZE = 192 * Sizes.KB;
    /** Smallest ext2 disk (Occlum's gen_internal_conf: 5 GB). */
    public static final long MIN_EXT2_DISK_SIZE = 5 * Sizes.GB;

    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** A validated file and the warnings it raised. */
    public record Parsed(OcclumConfig config, List<ConfigProblem> warnings) {
        public Parsed {
            warnings = List.copyOf(warnings);
        }
    }

    private OcclumJson() {
    }

    /**
     * Validates {@code json} ({@code origin} names it in messages, e.g. "Occlum.json");
     * {@link ConfigException} with every problem found.
     */
    public static Parsed parse(byte[] json, String origin) {
        Reading r = read(json, origin, new Problems(false));
        if (r.problems.hasErrors()) {
            throw r.problems.exception(origin);
        }
        return new Parsed(r.config(), r.problems.warnings);
    }

    /**
     * Parses, decides the platform and resolves, reporting the problems of all three stages at
     * once: the resolution checks run on the sections that parsed even when others did not.
     */
    public static ResolvedConfig load(byte[] json, String origin, BuildRequest request) {
        Problems problems = new Problems(false);
        Reading r = read(json, origin, problems);
        BuildPath platform = BuildPath.decide(request, r.feature != null && r.feature.enableEdmm());
        if (r.limits != null) {
            Resolver.check(r.limits, r.mounts, platform.edmm(), problems, path -> written(r.root, path));
        }
        if (problems.hasErrors()) {
            throw problems.exception(origin);
        }
        return Resolver.resolve(r.config(), platform, problems.warnings);
    }

    /** The sections read so far; each is null when it is missing or has errors. */
    private static final class Reading {
        final Problems problems;
        JsonNode root;
        ResourceLimits limits;
        ProcessDefaults process;
        List<String> entryPoints;
        Env env;
        Metadata metadata;
        Feature feature;
        List<Mount> mounts;

        Reading(Problems problems) {
            this.problems = problems;
        }

        OcclumConfig config() {
            return new OcclumConfig(limits, process, entryPoints, env, metadata, feature, mounts);
        }
    }

    static JsonNode tree(byte[] json, String origin) {
        try {
            return MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw ConfigException.single(origin, "", "is not valid JSON" + JsonErrors.where(e) + ": " + JsonErrors.problem(e)
                    + " (comments and trailing commas are allowed).");
        }
    }

    private static Reading read(byte[] json, String origin, Problems problems) {
        JsonNode root = tree(json, origin);
        Reading r = new Reading(problems);
        r.root = root;
        if (root == null || root.isMissingNode()) {
            throw ConfigException.single(origin, "", "is empty; expected an object with the sections "
                    + list(SECTIONS) + ".");
        }
        if (!root.isObject()) {
            throw ConfigException.single(origin, "", "holds " + Fields.kind(root) + "; expected an object with the sections "
                    + list(SECTIONS) + ".");
        }
        Fields top = Fields.of(root, "", problems, SECTIONS);
        List<String> missing = new ArrayList<>();
        for (String s : SECTIONS) {
            if (!top.has(s)) {
                missing.add(s);
            }
        }
        if (!missing.isEmpty()) {
            problems.error("", "lacks the required section" + (missing.size() == 1 ? " " : "s ") + list(missing)
                    + "; an Occlum.json needs all of " + list(SECTIONS) + ", as in Occlum's template (jocclum new writes one).");
        }
        r.limits = resourceLimits(top.object("resource_limits", false, RESOURCE_LIMITS), problems);
        r.process = process(top.object("process", false, PROCESS));
        r.entryPoints = entryPoints(top);
        r.env = env(top.object("env", false, ENV));
        r.metadata = metadata(top.object("metadata", false, METADATA), problems);
        r.feature = feature(top.object("feature", false, FEATURE));
        JsonNode mount = top.raw("mount", false, "");
        if (mount != null) {
            r.mounts = mounts(mount, "mount", problems, true);
        }
        top.finish();
        return r;
    }

    /** The string at {@code path} ("a.b[0].c") as written, quoted; null if there is none. */
    static String written(JsonNode root, String path) {
        String pointer = "/" + path.replace("[", "/").replace("]", "").replace(".", "/");
        JsonNode n = root.at(pointer);
        return n != null && n.isString() ? Fields.quote(n.stringValue()) : null;
    }

    static String list(List<String> items) {
        if (items.size() == 1) {
            return items.getFirst();
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.getLast();
    }

    private static ResourceLimits resourceLimits(Fields f, Problems problems) {
        if (f == null) {
            return null;
        }
        OptionalLong stack = pages(f, "kernel_space_stack_size", true);
        OptionalLong heap = pages(f, "kernel_space_heap_size", true);
        OptionalLong heapMax = pages(f, "kernel_space_heap_max_size", false);
        OptionalLong user = pages(f, "user_space_size", true);
        OptionalLong userMax = pages(f, "user_space_max_size", false);
        OptionalLong init = f.whole("init_num_of_threads", false, 1, MAX_THREADS);
        OptionalLong max = f.whole("max_num_of_threads", true, 1, MAX_THREADS);
        f.finish();
        boolean optionalOk = (heapMax.isPresent() || !f.has("kernel_space_heap_max_size"))
                && (userMax.isPresent() || !f.has("user_space_max_size"))
                && (init.isPresent() || !f.has("init_num_of_threads"));
        if (stack.isEmpty() || heap.isEmpty() || user.isEmpty() || max.isEmpty() || !optionalOk) {
            return null;
        }
        return new ResourceLimits(stack.getAsLong(), heap.getAsLong(), heapMax, user.getAsLong(), userMax, init,
                max.getAsLong());
    }

    /**
     * A size that becomes an Enclave.xml value: a positive multiple of 4 KB (sgx_sign rejects
     * sizes that are not whole pages; Occlum's generator passes them through).
     */
    private static OptionalLong pages(Fields f, String key, boolean required) {
        OptionalLong v = f.size(key, required);
        if (v.isPresent() && (v.getAsLong() == 0 || !Pages.isAligned(v.getAsLong()))) {
            String written = Fields.quote(f.raw(key, false, "").stringValue());
            String why = v.getAsLong() == 0 ? " is zero" : " is not a multiple of 4KB";
            f.problems().error(f.path(key), written + why + "; expected a positive multiple of 4KB (whole enclave pages).");
            return OptionalLong.empty();
        }
        return v;
    }

    private static ProcessDefaults process(Fields f) {
        if (f == null) {
            return null;
        }
        OptionalLong stack = f.size("default_stack_size", true);
        OptionalLong heap = f.size("default_heap_size", true);
        OptionalLong mmap = f.size("default_mmap_size", true);
        f.finish();
        if (stack.isEmpty() || heap.isEmpty() || mmap.isEmpty()) {
            return null;
        }
        return new ProcessDefaults(stack.getAsLong(), heap.getAsLong(), mmap.getAsLong());
    }

    private static List<String> entryPoints(Fields top) {
        List<String> eps = top.strings("entry_points", false, "an array of absolute paths", "an absolute path");
        if (eps == null) {
            return null;
        }
        boolean ok = true;
        for (int i = 0; i < eps.size(); i++) {
            if (!eps.get(i).startsWith("/")) {
                top.problems().error("entry_points[" + i + "]", Fields.quote(eps.get(i))
                        + " is not an absolute path; expected a path inside the enclave such as \"/bin\".");
                ok = false;
            }
        }
        return ok ? eps : null;
    }

    private static Env env(Fields f) {
        if (f == null) {
            return null;
        }
        List<String> defaults = f.strings("default", true, "an array of \"NAME=value\" strings", "a \"NAME=value\" string");
        List<String> untrusted = f.strings("untrusted", true, "an array of variable names", "a variable name");
        f.finish();
        boolean ok = defaults != null && untrusted != null;
        if (defaults != null) {
            for (int i = 0; i < defaults.size(); i++) {
                String d = defaults.get(i);
                if (d.indexOf('=') <= 0 || d.indexOf('\0') >= 0) {
                    f.problems().error(f.path("default") + "[" + i + "]", Fields.quote(d)
                            + " is not a variable assignment; expected \"NAME=value\", e.g. \"OCCLUM=yes\".");
                    ok = false;
                }
            }
        }
        if (untrusted != null) {
            for (int i = 0; i < untrusted.size(); i++) {
                String u = untrusted.get(i);
                if (u.isEmpty() || u.indexOf('=') >= 0 || u.indexOf('\0') >= 0) {
                    f.problems().error(f.path("untrusted") + "[" + i + "]", Fields.quote(u)
                            + " is not a variable name; expected a name without '=', e.g. \"EXAMPLE\".");
                    ok = false;
                }
            }
        }
        return ok ? new Env(defaults, untrusted) : null;
    }

    private static Metadata metadata(Fields f, Problems problems) {
        if (f == null) {
            return null;
        }
        OptionalLong prod = f.whole("product_id", true, 0, 0xFFFF);
        OptionalLong svn = f.whole("version_number", true, 0, 0xFFFF);
        Optional<Boolean> debuggable = f.bool("debuggable", true);
        Optional<Boolean> kss = f.bool("enable_kss", true);
        boolean kssOn = kss.orElse(false);
        KssId family = kssId(f.object("family_id", true, KSS_ID), kssOn, problems);
        KssId ext = kssId(f.object("ext_prod_id", true, KSS_ID), kssOn, problems);
        Optional<Boolean> disableLog = f.bool("disable_log", false);
        f.finish();
        if (prod.isEmpty() || svn.isEmpty() || debuggable.isEmpty() || kss.isEmpty() || family == null || ext == null
                || (disableLog.isEmpty() && f.has("disable_log"))) {
            return null;
        }
        return new Metadata((int) prod.getAsLong(), (int) svn.getAsLong(), debuggable.get(), kssOn, family, ext,
                disableLog);
    }

    /** With KSS on, the ids must be hex that fits 64 bits; with KSS off they are ignored (a warning if malformed). */
    private static KssId kssId(Fields f, boolean kssOn, Problems problems) {
        if (f == null) {
            return null;
        }
        String expected = "a 64-bit hex string such as \"0x0\"";
        Optional<String> high = f.string("high", true, expected);
        Optional<String> low = f.string("low", true, expected);
        f.finish();
        if (high.isEmpty() || low.isEmpty()) {
            return null;
        }
        long[] v = new long[2];
        boolean ok = true;
        String[] keys = {"high", "low"};
        String[] vals = {high.get(), low.get()};
        for (int i = 0; i < 2; i++) {
            try {
                v[i] = KssId.parseHex64(vals[i]);
            } catch (IllegalArgumentException e) {
                if (kssOn) {
                    problems.error(f.path(keys[i]), Fields.quote(vals[i]) + " " + e.getMessage() + ".");
                    ok = false;
                } else {
                    problems.warn(f.path(keys[i]), Fields.quote(vals[i]) + " " + e.getMessage()
                            + "; ignored because metadata.enable_kss is false.");
                }
            }
        }
        return ok ? new KssId(vals[0], vals[1], v[0], v[1]) : null;
    }

    private static Feature feature(Fields f) {
        if (f == null) {
            return null;
        }
        OptionalLong amx = f.whole("amx", false, 0, 2);
        OptionalLong pkru = f.whole("pkru", false, 0, 2);
        OptionalLong ioUring = f.whole("io_uring", false, 0, 0xFFFF_FFFFL);
        Optional<Boolean> edmm = f.bool("enable_edmm", false);
        Optional<Boolean> shm = f.bool("enable_posix_shm", false);
        f.finish();
        if ((amx.isEmpty() && f.has("amx")) || (pkru.isEmpty() && f.has("pkru")) || (ioUring.isEmpty() && f.has("io_uring"))
                || (edmm.isEmpty() && f.has("enable_edmm")) || (shm.isEmpty() && f.has("enable_posix_shm"))) {
            return null;
        }
        return new Feature((int) amx.orElse(0), (int) pkru.orElse(0), ioUring.orElse(0), edmm.orElse(false),
                shm.orElse(false));
    }

    /**
     * The mount array (or a union's layers). At the top level also checks the root: a mount with
     * target "/" and type unionfs, with options.layers, one of which has target "/", type sefs and
     * an options.MAC key (Occlum's gen_internal_conf).
     */
    static List<Mount> mounts(JsonNode node, String path, Problems problems, boolean top) {
        if (!node.isArray()) {
            problems.error(path, Fields.mismatch(node, "an array of mounts"));
            return null;
        }
        List<Mount> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < node.size(); i++) {
            Mount m = mount(node.get(i), path + "[" + i + "]", problems);
            if (m == null) {
                ok = false;
            } else {
                out.add(m);
            }
        }
        if (!ok) {
            return null;
        }
        if (top) {
            checkRoot(out, problems);
        }
        return out;
    }

    private static Mount mount(JsonNode node, String path, Problems problems) {
        Fields f = Fields.of(node, path, problems, MOUNT);
        if (f == null) {
            return null;
        }
        Optional<String> target = f.string("target", true, "an absolute path such as \"/host\"");
        if (target.isPresent() && !target.get().startsWith("/")) {
            problems.error(f.path("target"), Fields.quote(target.get())
                    + " is not an absolute path; expected a path inside the enclave such as \"/host\".");
            target = Optional.empty();
        }
        Optional<String> type = f.string("type", true, "one of " + String.join(", ", Mount.TYPES));
        if (type.isPresent() && !Mount.TYPES.contains(type.get())) {
            problems.error(f.path("type"), Fields.quote(type.get()) + " is not a file system type; expected one of "
                    + String.join(", ", Mount.TYPES) + ".");
            type = Optional.empty();
        }
        Optional<String> source = Optional.empty();
        boolean ok = true;
        if (f.has("source")) {
            source = f.string("source", false, "a host path string");
            ok = source.isPresent();
        }
        MountOptions options = MountOptions.NONE;
        if (f.has("options")) {
            options = options(f.object("options", false, MOUNT_OPTIONS), type.orElse(""), problems);
            ok &= options != null;
        } else if (type.isPresent() && type.get().equals("ext2")) {
            problems.error(f.path("options") + ".disk_size", "required key missing; expected a size of at least 5GB"
                    + " for an ext2 mount.");
            ok = false;
        }
        f.finish();
        if (target.isEmpty() || type.isEmpty() || !ok) {
            return null;
        }
        return new Mount(target.get(), type.get(), source, options);
    }

    private static MountOptions options(Fields f, String type, Problems problems) {
        if (f == null) {
            return null;
        }
        boolean ok = true;
        Optional<String> mac = Optional.empty();
        if (f.has("MAC")) {
            mac = f.string("MAC", false, "a MAC string (the build fills it in)");
            ok = mac.isPresent();
        }
        Optional<List<Mount>> layers = Optional.empty();
        JsonNode l = f.raw("layers", false, "");
        if (l != null) {
            List<Mount> parsed = mounts(l, f.path("layers"), problems, false);
            ok &= parsed != null;
            layers = Optional.ofNullable(parsed);
            if (!type.equals("unionfs") && !type.isEmpty()) {
                problems.warn(f.path("layers"), "layers only mean something for a unionfs mount; ignored for "
                        + Fields.quote(type) + ".");
            }
        }
        Optional<Boolean> temporary = f.bool("temporary", false);
        ok &= temporary.isPresent() || !f.has("temporary");
        OptionalLong cache = f.size("cache_size", false);
        ok &= cache.isPresent() || !f.has("cache_size");
        if (cache.isPresent()) {
            long c = cache.getAsLong();
            String written = Fields.quote(f.raw("cache_size", false, "").stringValue());
            if (c < MIN_CACHE_SIZE) {
                problems.error(f.path("cache_size"), written + " is too small; expected at least 192KB.");
                ok = false;
            } else if (!Pages.isAligned(c)) {
                problems.error(f.path("cache_size"), written + " is not a multiple of 4KB; expected whole pages.");
                ok = false;
            }
        }
        if (type.equals("ext2") && !f.has("disk_size")) {
            problems.error(f.path("disk_size"), "required key missing; expected a size of at least 5GB for an ext2 mount.");
            ok = false;
        }
        OptionalLong disk = f.size("disk_size", false);
        ok &= disk.isPresent() || !f.has("disk_size");
        if (disk.isPresent() && type.equals("ext2") && disk.getAsLong() < MIN_EXT2_DISK_SIZE) {
            problems.error(f.path("disk_size"), Fields.quote(f.raw("disk_size", false, "").stringValue())
                    + " is too small; an ext2 mount needs at least 5GB.");
            ok = false;
        }
        OptionalLong index = f.whole("index", false, 0, 0xFFFF_FFFFL);
        ok &= index.isPresent() || !f.has("index");
        OptionalLong autokey = f.whole("autokey_policy", false, 0, 0xFFFF_FFFFL);
        ok &= autokey.isPresent() || !f.has("autokey_policy");
        f.finish();
        return ok ? new MountOptions(mac, layers, temporary, cache, disk, index, autokey) : null;
    }

    private static void checkRoot(List<Mount> mounts, Problems problems) {
        int root = -1;
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).target().equals("/")) {
                if (root >= 0) {
                    problems.error("mount[" + i + "].target", "\"/\" is already mounted by mount[" + root
                            + "]; expected one root mount.");
                } else {
                    root = i;
                }
            }
        }
        if (root < 0) {
            problems.error("mount", "no mount has target \"/\"; expected a unionfs root mount whose layers include"
                    + " the image (target \"/\", type \"sefs\", options.MAC), as in Occlum's template.");
            return;
        }
        Mount r = mounts.get(root);
        String path = "mount[" + root + "]";
        if (!r.type().equals("unionfs")) {
            problems.error(path + ".type", Fields.quote(r.type()) + " is not allowed for the root; expected \"unionfs\""
                    + " for the mount with target \"/\".");
            return;
        }
        if (r.options().layers().isEmpty()) {
            problems.error(path + ".options.layers", "required key missing; expected the root's layers, one of them"
                    + " with target \"/\", type \"sefs\" and options.MAC (the image).");
            return;
        }
        int[] at = Mount.imageLayer(mounts);
        if (at[1] < 0) {
            problems.error(path + ".options.layers", "no layer has target \"/\", type \"sefs\" and an options.MAC key;"
                    + " expected one such layer, where the build puts the image's MAC.");
            return;
        }
        Mount image = r.options().layers().get().get(at[1]);
        String src = image.source().orElse("");
        if (!src.equals(Mount.IMAGE_SNAPSHOT_SOURCE) && !src.equals("build/mount/__ROOT")) {
            problems.warn(path + ".options.layers[" + at[1] + "].source", Fields.quote(src) + " is not "
                    + Fields.quote(Mount.IMAGE_SNAPSHOT_SOURCE) + ", where the build puts the image snapshot;"
                    + " the LibOS will look for the image there.");
        }
    }
}
