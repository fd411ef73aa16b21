package io.jocclum.sgx.cost;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cost account of one enclave (or of the kernel, for work no enclave caused): event counters and
 * simulated cycles. Leaves, faults, AEX/ERESUME, ECALLs and OCALLs charge the account of the enclave
 * that caused them. Thread-safe and cheap under contention (LongAdders).
 *
 * <p>A charge updates one adder, the event's counter. The account's cycles are not counted
 * separately: they are the counters weighted by the model's (immutable) cycles per event, plus the
 * copies, so the figures are the same as if every charge had added its cycles; the platform clock
 * sums its accounts' cycles when it is read.
 */
public final class CostAccount {
    private final String name;
    private final CostModel model;
    private final LongAdder[] counts;
    /** Cycles of copies across the boundary ({@link #chargeCopy}); the events' cycles follow from the counters. */
    private final LongAdder copyCycles = new LongAdder();
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
    }

    public void charge(CostEvent e, long times) {
        int i = e.ordinal();
        counts[i].add(times);
    }

    /** Charges the copy of {@code bytes} across the enclave boundary (per KB, rounded up). */
    public void chargeCopy(long bytes) {
        if (bytes > 0) {
            long c = (bytes + 1023) / 1024 * model.copyCyclesPerKb();
            copyCycles.add(c);
        }
    }

    public long count(CostEvent e) {
        return counts[e.ordinal()].sum();
    }

    public long cycles() {
        long c = copyCycles.sum();
        for (int i = 0; i < counts.length; i++) {
            c += counts[i].sum() * cyclesPerEvent[i];
        }
        return c;
    }

    public EnclaveStats snapshot() {
        Map<CostEvent, Long> m = new EnumMap<>(CostEvent.class);
        long c = copyCycles.sum();
        for (CostEvent e : CostEvent.values()) {
            long n = counts[e.ordinal()].sum();
            m.put(e, n);
            c += n * cyclesPerEvent[e.ordinal()];
        }
        return new EnclaveStats(name, m, c, model.nanos(c));
    }
}
