package io.jocclum.libos.scenario;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Everything a run produced, in the shape of data.json (schema {@value #SCHEMA}, see
 * docs/scenarios.md): the cgroups with their limit history, the enclaves with their outcomes, the
 * sampled series, the timeline and the scalar metrics. Times are simulated nanoseconds. Built once
 * by the {@link Engine}; lists in their deterministic order.
 */
public record RunData(String name, String description, long seed, Scenario.Host host, long sampleInterval, long duration,
                      String stopReason, Map<String, String> params, List<CgroupData> cgroups, List<EnclaveData> enclaves,
                      long[] sampleTimes, List<Series> series, List<Event> events, Map<String, Metric> metrics) {
    public static final String SCHEMA = "jocclum-scenario/1";

    /** A limit as set at {@code at}: null means max. */
    public record Limit(long at, Long epcMax, Long memoryMax) {
    }

    public record CgroupData(String path, String parent, List<Limit> limits) {
    }

    /**
     * One enclave's outcome: {@code startup} null if it never started, {@code exitStatus} null
     * unless it exited, latencies null when it completed no operation.
     */
    public record EnclaveData(String name, String cgroup, boolean edmm, Long start, Long startup, String outcome,
                              Integer exitStatus, String detail, long runs, long operations, Long latencyP50,
                              Long latencyP99, Long latencyMax, String programs) {
    }

    /** One series: a value per sample time (null where there is none). */
    public record Series(String scope, String id, String metric, String unit, List<BigDecimal> values) {
        /** The CSV file name under series/: scope-id-metric.csv with the id's slashes as '_' ("root" for "/"). */
        public String fileName() {
            String i = id.equals("/") ? "root" : id.startsWith("/") ? id.substring(1).replace('/', '_') : id;
            return scope + "-" + i + "-" + metric + ".csv";
        }
    }

    public record Event(long at, String kind, String target, String detail) {
    }

    public record Metric(BigDecimal value, String unit) {
    }
}
