package io.jocclum.cli.report;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds data.json files (schema jocclum-scenario/1) for the report tests. */
final class DataJson {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final long MB = 1L << 20;

    final ObjectNode root = JSON.createObjectNode();

    private DataJson(String name, double durationS, double intervalS) {
        root.put("schema", "jocclum-scenario/1");
        root.put("name", name);
        root.put("description", "a test scenario");
        root.put("seed", 42);
        root.putObject("host").put("epcBytes", 96 * MB).put("sgx", 2).put("ramBytes", 8192 * MB).put("costModel", "default");
        root.put("sampleIntervalS", intervalS);
        root.put("durationS", durationS);
        root.put("stopReason", "all enclaves exited");
        root.putArray("cgroups");
        root.putArray("enclaves");
        root.putArray("series");
        root.putArray("events");
        root.putObject("metrics");
    }

    static DataJson scenario(String name, double durationS, double intervalS) {
        return new DataJson(name, durationS, intervalS);
    }

    /** Sample times 0, interval, 2 interval, … up to the duration. */
    double[] times() {
        int n = (int) Math.round(root.get("durationS").doubleValue() / root.get("sampleIntervalS").doubleValue()) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = Math.round(i * root.get("sampleIntervalS").doubleValue() * 1e6) / 1e6;
        }
        return t;
    }

    DataJson hostEpc(Long bytes) {
        if (bytes == null) {
            ((ObjectNode) root.get("host")).putNull("epcBytes");
        } else {
            ((ObjectNode) root.get("host")).put("epcBytes", bytes);
        }
        return this;
    }

    /** A cgroup; {@code limits} are pairs (tS, epcMaxBytes or null). */
    DataJson cgroup(String path, String parent, Object... limits) {
        ObjectNode c = ((ArrayNode) root.get("cgroups")).addObject().put("path", path);
        if (parent != null) {
            c.put("parent", parent);
        }
        ArrayNode ls = c.putArray("limits");
        for (int i = 0; i < limits.length; i += 2) {
            ObjectNode l = ls.addObject().put("tS", ((Number) limits[i]).doubleValue());
            if (limits[i + 1] == null) {
                l.putNull("epcMaxBytes");
            } else {
                l.put("epcMaxBytes", ((Number) limits[i + 1]).longValue());
            }
            l.putNull("memoryMaxBytes");
        }
        return this;
    }

    DataJson enclave(String name, String cgroup, Boolean edmm, Double startupS, String outcome) {
        ObjectNode e = ((ArrayNode) root.get("enclaves")).addObject().put("name", name).put("cgroup", cgroup);
        if (edmm == null) {
            e.putNull("edmm");
        } else {
            e.put("edmm", edmm);
        }
        e.put("startS", 0.0);
        if (startupS == null) {
            e.putNull("startupS");
        } else {
            e.put("startupS", startupS);
        }
        e.put("outcome", outcome);
        if (outcome.equals("exited")) {
            e.put("exitStatus", 0);
        } else {
            e.putNull("exitStatus");
        }
        e.put("detail", outcome.equals("oom-killed") ? "killed by OOM at 12.400 s: " + cgroup + " reached its limit" : "ran");
        e.put("runs", 1).put("operations", 1000);
        e.putObject("latencyS").put("p50", 0.0001).put("p99", 0.0004).put("max", 0.001);
        return this;
    }

    /** A series; NaN in values becomes null. */
    DataJson series(String scope, String id, String metric, String unit, double[] t, double[] values) {
        ObjectNode s = ((ArrayNode) root.get("series")).addObject().put("scope", scope).put("id", id).put("metric", metric)
                .put("unit", unit);
        ArrayNode ta = s.putArray("t");
        ArrayNode va = s.putArray("values");
        for (int i = 0; i < t.length; i++) {
            ta.add(t[i]);
            if (Double.isNaN(values[i])) {
                va.addNull();
            } else if (values[i] == Math.rint(values[i]) && Math.abs(values[i]) < 1e15) {
                va.add((long) values[i]);
            } else {
                va.add(values[i]);
            }
        }
        return this;
    }

    DataJson event(double t, String kind, String target, String detail) {
        ((ArrayNode) root.get("events")).addObject().put("tS", t).put("kind", kind).put("target", target).put("detail", detail);
        return this;
    }

    DataJson metric(String name, double value, String unit) {
        ((ObjectNode) root.get("metrics")).putObject(name).put("value", value).put("unit", unit);
        return this;
    }

    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("data.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        return dir;
    }

    // ---- typical shapes ----------------------------------------------------------------------

    /**
     * Two pods: /pod-a limited to 32MB using 20MB, /pod-b limited to 32MB (16MB from 20 s) growing
     * until it hits its limit at 12.4 s, with reclaim in /pod-b only; a1 (EDMM) and b1 (no EDMM).
     */
    static DataJson twoPods() {
        DataJson d = scenario("two-pods", 30, 0.1);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/pod-a", "/", 0.0, 32 * MB).cgroup("/pod-b", "/", 0.0, 32 * MB, 20.0, 16 * MB);
        d.enclave("a1", "/pod-a", true, 0.012, "exited").enclave("b1", "/pod-b", false, 0.624, "oom-killed");
        double[] a = new double[t.length];
        double[] b = new double[t.length];
        double[] bEvents = new double[t.length];
        double[] bEwb = new double[t.length];
        double[] aEwb = new double[t.length];
        double[] bEldu = new double[t.length];
        double[] host = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            a[i] = Math.min(20 * MB, Math.round(t[i] * 10) * 2 * MB);
            double limit = t[i] < 20 ? 32 * MB : 16 * MB;
            b[i] = t[i] < 12.4 - 1e-9 ? Math.min(31 * MB, Math.floor(t[i] / 0.4) * MB) : limit;
            bEvents[i] = t[i] < 12.4 - 1e-9 ? 0 : Math.round((t[i] - 12.4) * 10) + 1;
            bEwb[i] = t[i] < 12.4 - 1e-9 ? 0 : 500;
            bEldu[i] = t[i] < 12.4 - 1e-9 ? 0 : 450;
            host[i] = a[i] + b[i];
        }
        d.series("cgroup", "/pod-a", "epc.current", "bytes", t, a);
        d.series("cgroup", "/pod-b", "epc.current", "bytes", t, b);
        d.series("cgroup", "/pod-b", "epc.events.max", "count", t, bEvents);
        d.series("cgroup", "/pod-a", "ewb.rate", "pages/s", t, aEwb);
        d.series("cgroup", "/pod-b", "ewb.rate", "pages/s", t, bEwb);
        d.series("cgroup", "/pod-a", "eldu.rate", "pages/s", t, aEwb);
        d.series("cgroup", "/pod-b", "eldu.rate", "pages/s", t, bEldu);
        d.series("host", "host", "epc.current", "bytes", t, host);
        d.series("enclave", "a1", "faults.rate", "1/s", t, aEwb);
        d.series("enclave", "b1", "faults.rate", "1/s", t, bEldu);
        d.event(0, "start", "a1", "").event(0, "start", "b1", "").event(12.4, "note", "/pod-b", "reached its sgx_epc limit")
                .event(20, "limit", "/pod-b", "sgx_epc misc.max 32MB -> 16MB").event(25, "oom-kill", "b1", "OOM");
        d.metric("enclave.a1.startupS", 0.012, "s").metric("cgroup./pod-a.epcPeakBytes", 20 * MB, "bytes");
        return d;
    }
}
