package io.jocclum.sgx.cost;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cost account of one enclave (or of the kernel, for work no enclave caused): event counters and
 * simulated cycles. Leaves, faults, AEX/ERESUME, ECALLs and OCALLs charge the account of the enclave
 * that caused them. Thread-safe and cheap under contention (LongAdders).
 *
 * <p>A charge updates two adders, the event's counter and the account's cycles (read often: a
 * scenario's clock per enclave); the platform clock is not a third: it sums its accounts' cycles
 * when it is read.
 */
public final class CostAccount {
    private final String name;
    private final CostModel model;
    private final LongAdder[] counts;
    private final LongAdder cycles = new LongAdder();
    private final long[] cyclesPerEvent;

    public CostAccount(String name, CostModel model, CycleClock clock) {
        this.name = name;
        this.model = model;
        this.counts = new LongAdder[CostEvent.values().length];
        this.cyclesPerEvent = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
            cyclesPerEvent[i] = model.cycles(CostEvent.values()[i]);
        }
        if (clock != null) {
            clock.register(this);
        }
    }

    public String name() {
        return name;
    }

    public CostModel model() {
        return model;
    }

    public void charge(CostEvent e) {
        int i = e.ordinal();
        counts[i].increment();
        cycles.add(cyclesPerEvent[i]);
    }

    public void charge(CostEvent e, long times) {
        int i = e.ordinal();
        counts[i].add(times);
        cycles.add(cyclesPerEvent[i] * times);
    }

    /** Charges the copy of {@code bytes} across the enclave boundary (per KB, rounded up). */
    public void chargeCopy(long bytes) {
        if (bytes > 0) {
            cycles.add((bytes + 1023) / 1024 * model.copyCyclesPerKb());
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
