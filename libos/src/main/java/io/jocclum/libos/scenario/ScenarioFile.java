package io.jocclum.libos.scenario;

import io.jocclum.libos.config.ConfigException;
import io.jocclum.libos.config.ConfigProblem;
import io.jocclum.libos.config.JsonErrors;
import io.jocclum.libos.config.Sizes;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.CostModel;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a scenario file (JSON; comments and trailing commas allowed, as in Occlum.json) and
 * validates it completely: {@link ConfigException} lists every problem, each with its JSON path
 * ({@code enclaves[1].cgroup: "/pod-c" is not a cgroup of this scenario; defined: /pod-a, /pod-b}).
 * The format is documented in docs/scenarios.md.
 */
public final class ScenarioFile {
    /** Default EPC of the host. */
    public static final long DEFAULT_EPC = 128L << 20;
    /** Default RAM of the host. */
    public static final long DEFAULT_RAM = 8L << 30;
    /** Default time between samples. */
    public static final long DEFAULT_SAMPLE_INTERVAL = 100_000_000L;
    /** Default time limit. */
    public static final long DEFAULT_STOP = 300_000_000_000L;
    /** Most samples a run may take (per series). */
    public static final long MAX_SAMPLES = 100_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern CGROUP = Pattern.compile("(/[A-Za-z0-9_-]{1,64})+");
    private static final List<String> TOP = List.of("name", "description", "host", "sampleInterval", "cgroups", "enclaves",
            "events", "stop");
    private static final List<String> HOST = List.of("epc", "sgx", "ram", "swap", "costModel", "seed");
    private static final List<String> COST = List.of("cpuHz", "copyCyclesPerKb", "costs");
    private static final List<String> CG = List.of("epcMax", "memoryMax");
    private static final List<String> ENCLAVE = List.of("name", "cgroup", "edmm", "start", "config", "instance", "programs",
            "repeat", "replicas", "stagger");
    private static final List<String> PROGRAM = List.of("run", "jar", "args");
    /** LibOS built-ins a scenario refuses: they wait on the host (its network), which simulated time cannot follow. */
    private static final Map<String, String> HOST_BOUND = Map.of("epollecho", "it serves host TCP connections");
    private static final List<String> EVENT = List.of("at", "limit", "epcMax", "memoryMax", "kill", "start", "move", "to", "note");
    private static final List<String> STOP = List.of("after", "whenAllExited");

    private final String origin;
    private final Path baseDir;
    private final List<ConfigProblem> problems = new ArrayList<>();

    private ScenarioFile(String origin, Path baseDir) {
        this.origin = origin;
        this.baseDir = baseDir;
    }

    /** A {@code --set PATH=VALUE} override, applied to the file's tree before validation. */
    public record Setting(String path, String value) {
        /** "PATH=VALUE"; IllegalArgumentException (one sentence) when there is no '='. */
        public static Setting parse(String text) {
            int eq = text.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set '" + text + "' is not PATH=VALUE (e.g. cgroups./pod-a.epcMax=16MB)");
            }
            return new Setting(text.substring(0, eq).strip(), text.substring(eq + 1));
        }

