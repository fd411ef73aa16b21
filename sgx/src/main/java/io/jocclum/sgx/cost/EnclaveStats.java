package io.jocclum.sgx.cost;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of an enclave's counters (what {@code jocclum run --stats} prints).
 *
 * @param name           the enclave (or account) name
 * @param counts         events by kind
 * @param cycles         simulated CPU cycles charged
 * @param simulatedNanos the cycles in simulated time at the platform's CPU frequency
 */
public record EnclaveStats(String name, Map<CostEvent, Long> counts, long cycles, long simulatedNanos) {
    public EnclaveStats {
        counts = Collections.unmodifiableMap(new EnumMap<>(counts));
    }

    public long count(CostEvent e) {
        return counts.getOrDefault(e, 0L);
    }

    /** One line per non-zero counter, then cycles and simulated time. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("enclave ").append(name).append('\n');
        counts.forEach((e, n) -> {
            if (n != 0) {
                sb.append(String.format("  %-12s %,d%n", e.name(), n));
            }
        });
        sb.append(String.format("  %-12s %,d%n", "cycles", cycles));
        sb.append(String.format("  %-12s %.6f s%n", "sim-time", simulatedNanos / 1e9));
        return sb.toString();
    }
}
