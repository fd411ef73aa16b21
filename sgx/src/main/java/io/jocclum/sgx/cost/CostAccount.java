package io.jocclum.sgx.cost;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cost account of one enclave (or of the kernel, for work no enclave caused): event counters and
 * simulated cycles. Leaves, faults, AEX/ERESUME, ECALLs and OCALLs charge the account of the enclave
 * that caused them. Thread-safe and cheap under contention (LongAdders).
 */
public final class CostAccount {
    private final String name;
    private final CostModel model;
    private final CycleClock clock;
    private final LongAdder[] counts;
    private final LongAdder cycles = new LongAdder();

    public CostAccount(String name, CostModel model, CycleClock clock) {
        this.name = name;
        this.model = model;
        this.clock = clock;
        this.counts = new LongAdder[CostEvent.values().length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public String name() {
        return name;
    }

    public CostModel model() {
        return model;
    }

    public void charge(CostEvent e) {
        counts[e.ordinal()].increment();
        addCycles(model.cycles(e));
    }

    public void charge(CostEvent e, long times) {
        counts[e.ordinal()].add(times);
        addCycles(model.cycles(e) * times);
    }

    /** Charges the copy of {@code bytes} across the enclave boundary (per KB, rounded up). */
    public void chargeCopy(long bytes) {
        if (bytes > 0) {
            addCycles((bytes + 1023) / 1024 * model.copyCyclesPerKb());
        }
    }

    private void addCycles(long c) {
        cycles.add(c);
        if (clock != null) {
            clock.advance(c);
        }
    }

    public long count(CostEvent e) {
        return counts[e.ordinal()].sum();
    }

    public long cycles() {
        return cycles.sum();
    }

    public EnclaveStats snapshot() {
        Map<CostEvent, Long> m = new EnumMap<>(CostEvent.class);
        for (CostEvent e : CostEvent.values()) {
            m.put(e, counts[e.ordinal()].sum());
        }
        long c = cycles.sum();
        return new EnclaveStats(name, m, c, model.nanos(c));
    }
}
