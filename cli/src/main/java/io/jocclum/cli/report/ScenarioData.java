package io.jocclum.cli.report;

import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A scenario run as its {@code data.json} (schema {@code jocclum-scenario/1}) describes it. Missing
 * values are {@code null} (scalars) or {@code NaN} (series samples).
 */
record ScenarioData(String name, String description, Long seed, Host host, double sampleIntervalS, double durationS,
                    String stopReason, List<Cgroup> cgroups, List<Enclave> enclaves, List<Series> series,
                    List<Event> events, Map<String, Metric> metrics) {

    static final String SCHEMA = "jocclum-scenario/1";

    /** The simulated host; any field may be unknown (null). */
    record Host(Long epcBytes, Integer sgx, Long ramBytes, String costModel) {
    }

    /** One limit setting from {@code tS} on; null = "max" (no limit). */
    record Limit(double tS, Long epcMaxBytes, Long memoryMaxBytes) {
    }

    record Cgroup(String path, String parent, List<Limit> limits) {
        boolean hasEpcLimit() {
            return limits.stream().anyMatch(l -> l.epcMaxBytes() != null);
        }

        /** The sgx_epc limit in effect at {@code t} (the last change at or before t), null = max. */
        Long epcLimitAt(double t) {
            Long v = null;
            for (Limit l : limits) {
                if (l.tS() <= t) {
                    v = l.epcMaxBytes();
                }
            }
            return v;
        }
    }

    record Latency(Double p50, Double p99, Double max) {
    }

    record Enclave(String name, String cgroup, Boolean edmm, double startS, Double startupS, String outcome,
                   Integer exitStatus, String detail, Long runs, Long operations, Latency latencyS) {
    }

    /** One time series: {@code values[i]} sampled at {@code t[i]}; NaN where the value is null. */
    record Series(String scope, String id, String metric, String unit, double[] t, double[] values) {
        /** The key SVG elements carry in {@code data-series}: {@code scope:id:metric}. */
        String key() {
            return scope + ":" + id + ":" + metric;
        }

        boolean anyNonZero() {
            for (double v : values) {
                if (!Double.isNaN(v) && v != 0) {
                    return true;
                }
            }
            return false;
        }

        boolean anyValue() {
            for (double v : values) {
                if (!Double.isNaN(v)) {
                    return true;
                }
            }
            return false;
        }

        /** The largest value, NaN if none. */
        double max() {
            double m = Double.NaN;
            for (double v : values) {
                if (!Double.isNaN(v) && (Double.isNaN(m) || v > m)) {
                    m = v;
                }
            }
            return m;
        }

        /** Index of the first largest value, -1 if none. */
        int argMax() {
            int best = -1;
            for (int i = 0; i < values.length; i++) {
                if (!Double.isNaN(values[i]) && (best < 0 || values[i] > values[best])) {
                    best = i;
                }
            }
            return best;
        }

        /**
         * The integral of a rate over time: each sample's value times the time since the previous
         * sample (a rate sample covers the interval that ends at it); nulls count as 0.
         */
        double integral() {
            double sum = 0;
            for (int i = 1; i < t.length; i++) {
                if (!Double.isNaN(values[i])) {
                    sum += values[i] * (t[i] - t[i - 1]);
                }
            }
            return sum;
        }

        /**
         * The values at the ascending times {@code grid} as the stacked chart uses them: the sample
         * at that time, else the last one before it; null and "before the first sample" count as 0.
         */
        double[] heldOn(double[] grid) {
            double[] out = new double[grid.length];
            int i = 0;
            double v = 0;
            for (int g = 0; g < grid.length; g++) {
                while (i < t.length && t[i] <= grid[g]) {
                    v = Double.isNaN(values[i]) ? 0 : values[i];
                    i++;
                }
                out[g] = v;
            }
            return out;
        }
    }

    record Event(double tS, String kind, String target, String detail) {
    }

    record Metric(Double value, String unit) {
    }

    static final Set<String> OUTCOMES = Set.of("exited", "killed", "oom-killed", "failed-to-start", "running");

    Optional<Series> find(String scope, String id, String metric) {
        return series.stream().filter(s -> s.scope().equals(scope) && s.id().equals(id) && s.metric().equals(metric))
                .findFirst();
    }

    List<Series> all(String scope, String metric) {
        return series.stream().filter(s -> s.scope().equals(scope) && s.metric().equals(metric)).toList();
    }

    /** The cgroups without a child cgroup, other than the root. */
    List<Cgroup> leafCgroups() {
        Set<String> parents = new HashSet<>();
        cgroups.forEach(c -> parents.add(c.parent()));
        return cgroups.stream().filter(c -> !c.path().equals("/") && !parents.contains(c.path())).toList();
    }

    Optional<Cgroup> cgroup(String path) {
        return cgroups.stream().filter(c -> c.path().equals(path)).findFirst();
    }

    /** Reads and checks {@code file}; an IOException names the file and the JSON path of the first problem. */
    static ScenarioData read(Path file) throws IOException {
        Json.Root r = Json.read(file);
        Json j = r.json();
        JsonNode root = r.node();
        j.schema(root, SCHEMA);
        String name = j.string(root, "name", "$", "scenario");
        String description = j.string(root, "description", "$", null);
        Double seedD = j.numberOrNull(root, "seed", "$");
        JsonNode h = j.objectOrEmpty(root, "host", "$");
        Double epc = j.numberOrNull(h, "epcBytes", "$.host");
        Double sgx = j.numberOrNull(h, "sgx", "$.host");
        Double ram = j.numberOrNull(h, "ramBytes", "$.host");
        Host host = new Host(epc == null ? null : nonNegative(j, epc, "$.host.epcBytes").longValue(),
                sgx == null ? null : sgx.intValue(), ram == null ? null : ram.longValue(),
                j.string(h, "costModel", "$.host", null));
        Double interval = j.numberOrNull(root, "sampleIntervalS", "$");
        double duration = nonNegative(j, j.number(root, "durationS", "$"), "$.durationS");
        String stop = j.string(root, "stopReason", "$", null);

        List<Cgroup> cgroups = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        List<JsonNode> cgs = j.arrayOrEmpty(root, "cgroups", "$");
        for (int i = 0; i < cgs.size(); i++) {
            String p = Json.index("$.cgroups", i);
            JsonNode c = j.objectAt(cgs, i, "$.cgroups", "");
            String path = j.string(c, "path", p);
            if (!path.startsWith("/")) {
                throw j.error(Json.field(p, "path"), "must be an absolute cgroup path starting with /, not \"" + path + "\"");
            }
            if (!paths.add(path)) {
                throw j.error(Json.field(p, "path"), "repeats the cgroup \"" + path + "\"");
            }
            String parent = j.string(c, "parent", p, path.equals("/") ? "" : parentOf(path));
            List<Limit> limits = new ArrayList<>();
            List<JsonNode> ls = j.arrayOrEmpty(c, "limits", p);
            double last = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < ls.size(); k++) {
                String lp = Json.index(Json.field(p, "limits"), k);
                JsonNode l = j.objectAt(ls, k, Json.field(p, "limits"), "");
                double t = j.number(l, "tS", lp);
                if (t < last) {
                    throw j.error(Json.field(lp, "tS"), "is " + t + ", before the previous limit's " + last
                            + " (limits must be in time order)");
                }
                last = t;
                Double e = j.numberOrNull(l, "epcMaxBytes", lp);
                Double m = j.numberOrNull(l, "memoryMaxBytes", lp);
                limits.add(new Limit(t, e == null ? null : nonNegative(j, e, Json.field(lp, "epcMaxBytes")).longValue(),
                        m == null ? null : nonNegative(j, m, Json.field(lp, "memoryMaxBytes")).longValue()));
            }
            cgroups.add(new Cgroup(path, parent, List.copyOf(limits)));
        }

        List<Enclave> enclaves = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<JsonNode> es = j.arrayOrEmpty(root, "enclaves", "$");
        for (int i = 0; i < es.size(); i++) {
            String p = Json.index("$.enclaves", i);
            JsonNode e = j.objectAt(es, i, "$.enclaves", "");
            String en = j.string(e, "name", p);
            if (!names.add(en)) {
                throw j.error(Json.field(p, "name"), "repeats the enclave name \"" + en + "\"");
            }
            String outcome = j.string(e, "outcome", p, "running");
            if (!OUTCOMES.contains(outcome)) {
                throw j.error(Json.field(p, "outcome"), "is \"" + outcome
                        + "\"; allowed: exited, killed, oom-killed, failed-to-start, running");
            }
            Double startup = j.numberOrNull(e, "startupS", p);
            if (startup != null) {
                nonNegative(j, startup, Json.field(p, "startupS"));
            }
            Double exit = j.numberOrNull(e, "exitStatus", p);
            Double runs = j.numberOrNull(e, "runs", p);
            Double ops = j.numberOrNull(e, "operations", p);
            Latency lat = null;
            JsonNode ln = e.get("latencyS");
            if (ln != null && !ln.isNull()) {
                String lp = Json.field(p, "latencyS");
                if (!ln.isObject()) {
                    throw j.error(lp, "must be an object or null");
                }
                lat = new Latency(j.numberOrNull(ln, "p50", lp), j.numberOrNull(ln, "p99", lp), j.numberOrNull(ln, "max", lp));
            }
            Double start = j.numberOrNull(e, "startS", p);
            enclaves.add(new Enclave(en, j.string(e, "cgroup", p, null), j.booleanOrNull(e, "edmm", p),
                    start == null ? 0 : start, startup, outcome, exit == null ? null : exit.intValue(),
                    j.string(e, "detail", p, null), runs == null ? null : runs.longValue(),
                    ops == null ? null : ops.longValue(), lat));
        }

        List<Series> series = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        List<JsonNode> ss = j.arrayOrEmpty(root, "series", "$");
        for (int i = 0; i < ss.size(); i++) {
            String p = Json.index("$.series", i);
            JsonNode s = j.objectAt(ss, i, "$.series", "");
            String scope = j.string(s, "scope", p);
            if (!Set.of("host", "cgroup", "enclave").contains(scope)) {
                throw j.error(Json.field(p, "scope"), "is \"" + scope + "\"; allowed: host, cgroup, enclave");
            }
            String id = j.string(s, "id", p);
            String metric = j.string(s, "metric", p);
            String unit = j.string(s, "unit", p, "");
            List<JsonNode> tn = j.array(s, "t", p);
            List<JsonNode> vn = j.array(s, "values", p);
            if (tn.size() != vn.size()) {
                throw j.error(Json.field(p, "values"), "has " + vn.size() + (vn.size() == 1 ? " entry" : " entries") + " but " + Json.field(p, "t")
                        + " has " + tn.size() + " (they must have the same length)");
            }
            double[] t = new double[tn.size()];
            double[] v = new double[vn.size()];
            for (int k = 0; k < t.length; k++) {
                String tp = Json.index(Json.field(p, "t"), k);
                Double tk = j.numberOrNull(tn.get(k), tp);
                if (tk == null) {
                    throw j.error(tp, "must be a number, not null");
                }
                if (k > 0 && tk < t[k - 1]) {
                    throw j.error(tp, "is " + tk + ", before the previous sample's " + t[k - 1]
                            + " (times must not decrease)");
                }
                t[k] = tk;
                Double vk = j.numberOrNull(vn.get(k), Json.index(Json.field(p, "values"), k));
                v[k] = vk == null ? Double.NaN : vk;
            }
            Series se = new Series(scope, id, metric, unit, t, v);
            if (!keys.add(se.key())) {
                throw j.error(p, "repeats the series " + scope + " \"" + id + "\" " + metric);
            }
            series.add(se);
        }

        List<Event> events = new ArrayList<>();
        List<JsonNode> evs = j.arrayOrEmpty(root, "events", "$");
        for (int i = 0; i < evs.size(); i++) {
            String p = Json.index("$.events", i);
            JsonNode e = j.objectAt(evs, i, "$.events", "");
            events.add(new Event(j.number(e, "tS", p), j.string(e, "kind", p), j.string(e, "target", p, ""),
                    j.string(e, "detail", p, "")));
        }

        Map<String, Metric> metrics = readMetrics(j, j.objectOrEmpty(root, "metrics", "$"), "$.metrics");
        return new ScenarioData(name, description, seedD == null ? null : seedD.longValue(), host,
                interval == null ? Double.NaN : interval, duration, stop, List.copyOf(cgroups), List.copyOf(enclaves),
                List.copyOf(series), List.copyOf(events), metrics);
    }

    /** A {@code metrics} object: name → {value, unit}; in file order. */
    static Map<String, Metric> readMetrics(Json j, JsonNode metrics, String path) throws IOException {
        Map<String, Metric> out = new LinkedHashMap<>();
        for (var e : metrics.properties()) {
            String p = Json.field(path, e.getKey());
            JsonNode m = e.getValue();
            if (!m.isObject()) {
                throw j.error(p, "must be an object with value and unit");
            }
            out.put(e.getKey(), new Metric(j.numberOrNull(m, "value", p), j.string(m, "unit", p, "")));
        }
        return out;
    }

    private static Double nonNegative(Json j, double v, String path) throws IOException {
        if (v < 0) {
            throw j.error(path, "is " + v + " but must not be negative");
        }
        return v;
    }

    private static String parentOf(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }
}
