package io.jocclum.cli.report;

import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A parameter sweep as its {@code sweep.json} (schema {@code jocclum-sweep/1}) describes it. */
record SweepData(String name, List<Vary> vary, List<Point> points) {
    static final String SCHEMA = "jocclum-sweep/1";

    /** One varied parameter: its path in the scenario file and its values, as the user gave them. */
    record Vary(String path, List<String> values) {
    }

    /** One point of the grid: its parameter values, its directory (relative) and its metrics. */
    record Point(Map<String, String> params, String dir, Map<String, ScenarioData.Metric> metrics) {
    }

    static SweepData read(Path file) throws IOException {
        Json.Root r = Json.read(file);
        Json j = r.json();
        JsonNode root = r.node();
        j.schema(root, SCHEMA);
        String name = j.string(root, "name", "$", "sweep");
        List<JsonNode> vs = j.array(root, "vary", "$");
        if (vs.isEmpty()) {
            throw j.error("$.vary", "is empty; a sweep varies at least one parameter");
        }
        List<Vary> vary = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < vs.size(); i++) {
            String p = Json.index("$.vary", i);
            JsonNode v = j.objectAt(vs, i, "$.vary", " with path and values");
            String path = j.string(v, "path", p);
            if (!paths.add(path)) {
                throw j.error(Json.field(p, "path"), "repeats the parameter \"" + path + "\"");
            }
            List<JsonNode> values = j.array(v, "values", p);
            if (values.isEmpty()) {
                throw j.error(Json.field(p, "values"), "is empty; give at least one value");
            }
            List<String> texts = new ArrayList<>();
            for (int k = 0; k < values.size(); k++) {
                texts.add(scalar(j, values.get(k), Json.index(Json.field(p, "values"), k)));
            }
            vary.add(new Vary(path, List.copyOf(texts)));
        }
        List<Point> points = new ArrayList<>();
        List<JsonNode> ps = j.array(root, "points", "$");
        for (int i = 0; i < ps.size(); i++) {
            String p = Json.index("$.points", i);
            JsonNode pt = j.objectAt(ps, i, "$.points", " with params, dir and metrics");
            JsonNode pn = j.object(pt, "params", p);
            Map<String, String> params = new LinkedHashMap<>();
            for (Vary v : vary) {
                JsonNode value = pn.get(v.path());
                String vp = Json.field(Json.field(p, "params"), v.path());
                if (value == null) {
                    throw j.error(vp, "is missing; every point needs a value of each varied parameter");
                }
                String text = scalar(j, value, vp);
                if (!v.values().contains(text)) {
                    throw j.error(vp, "is \"" + text + "\", which is not one of the values of $.vary (" + String.join(", ",
                            v.values()) + ")");
                }
                params.put(v.path(), text);
            }
            String dir = j.string(pt, "dir", p);
            if (dir.isEmpty() || dir.startsWith("/") || dir.contains("\\") || List.of(dir.split("/")).contains("..")
                    || dir.contains(":")) {
                throw j.error(Json.field(p, "dir"), "is \"" + dir
                        + "\"; it must be a directory relative to the sweep directory, without .. or a scheme");
            }
            points.add(new Point(params, dir,
                    ScenarioData.readMetrics(j, j.objectOrEmpty(pt, "metrics", p), Json.field(p, "metrics"))));
        }
        return new SweepData(name, List.copyOf(vary), List.copyOf(points));
    }

    private static String scalar(Json j, JsonNode n, String path) throws IOException {
        if (n.isString()) {
            return n.stringValue();
        }
        if (n.isNumber() || n.isBoolean()) {
            return n.asString();
        }
        throw j.error(path, "must be a string or a number");
    }
}