        @Override
        public String toString() {
            return path + "=" + value;
        }
    }

    /**
     * Parses and validates {@code json}; {@code origin} names the file in messages, relative
     * paths (instances, traces) are resolved against {@code baseDir}; {@code defaultName} is the
     * name when the file has none.
     */
    public static Scenario parse(byte[] json, String origin, Path baseDir, String defaultName, List<Setting> settings) {
        ScenarioFile f = new ScenarioFile(origin, baseDir);
        JsonNode root;
        try {
            root = Json.read(json);
        } catch (JacksonException e) {
            throw ConfigException.single(origin, "", "is not valid JSON" + JsonErrors.where(e) + ": " + JsonErrors.problem(e)
                    + " (comments and trailing commas are allowed).");
        }
        if (root == null || !root.isObject()) {
            throw ConfigException.single(origin, "", "must hold one JSON object such as {\"host\": {...}, \"enclaves\": [...]}.");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (Setting s : settings) {
            f.set((ObjectNode) root, s);
            params.put(s.path(), s.value());
        }
        Scenario sc = f.scenario((ObjectNode) root, defaultName, params);
        if (!f.problems.isEmpty()) {
            throw new ConfigException(origin, f.problems, List.of());
        }
        return sc;
    }

    private void error(String path, String message) {
        problems.add(new ConfigProblem(ConfigProblem.Severity.ERROR, path, message.endsWith(".") ? message : message + "."));
    }

    // ============================================================================ --set

    private void set(ObjectNode root, Setting s) {
        String where = "--set " + s.path();
        List<String> segs = segments(s.path());
        if (segs.isEmpty() || segs.contains("")) {
            error(where, "is not a path such as host.epc, cgroups./pod-a.epcMax or enclaves.a1.edmm");
            return;
        }
        JsonNode value;
        try {
            value = Json.read(s.value().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            value = null;
        }
        if (value == null || value.isMissingNode()) {
            value = Json.MAPPER.getNodeFactory().stringNode(s.value());
        }
        JsonNode cur = root;
        for (int i = 0; i < segs.size(); i++) {
            String seg = segs.get(i);
            boolean last = i == segs.size() - 1;
            if (cur instanceof ObjectNode o) {
                if (last) {
                    o.set(seg, value);
                    return;
                }
                JsonNode next = o.get(seg);
                if (next == null || next.isNull()) {
                    next = o.putObject(seg);
                }
                cur = next;
            } else if (cur instanceof ArrayNode a) {
                int idx = index(a, seg);
                if (idx < 0) {
                    List<String> names = new ArrayList<>();
                    a.forEach(e -> names.add(e.path("name").asString("?")));
                    error(where, "there is no element " + Json.quote(seg) + " in " + String.join(".", segs.subList(0, i))
                            + "; write an index [0] to [" + (a.size() - 1) + "] or a name: " + String.join(", ", names));
                    return;
                }
                if (last) {
                    a.set(idx, value);
                    return;
                }
                cur = a.get(idx);
            } else {
                error(where, String.join(".", segs.subList(0, i)) + " is " + Json.kind(cur) + ", which has no " + Json.quote(seg));
                return;
            }
        }
    }

    /** "enclaves[1].edmm" and "enclaves.a1.edmm" and "cgroups./pod-a.epcMax" into their keys. */
    private static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String part : path.split("\\.", -1)) {
            int b = part.indexOf('[');
            if (b > 0 && part.endsWith("]")) {
                out.add(part.substring(0, b));
                for (String ix : part.substring(b + 1, part.length() - 1).split("\\]\\[", -1)) {
                    out.add(ix);
                }
            } else {
                out.add(part);
            }
        }
        return out;
    }

    private static int index(ArrayNode a, String seg) {
        if (seg.matches("[0-9]{1,9}")) {
            int i = Integer.parseInt(seg);
            return i < a.size() ? i : -1;
        }
        for (int i = 0; i < a.size(); i++) {
            if (seg.equals(a.get(i).path("name").asString(null))) {
                return i;
            }
        }
        return -1;
    }

    // ============================================================================ the file

    private Scenario scenario(ObjectNode root, String defaultName, Map<String, String> params) {
        keys(root, "", TOP);
        String name = text(root.get("name"), "name", defaultName);
        String description = text(root.get("description"), "description", "");
        Scenario.Host host = host(root.get("host"));
        long sample = duration(root.get("sampleInterval"), "sampleInterval", DEFAULT_SAMPLE_INTERVAL);
        if (sample <= 0 && root.has("sampleInterval")) {
            error("sampleInterval", "must be longer than 0");
            sample = DEFAULT_SAMPLE_INTERVAL;
        }
        List<Scenario.CgroupSpec> cgroups = cgroups(root.get("cgroups"));
        Set<String> cgPaths = new LinkedHashSet<>();
        cgroups.forEach(c -> cgPaths.add(c.path()));
        List<Scenario.EnclaveSpec> enclaves = enclaves(root.get("enclaves"), cgPaths, host);
        List<Scenario.EventSpec> events = events(root.get("events"), cgPaths, enclaves);
        Scenario.Stop stop = stop(root.get("stop"));
        if (stop.time() / sample > MAX_SAMPLES) {
            error("sampleInterval", Durations.show(sample) + " gives more than " + MAX_SAMPLES + " samples in "
                    + Durations.show(stop.time()) + "; sample less often or stop earlier");
        }
        return new Scenario(name, description, host, sample, cgroups, enclaves, events, stop, params);
    }

    private void keys(JsonNode node, String path, List<String> known) {
        if (node == null || !node.isObject()) {
            return;
        }
        for (String k : node.propertyNames()) {
            if (!known.contains(k)) {
                error(join(path, k), "is not a key here; the keys are " + String.join(", ", known));
            }
        }
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private String text(JsonNode v, String path, String dflt) {
        if (v == null) {
            return dflt;
        }
        if (!v.isString()) {
            error(path, Json.mismatch(v, "a string"));
            return dflt;
        }
        return v.stringValue();
    }

    private long duration(JsonNode v, String path, long dflt) {
        if (v == null) {
            return dflt;
        }
        try {
            if (v.isNumber()) {
                return Durations.ofSeconds(v.decimalValue());
            }
            if (v.isString()) {
                return Durations.parse(v.stringValue());
            }
        } catch (IllegalArgumentException e) {
            error(path, Json.show(v) + " " + e.getMessage());
            return dflt;
        }
        error(path, Json.mismatch(v, Durations.ALLOWED));
        return dflt;
    }

    /** A size or "max" (-1); {@code dflt} when absent. */
    private long limit(JsonNode v, String path, long dflt) {
        if (v == null) {
            return dflt;
        }
        if (v.isString() && v.stringValue().strip().equals("max")) {
            return -1;
        }
        return size(v, path, dflt);
    }

    private long size(JsonNode v, String path, long dflt) {
        if (v == null) {
            return dflt;
        }
        if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0) {
            return v.longValue();
        }
        if (v.isString()) {
            try {
                return Sizes.parse(v.stringValue());
            } catch (IllegalArgumentException e) {
                error(path, Json.show(v) + " " + e.getMessage());
                return dflt;
            }
        }
        error(path, Json.mismatch(v, "a size string such as \"64MB\" (or \"max\" for a limit)"));
        return dflt;
    }

    private long integer(JsonNode v, String path, long dflt, long min, long max) {
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            error(path, Json.mismatch(v, "a whole number from " + min + " to " + max));
            return dflt;
        }
        long n = v.longValue();
        if (n < min || n > max) {
            error(path, n + " is out of range; expected " + min + " to " + max);
            return dflt;
        }
        return n;
    }

    private boolean bool(JsonNode v, String path, boolean dflt) {
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            error(path, Json.mismatch(v, "true or false"));
            return dflt;
        }
        return v.booleanValue();
    }

    private Scenario.Host host(JsonNode h) {
        long epc = DEFAULT_EPC;
        boolean sgx2 = true;
        long ram = DEFAULT_RAM;
        String modelName = "default";
        CostModel model = CostModel.defaults();
        long seed = 0;
        boolean swap = false;
        if (h == null) {
            return new Scenario.Host(epc, sgx2, ram, swap, modelName, model, seed);
        }
        if (!h.isObject()) {
            error("host", Json.mismatch(h, "an object such as {\"epc\": \"128MB\", \"sgx\": 2}"));
            return new Scenario.Host(epc, sgx2, ram, swap, modelName, model, seed);
        }
        keys(h, "host", HOST);
        epc = size(h.get("epc"), "host.epc", DEFAULT_EPC);
        if (h.has("epc") && (epc < (8L << 20) || epc % 4096 != 0)) {
            error("host.epc", Sizes.human(epc) + " is not a multiple of 4KB of at least 8MB");
            epc = DEFAULT_EPC;
        }
        long sgx = integer(h.get("sgx"), "host.sgx", 2, 1, 2);
        sgx2 = sgx == 2;
        ram = size(h.get("ram"), "host.ram", DEFAULT_RAM);
        swap = bool(h.get("swap"), "host.swap", false);
        seed = integer(h.get("seed"), "host.seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
        JsonNode c = h.get("costModel");
        if (c != null) {
            if (c.isString() && c.stringValue().equals("default")) {
                modelName = "default";
            } else if (c.isObject()) {
                keys(c, "host.costModel", COST);
                modelName = "custom";
                long hz = integer(c.get("cpuHz"), "host.costModel.cpuHz", CostModel.DEFAULT_CPU_HZ, 1, Long.MAX_VALUE);
                long copy = integer(c.get("copyCyclesPerKb"), "host.costModel.copyCyclesPerKb",
                        CostModel.DEFAULT_COPY_CYCLES_PER_KB, 0, Long.MAX_VALUE);
                model = model.withCpuHz(hz).withCopyCyclesPerKb(copy);
                JsonNode costs = c.get("costs");
                if (costs != null && !costs.isObject()) {
                    error("host.costModel.costs", Json.mismatch(costs, "an object such as {\"EWB\": 15000}"));
                } else if (costs != null) {
                    for (String k : costs.propertyNames()) {
                        CostEvent e = null;
                        for (CostEvent x : CostEvent.values()) {
                            if (x.name().equals(k)) {
                                e = x;
                            }
                        }
                        if (e == null) {
                            error("host.costModel.costs." + k, "is not a cost event; the events are "
                                    + String.join(", ", java.util.Arrays.stream(CostEvent.values()).map(Enum::name).toList()));
                            continue;
                        }
                        model = model.with(e, integer(costs.get(k), "host.costModel.costs." + k, e.defaultCycles(), 0,
                                Long.MAX_VALUE));
                    }
                }
            } else {
                error("host.costModel", Json.mismatch(c, "\"default\" or an object such as {\"cpuHz\": 2300000000, \"costs\":"
                        + " {\"EWB\": 15000}}"));
            }
        }
        return new Scenario.Host(epc, sgx2, ram, swap, modelName, model, seed);
    }

    private List<Scenario.CgroupSpec> cgroups(JsonNode node) {
        List<Scenario.CgroupSpec> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (!node.isObject()) {
            error("cgroups", Json.mismatch(node, "an object whose keys are cgroup paths, e.g. {\"/pod-a\": {\"epcMax\": \"32MB\"}}"));
            return out;
        }
        Set<String> paths = new LinkedHashSet<>(node.propertyNames());
        for (String p : node.propertyNames()) {
            String path = "cgroups." + p;
            JsonNode c = node.get(p);
            if (!CGROUP.matcher(p).matches()) {
                error(path, Json.quote(p) + " is not a cgroup path; write /NAME or /PARENT/NAME with letters, digits, - and _");
                continue;
            }
            String parent = p.substring(0, p.lastIndexOf('/'));
            if (parent.isEmpty()) {
                parent = "/";
            } else if (!paths.contains(parent)) {
                error(path, "its parent " + parent + " is not a cgroup of this scenario; add it to cgroups");
                continue;
            }
            if (!c.isObject()) {
                error(path, Json.mismatch(c, "an object such as {\"epcMax\": \"32MB\", \"memoryMax\": \"max\"}"));
                continue;
            }
            keys(c, path, CG);
            long epc = limit(c.get("epcMax"), path + ".epcMax", -1);
            long mem = limit(c.get("memoryMax"), path + ".memoryMax", -1);
            out.add(new Scenario.CgroupSpec(p, parent, epc < 0 ? OptionalLong.empty() : OptionalLong.of(epc),
                    mem < 0 ? OptionalLong.empty() : OptionalLong.of(mem)));
        }
        return treeOrder(out); // a parent before its children, siblings in file order
    }

    private static List<Scenario.CgroupSpec> treeOrder(List<Scenario.CgroupSpec> all) {
        List<Scenario.CgroupSpec> out = new ArrayList<>();
        addChildren("/", all, out);
        return out;
    }

    private static void addChildren(String parent, List<Scenario.CgroupSpec> all, List<Scenario.CgroupSpec> out) {
        for (Scenario.CgroupSpec c : all) {
            if (c.parent().equals(parent)) {
                out.add(c);
                addChildren(c.path(), all, out);
            }
        }
    }

    private String cgroupRef(JsonNode v, String path, Set<String> defined) {
        if (v == null) {
            return "/";
        }
        if (!v.isString()) {
            error(path, Json.mismatch(v, "a cgroup path such as \"/pod-a\""));
            return null;
        }
        String p = v.stringValue();
        if (!p.equals("/") && !defined.contains(p)) {
            error(path, Json.quote(p) + " is not a cgroup of this scenario; defined: "
                    + (defined.isEmpty() ? "none but the root /" : String.join(", ", defined)));
            return null;
        }
        return p;
    }

    private List<Scenario.EnclaveSpec> enclaves(JsonNode node, Set<String> cgroups, Scenario.Host host) {
        List<Scenario.EnclaveSpec> out = new ArrayList<>();
        if (node == null) {
            error("enclaves", "is missing; a scenario needs at least one enclave");
            return out;
        }
        if (!node.isArray() || node.isEmpty()) {
            error("enclaves", node.isArray() ? "is empty; a scenario needs at least one enclave"
                    : Json.mismatch(node, "an array of enclaves"));
            return out;
        }
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String path = "enclaves[" + i + "]";
            JsonNode e = node.get(i);
            if (!e.isObject()) {
                error(path, Json.mismatch(e, "an object such as {\"name\": \"a1\", \"programs\": [\"kv\"]}"));
                continue;
            }
            keys(e, path, ENCLAVE);
            String name = text(e.get("name"), path + ".name", null);
            if (name == null && !e.has("name")) {
                error(path + ".name", "is missing; every enclave has a unique name");
            } else if (name != null && !NAME.matcher(name).matches()) {
                error(path + ".name", Json.quote(name) + " is not a name; use 1 to 64 letters, digits, - and _");
                name = null;
            }
            String cg = cgroupRef(e.get("cgroup"), path + ".cgroup", cgroups);
            Scenario.Source source = source(e, path);
            Boolean edmm = e.has("edmm") ? bool(e.get("edmm"), path + ".edmm", false) : null;
            if (source instanceof Scenario.Source.Instance inst) {
                Boolean built = Images.instanceEdmm(inst.dir());
                if (built == null) {
                    error(path + ".instance", inst.dir() + " is not a built instance (it has no build/enclave.sigstruct);"
                            + " run jocclum build there");
                } else if (edmm != null && !edmm.equals(built)) {
                    error(path + ".edmm", edmm + " but the instance was built " + (built ? "with" : "without") + " EDMM; rebuild it"
                            + " (ENABLE_EDMM=" + (edmm ? "Y" : "N") + " jocclum build) or drop edmm");
                } else {
                    edmm = built;
                }
            }
            boolean isEdmm = edmm != null && edmm;
            if (isEdmm && !host.sgx2()) {
                error(path + ".edmm", "true needs an SGX2 host, but host.sgx is 1");
            }
            if (source instanceof Scenario.Source.Inline in) {
                try {
                    Images.resolve(in.occlumJson(), isEdmm, "Occlum.json");
                } catch (io.jocclum.libos.config.ConfigException x) {
                    for (ConfigProblem p : x.errors()) {
                        problems.add(new ConfigProblem(ConfigProblem.Severity.ERROR,
                                p.path().isEmpty() ? path + ".config" : path + ".config." + p.path(), p.message()));
                    }
                }
            }
            OptionalLong start = OptionalLong.of(0);
            JsonNode s = e.get("start");
            if (s != null && s.isString() && s.stringValue().equals("event")) {
                start = OptionalLong.empty();
            } else if (s != null) {
                start = OptionalLong.of(duration(s, path + ".start", 0));
            }
            List<Scenario.ProgramSpec> programs = programs(e.get("programs"), path + ".programs", source);
            int repeat = (int) integer(e.get("repeat"), path + ".repeat", 1, 1, 1_000_000);
            int replicas = (int) integer(e.get("replicas"), path + ".replicas", 1, 1, 1000);
            long stagger = duration(e.get("stagger"), path + ".stagger", 0);
            if (name == null || source == null) {
                continue;
            }
            for (int r = 1; r <= replicas; r++) {
                String n = replicas == 1 ? name : name + "-" + r;
                if (!names.add(n)) {
                    error(path + ".name", Json.quote(n) + " is the name of an earlier enclave; names are unique");
                    continue;
                }
                OptionalLong st = start.isPresent() ? OptionalLong.of(start.getAsLong() + (r - 1) * stagger) : start;
                out.add(new Scenario.EnclaveSpec(n, cg == null ? "/" : cg, isEdmm, st, source, programs, repeat));
            }
        }
        return out;
    }

    private Scenario.Source source(JsonNode e, String path) {
        JsonNode cfg = e.get("config");
        JsonNode inst = e.get("instance");
        if (cfg != null && inst != null) {
            error(path, "has both config and instance; give one");
            return null;
        }
        if (inst != null) {
            if (!inst.isString()) {
                error(path + ".instance", Json.mismatch(inst, "the path of an instance directory"));
                return null;
            }
            return new Scenario.Source.Instance(baseDir.resolve(inst.stringValue()).normalize());
        }
        if (cfg != null && !cfg.isObject()) {
            error(path + ".config", Json.mismatch(cfg, "an object with Occlum.json's sections, e.g. {\"resource_limits\": {...}}"));
            return null;
        }
        return new Scenario.Source.Inline(Images.occlumJson(cfg == null ? null : (ObjectNode) cfg));
    }

    private List<Scenario.ProgramSpec> programs(JsonNode node, String path, Scenario.Source source) {
        List<Scenario.ProgramSpec> out = new ArrayList<>();
        if (node == null) {
            error(path, "is missing; give at least one program, e.g. [\"kv --ops 1000\"]");
            return out;
        }
        if (!node.isArray() || node.isEmpty()) {
            error(path, node.isArray() ? "is empty; give at least one program" : Json.mismatch(node, "an array of programs"));
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            String p = path + "[" + i + "]";
            JsonNode n = node.get(i);
            String run;
            String jar = null;
            List<String> args = new ArrayList<>();
            if (n.isString()) {
                List<String> words = new ArrayList<>(List.of(n.stringValue().strip().split("\\s+")));
                run = words.removeFirst();
                args.addAll(words);
                if (run.endsWith(".jar") && !run.startsWith("/")) {
                    error(p, Json.quote(run) + " looks like a jar on the host; write {\"jar\": \"" + run + "\", \"args\": [...]}"
                            + " (a path relative to the scenario file), or the jar's absolute path in the enclave's image");
                    continue;
                }
            } else if (n.isObject()) {
                keys(n, p, PROGRAM);
                if (n.has("run") && n.has("jar")) {
                    error(p, "has both run and jar; give one");
                    continue;
                }
                if (n.has("jar")) {
                    jar = text(n.get("jar"), p + ".jar", null);
                    if (jar == null) {
                        continue;
                    }
                    run = null;
                } else {
                    run = text(n.get("run"), p + ".run", null);
                    if (run == null) {
                        if (!n.has("run")) {
                            error(p + ".run", "is missing; name the program, e.g. \"kv\" (a workload model) or \"/bin/memtest\""
                                    + " (a LibOS program), or give a host jar with \"jar\"");
                        }
                        continue;
                    }
                }
                JsonNode a = n.get("args");
                if (a != null && !a.isArray()) {
                    error(p + ".args", Json.mismatch(a, "an array of strings"));
                    continue;
                } else if (a != null) {
                    for (JsonNode x : a) {
                        args.add(x.isString() ? x.stringValue() : x.toString());
                    }
                }
            } else {
                error(p, Json.mismatch(n, "a command line such as \"kv --ops 1000\" or {\"run\": \"/bin/memtest\", \"args\": [...]}"));
                continue;
            }
            if (jar != null) {
                Scenario.ProgramSpec spec = hostJar(jar, args, p + ".jar");
                if (spec != null) {
                    out.add(spec);
                }
            } else if (run.startsWith("/")) {
                if (libosProgram(run, source, n.isObject() ? p + ".run" : p)) {
                    out.add(new Scenario.ProgramSpec(run, args, null, null));
                }
            } else {
                String where = n.isObject() ? p + ".args" : p;
                Workloads.Options o = Workloads.parse(run, args, baseDir, m -> error(where, m));
                if (o != null) {
                    out.add(new Scenario.ProgramSpec(run, args, o));
                }
            }
        }
        Map<String, java.nio.file.Path> jars = new LinkedHashMap<>();
        for (Scenario.ProgramSpec sp : out) {
            java.nio.file.Path other = sp.jar() == null ? null : jars.putIfAbsent(sp.program(), sp.jar());
            if (other != null && !other.equals(sp.jar())) {
                error(path, "installs two jars at " + sp.program() + " (" + other + " and " + sp.jar() + "); give them different"
                        + " file names");
            }
        }
        long libos = out.stream().filter(Scenario.ProgramSpec::libos).count();
        if (libos > 0 && libos < out.size()) {
            error(path, "mixes workload models (" + String.join(", ", out.stream().filter(x -> !x.libos())
                    .map(Scenario.ProgramSpec::program).toList()) + ") and LibOS programs (" + String.join(", ", out.stream()
                    .filter(Scenario.ProgramSpec::libos).map(Scenario.ProgramSpec::program).toList()) + "); an enclave runs one kind,"
                    + " so give each kind an enclave of its own");
        }
        return out;
    }

    /** A program path in the enclave: a LibOS built-in under /bin, or a file of the instance's image. */
    private boolean libosProgram(String run, Scenario.Source source, String where) {
        String builtins = String.join(", ", io.jocclum.libos.programs.ProgramRegistry.standard().names().stream()
                .filter(b -> !HOST_BOUND.containsKey(b)).map(b -> "/bin/" + b).toList());
        if (run.startsWith("/bin/") && HOST_BOUND.containsKey(run.substring(5))) {
            error(where, run + " cannot run in a scenario: " + HOST_BOUND.get(run.substring(5)) + ", and host waits are not"
                    + " simulated; the LibOS programs a scenario runs are " + builtins + " and user jars");
            return false;
        }
        if (source instanceof Scenario.Source.Instance inst) {
            java.nio.file.Path f = inst.dir().resolve("image").resolve(run.substring(1)).normalize();
            if (java.nio.file.Files.isRegularFile(f) || run.startsWith("/bin/")
                    && io.jocclum.libos.programs.ProgramRegistry.standard().get(run.substring(5)).isPresent()) {
                return true;
            }
            error(where, Json.quote(run) + " is neither a LibOS built-in (" + builtins + ") nor a file of the instance's image ("
                    + f + ")");
            return false;
        }
        if (run.startsWith("/bin/") && io.jocclum.libos.programs.ProgramRegistry.standard().get(run.substring(5)).isPresent()) {
            return true;
        }
        error(where, Json.quote(run) + " is not a LibOS built-in (" + builtins + "); a user jar runs from an instance's image"
                + " (\"instance\") or from the host with {\"jar\": \"path/to/program.jar\"}");
        return false;
    }

    /** A jar file on the host (relative to the scenario file), installed in the enclave at /bin/NAME. */
    private Scenario.ProgramSpec hostJar(String jar, List<String> args, String where) {
        java.nio.file.Path f = baseDir.resolve(jar).normalize();
        String name = f.getFileName() == null ? "" : f.getFileName().toString();
        if (!name.endsWith(".jar")) {
            error(where, Json.quote(jar) + " is not a .jar file; a user program is a jar whose manifest names its class with"
                    + " Jocclum-Main-Class (docs/guest-api.md)");
            return null;
        }
        if (!java.nio.file.Files.isRegularFile(f) || !java.nio.file.Files.isReadable(f)) {
            error(where, Json.quote(jar) + " is not a readable file (" + f + "; relative paths start at the scenario file's"
                    + " directory)");
            return null;
        }
        return new Scenario.ProgramSpec("/bin/" + name, args, null, f);
    }

    private List<Scenario.EventSpec> events(JsonNode node, Set<String> cgroups, List<Scenario.EnclaveSpec> enclaves) {
        List<Scenario.EventSpec> out = new ArrayList<>();
        Map<String, Scenario.EnclaveSpec> byName = new LinkedHashMap<>();
        enclaves.forEach(e -> byName.put(e.name(), e));
        Set<String> started = new LinkedHashSet<>();
        if (node != null && !node.isArray()) {
            error("events", Json.mismatch(node, "an array of events such as {\"at\": \"10s\", \"kill\": \"a1\"}"));
            node = null;
        }
        for (int i = 0; node != null && i < node.size(); i++) {
            String path = "events[" + i + "]";
            JsonNode e = node.get(i);
            if (!e.isObject()) {
                error(path, Json.mismatch(e, "an object such as {\"at\": \"10s\", \"kill\": \"a1\"}"));
                continue;
            }
            keys(e, path, EVENT);
            if (!e.has("at")) {
                error(path + ".at", "is missing; say when, e.g. \"10s\"");
            }
            long at = duration(e.get("at"), path + ".at", 0);
            List<String> kinds = new ArrayList<>();
            for (String k : List.of("limit", "kill", "start", "move", "note")) {
                if (e.has(k)) {
                    kinds.add(k);
                }
            }
            if (kinds.size() != 1) {
                error(path, kinds.isEmpty() ? "does nothing; give one of limit, kill, start, move, note"
                        : "has " + String.join(" and ", kinds) + "; an event does one thing");
                continue;
            }
            String kind = kinds.getFirst();
            String target = text(e.get(kind), path + "." + kind, null);
            if (target == null) {
                continue;
            }
            switch (kind) {
                case "limit" -> {
                    String cg = cgroupRef(e.get("limit"), path + ".limit", cgroups);
                    if (cg != null && cg.equals("/")) {
                        error(path + ".limit", "the root cgroup has no limits; name one of " + String.join(", ", cgroups));
                        cg = null;
                    }
                    Long epc = e.has("epcMax") ? limit(e.get("epcMax"), path + ".epcMax", -1) : null;
                    Long mem = e.has("memoryMax") ? limit(e.get("memoryMax"), path + ".memoryMax", -1) : null;
                    if (epc == null && mem == null) {
                        error(path, "changes no limit; give epcMax and/or memoryMax");
                    }
                    if (cg != null) {
                        out.add(new Scenario.EventSpec(at, Scenario.EventKind.LIMIT, cg, epc, mem, null));
                    }
                }
                case "kill", "start", "move" -> {
                    Scenario.EnclaveSpec en = byName.get(target);
                    if (en == null) {
                        error(path + "." + kind, Json.quote(target) + " is not an enclave of this scenario; the enclaves are "
                                + String.join(", ", byName.keySet()));
                        continue;
                    }
                    String to = null;
                    if (kind.equals("move")) {
                        to = e.has("to") ? cgroupRef(e.get("to"), path + ".to", cgroups) : null;
                        if (!e.has("to")) {
                            error(path + ".to", "is missing; name the cgroup to move " + target + " to");
                        }
                        if (to == null) {
                            continue;
                        }
                    }
                    if (kind.equals("start")) {
                        if (en.start().isPresent()) {
                            error(path + ".start", target + " starts by itself at " + Durations.show(en.start().getAsLong())
                                    + "; give it \"start\": \"event\" to start it with an event");
                            continue;
                        }
                        if (!started.add(target)) {
                            error(path + ".start", target + " is started by an earlier event already");
                            continue;
                        }
                    }
                    Scenario.EventKind k = switch (kind) {
                        case "kill" -> Scenario.EventKind.KILL;
                        case "start" -> Scenario.EventKind.START;
                        default -> Scenario.EventKind.MOVE;
                    };
                    out.add(new Scenario.EventSpec(at, k, target, null, null, to));
                }
                default -> out.add(new Scenario.EventSpec(at, Scenario.EventKind.NOTE, target, null, null, null));
            }
        }
        for (int i = 0; i < enclaves.size(); i++) {
            Scenario.EnclaveSpec en = enclaves.get(i);
            if (en.start().isEmpty() && !started.contains(en.name())) {
                error("enclaves." + en.name() + ".start", "is \"event\" but no event starts " + en.name()
                        + "; add {\"at\": \"...\", \"start\": \"" + en.name() + "\"} to events");
            }
        }
        List<Scenario.EventSpec> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparingLong(Scenario.EventSpec::at)); // stable: file order for equal times
        return sorted;
    }

    private Scenario.Stop stop(JsonNode node) {
        if (node == null) {
            return new Scenario.Stop(DEFAULT_STOP, true);
        }
        if (!node.isObject()) {
            error("stop", Json.mismatch(node, "an object such as {\"after\": \"60s\", \"whenAllExited\": true}"));
            return new Scenario.Stop(DEFAULT_STOP, true);
        }
        keys(node, "stop", STOP);
        long after = duration(node.get("after"), "stop.after", DEFAULT_STOP);
        if (after <= 0) {
            error("stop.after", "must be longer than 0");
            after = DEFAULT_STOP;
        }
        return new Scenario.Stop(after, bool(node.get("whenAllExited"), "stop.whenAllExited", true));
    }
}
