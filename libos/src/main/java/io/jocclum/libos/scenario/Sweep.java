package io.jocclum.libos.scenario;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Parameter sweeps: the grid of {@code --vary PATH=V1,V2,...} (the first parameter outermost), the
 * point directories ({@code point-000}, ...), and {@code sweep.json} (schema {@value #SCHEMA}) built
 * from the points' data.json files, so that a sweep run here and the same points run anywhere and
 * merged give the same file.
 */
public final class Sweep {
    public static final String SCHEMA = "jocclum-sweep/1";
    /** Most points a sweep may have. */
    public static final int MAX_POINTS = 10_000;

    private Sweep() {
    }

    /** One varied parameter and its values as the user gave them. */
    public record Vary(String path, List<String> values) {
        public Vary {
            values = List.copyOf(values);
        }

        /** "PATH=V1,V2"; IllegalArgumentException (one sentence) otherwise. */
        public static Vary parse(String text) {
            int eq = text.indexOf('=');
            if (eq <= 0 || eq == text.length() - 1) {
                throw new IllegalArgumentException("--vary '" + text + "' is not PATH=V1,V2,... (e.g. cgroups./pod-a.epcMax=16MB,32MB)");
            }
            List<String> values = new ArrayList<>();
            for (String v : text.substring(eq + 1).split(",", -1)) {
                if (v.isBlank()) {
                    throw new IllegalArgumentException("--vary '" + text + "' has an empty value; separate the values with single commas");
                }
                if (values.contains(v)) {
                    throw new IllegalArgumentException("--vary '" + text + "' lists " + v + " twice");
                }
                values.add(v);
            }
            return new Vary(text.substring(0, eq).strip(), values);
        }
    }

    /** A point of the grid: its settings, in the order of the parameters, and its directory name. */
    public record Point(int index, List<ScenarioFile.Setting> settings) {
        public String dir() {
            return String.format(Locale.ROOT, "point-%03d", index);
        }
    }

    /** Every point of the grid, the first parameter varying slowest. IllegalArgumentException when it is too large. */
    public static List<Point> grid(List<Vary> vary) {
        long n = 1;
        for (Vary v : vary) {
            n *= v.values().size();
            if (n > MAX_POINTS) {
                throw new IllegalArgumentException("the grid has more than " + MAX_POINTS + " points; vary fewer values");
            }
        }
        Set<String> paths = new LinkedHashSet<>();
        for (Vary v : vary) {
            if (!paths.add(v.path())) {
                throw new IllegalArgumentException("--vary " + v.path() + " is given twice; list all its values in one --vary");
            }
        }
        List<Point> out = new ArrayList<>();
        int[] idx = new int[vary.size()];
        for (int p = 0; p < n; p++) {
            List<ScenarioFile.Setting> s = new ArrayList<>();
            for (int i = 0; i < vary.size(); i++) {
                s.add(new ScenarioFile.Setting(vary.get(i).path(), vary.get(i).values().get(idx[i])));
            }
            out.add(new Point(p, s));
            for (int i = vary.size() - 1; i >= 0; i--) {
                if (++idx[i] < vary.get(i).values().size()) {
                    break;
                }
                idx[i] = 0;
            }
        }
        return out;
    }

    /**
     * The point directories under {@code dirs}: each is a point itself (it has data.json) or holds
     * points as subdirectories; sorted by path within each argument. IOException (one sentence)
     * when an argument is neither.
     */
    public static List<Path> pointDirs(List<Path> dirs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            if (Files.isRegularFile(d.resolve("data.json"))) {
                out.add(d);
                continue;
            }
            if (!Files.isDirectory(d)) {
                throw new IOException(d + " is not a directory.");
            }
            List<Path> sub;
            try (Stream<Path> s = Files.list(d)) {
                sub = s.filter(p -> Files.isRegularFile(p.resolve("data.json"))).sorted().toList();
            }
            if (sub.isEmpty()) {
                throw new IOException(d + " holds no scenario results (no data.json in it or in its subdirectories).");
            }
            out.addAll(sub);
        }
        return out;
    }

    /**
     * Builds {@code out/sweep.json} from the points' data.json files: the name of the first point,
     * the varied parameters (each point's {@code params}, values in the order of the points), and
     * each point's params, directory (relative to {@code out}) and metrics. IOException (one
     * sentence) for a data.json that cannot be read or points that vary different parameters.
     */
    public static void merge(List<Path> points, Path out) throws IOException {
        ObjectNode root = ReportFiles.WRITER.createObjectNode();
        root.put("schema", SCHEMA);
        Map<String, List<String>> vary = new LinkedHashMap<>();
        List<ObjectNode> pts = new ArrayList<>();
        String name = null;
        Set<String> keys = null;
        for (Path p : points) {
            JsonNode d;
            Path file = p.resolve("data.json");
            try {
                d = Json.read(Files.readAllBytes(file));
            } catch (JacksonException e) {
                throw new IOException(file + " is not valid JSON; run the point again.");
            }
            if (d == null || !d.isObject() || !RunData.SCHEMA.equals(d.path("schema").asString(""))) {
                throw new IOException(file + " is not a scenario result (schema " + RunData.SCHEMA + ").");
            }
            if (name == null) {
                name = d.path("name").asString("");
            }
            JsonNode params = d.path("params");
            Set<String> k = new LinkedHashSet<>(params.isObject() ? params.propertyNames() : List.of());
            if (keys == null) {
                keys = k;
            } else if (!keys.equals(k)) {
                throw new IOException(file + " varies " + (k.isEmpty() ? "nothing" : String.join(", ", k)) + " but the first point"
                        + " varies " + (keys.isEmpty() ? "nothing" : String.join(", ", keys)) + "; merge points of one sweep.");
            }
            ObjectNode pt = ReportFiles.WRITER.createObjectNode();
            ObjectNode pp = pt.putObject("params");
            for (String key : k) {
                String v = params.get(key).asString();
                pp.put(key, v);
                List<String> vs = vary.computeIfAbsent(key, x -> new ArrayList<>());
                if (!vs.contains(v)) {
                    vs.add(v);
                }
            }
            pt.put("dir", out.toAbsolutePath().normalize().relativize(p.toAbsolutePath().normalize()).toString()
                    .replace(java.io.File.separatorChar, '/'));
            pt.set("metrics", d.path("metrics").isObject() ? d.get("metrics") : ReportFiles.WRITER.createObjectNode());
            pts.add(pt);
        }
        root.put("name", name == null ? "" : name);
        ArrayNode va = root.putArray("vary");
        vary.forEach((path, values) -> {
            ObjectNode o = va.addObject();
            o.put("path", path);
            ArrayNode a = o.putArray("values");
            values.forEach(a::add);
        });
        ArrayNode pa = root.putArray("points");
        pts.forEach(pa::add);
        Files.createDirectories(out);
        ReportFiles.writeJson(out.resolve("sweep.json"), root);
    }

    /** A word for a shell command line: as is when safe, else in single quotes. */
    public static String shellWord(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./=:,+@%-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
