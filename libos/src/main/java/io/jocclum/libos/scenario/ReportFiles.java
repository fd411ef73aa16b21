package io.jocclum.libos.scenario;

import tools.jackson.core.StreamWriteFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The files of a run in its report directory: {@code data.json} (schema {@value RunData#SCHEMA}),
 * {@code series/SCOPE-ID-METRIC.csv} ({@code t_s,value}), {@code events.csv}
 * ({@code t_s,kind,target,detail}) and {@code enclaves.csv}. Byte-identical for identical
 * {@link RunData}: keys in a fixed order, numbers as plain decimals, times with 6 decimals, "\n"
 * line ends.
 */
public final class ReportFiles {
    /** Pretty-printed JSON with plain decimals (what data.json and sweep.json use). */
    static final JsonMapper WRITER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    private ReportFiles() {
    }

    /** Writes the files of {@code d} into {@code dir} (created if missing). */
    public static void write(RunData d, Path dir) throws IOException {
        Files.createDirectories(dir.resolve("series"));
        writeJson(dir.resolve("data.json"), json(d));
        for (RunData.Series s : d.series()) {
            StringBuilder b = new StringBuilder("t_s,value\n");
            for (int i = 0; i < d.sampleTimes().length; i++) {
                BigDecimal v = s.values().get(i);
                b.append(Durations.seconds(d.sampleTimes()[i]).toPlainString()).append(',')
                        .append(v == null ? "" : v.toPlainString()).append('\n');
            }
            Files.writeString(dir.resolve("series").resolve(s.fileName()), b, StandardCharsets.UTF_8);
        }
        StringBuilder ev = new StringBuilder("t_s,kind,target,detail\n");
        for (RunData.Event e : d.events()) {
            ev.append(Durations.seconds(e.at()).toPlainString()).append(',').append(csv(e.kind())).append(',')
                    .append(csv(e.target())).append(',').append(csv(e.detail())).append('\n');
        }
        Files.writeString(dir.resolve("events.csv"), ev, StandardCharsets.UTF_8);
        StringBuilder en = new StringBuilder("name,cgroup,edmm,start_s,startup_s,outcome,exit_status,runs,operations,"
                + "latency_p50_s,latency_p99_s,latency_max_s,programs,detail\n");
        for (RunData.EnclaveData e : d.enclaves()) {
            en.append(csv(e.name())).append(',').append(csv(e.cgroup())).append(',').append(e.edmm()).append(',')
                    .append(seconds(e.start())).append(',').append(seconds(e.startup())).append(',').append(e.outcome())
                    .append(',').append(e.exitStatus() == null ? "" : e.exitStatus().toString()).append(',').append(e.runs())
                    .append(',').append(e.operations()).append(',').append(nanos(e.latencyP50())).append(',')
                    .append(nanos(e.latencyP99())).append(',').append(nanos(e.latencyMax())).append(',')
                    .append(csv(e.programs())).append(',').append(csv(e.detail())).append('\n');
        }
        Files.writeString(dir.resolve("enclaves.csv"), en, StandardCharsets.UTF_8);
    }

    static void writeJson(Path file, JsonNode node) throws IOException {
        String text = WRITER.writeValueAsString(node).replace("\r\n", "\n") + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static String seconds(Long ns) {
        return ns == null ? "" : Durations.seconds(ns).toPlainString();
    }

    private static String nanos(Long ns) {
        return ns == null ? "" : BigDecimal.valueOf(ns, 9).toPlainString();
    }

    private static String csv(String s) {
        if (s == null) {
            return "";
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private static BigDecimal sec(long ns) {
        return Durations.seconds(ns).stripTrailingZeros();
    }

    /** data.json's tree. */
    static ObjectNode json(RunData d) {
        ObjectNode root = WRITER.createObjectNode();
        root.put("schema", RunData.SCHEMA);
        root.put("name", d.name());
        if (!d.description().isEmpty()) {
            root.put("description", d.description());
        }
        root.put("seed", d.seed());
        ObjectNode params = root.putObject("params");
        d.params().forEach(params::put);
        ObjectNode host = root.putObject("host");
        host.put("epcBytes", d.host().epcBytes());
        host.put("sgx", d.host().sgx2() ? 2 : 1);
        host.put("ramBytes", d.host().ramBytes());
        host.put("swap", d.host().swap());
        host.put("costModel", d.host().costModelName());
        host.put("cpuHz", d.host().costModel().cpuHz());
        root.put("sampleIntervalS", sec(d.sampleInterval()));
        root.put("durationS", sec(d.duration()));
        root.put("stopReason", d.stopReason());
        ArrayNode cgs = root.putArray("cgroups");
        for (RunData.CgroupData c : d.cgroups()) {
            ObjectNode o = cgs.addObject();
            o.put("path", c.path());
            o.put("parent", c.parent());
            ArrayNode ls = o.putArray("limits");
            for (RunData.Limit l : c.limits()) {
                ObjectNode x = ls.addObject();
                x.put("tS", sec(l.at()));
                putNullable(x, "epcMaxBytes", l.epcMax());
                putNullable(x, "memoryMaxBytes", l.memoryMax());
            }
        }
        ArrayNode ens = root.putArray("enclaves");
        for (RunData.EnclaveData e : d.enclaves()) {
            ObjectNode o = ens.addObject();
            o.put("name", e.name());
            o.put("cgroup", e.cgroup());
            o.put("edmm", e.edmm());
            if (e.start() == null) {
                o.putNull("startS");
            } else {
                o.put("startS", sec(e.start()));
            }
            if (e.startup() == null) {
                o.putNull("startupS");
            } else {
                o.put("startupS", BigDecimal.valueOf(e.startup(), 9).stripTrailingZeros());
            }
            o.put("outcome", e.outcome());
            if (e.exitStatus() == null) {
                o.putNull("exitStatus");
            } else {
                o.put("exitStatus", e.exitStatus());
            }
            o.put("detail", e.detail());
            o.put("programs", e.programs());
            o.put("runs", e.runs());
            o.put("operations", e.operations());
            if (e.latencyP50() == null) {
                o.putNull("latencyS");
            } else {
                ObjectNode l = o.putObject("latencyS");
                l.put("p50", BigDecimal.valueOf(e.latencyP50(), 9).stripTrailingZeros());
                l.put("p99", BigDecimal.valueOf(e.latencyP99(), 9).stripTrailingZeros());
                l.put("max", BigDecimal.valueOf(e.latencyMax(), 9).stripTrailingZeros());
            }
        }
        ArrayNode ss = root.putArray("series");
        for (RunData.Series s : d.series()) {
            ObjectNode o = ss.addObject();
            o.put("scope", s.scope());
            o.put("id", s.id());
            o.put("metric", s.metric());
            o.put("unit", s.unit());
            o.put("csv", "series/" + s.fileName());
            ArrayNode t = o.putArray("t");
            for (long ns : d.sampleTimes()) {
                t.add(sec(ns));
            }
            ArrayNode v = o.putArray("values");
            for (BigDecimal x : s.values()) {
                if (x == null) {
                    v.addNull();
                } else {
                    v.add(x);
                }
            }
        }
        ArrayNode evs = root.putArray("events");
        for (RunData.Event e : d.events()) {
            ObjectNode o = evs.addObject();
            o.put("tS", sec(e.at()));
            o.put("kind", e.kind());
            o.put("target", e.target());
            o.put("detail", e.detail());
        }
        ObjectNode metrics = root.putObject("metrics");
        for (Map.Entry<String, RunData.Metric> m : d.metrics().entrySet()) {
            ObjectNode o = metrics.putObject(m.getKey());
            o.put("value", m.getValue().value());
            o.put("unit", m.getValue().unit());
        }
        return root;
    }

    private static void putNullable(ObjectNode o, String key, Long v) {
        if (v == null) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }

}
