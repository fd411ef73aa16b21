package io.jocclum.sgx.cost;

import java.util.concurrent.atomic.LongAdder;

/**
 * The platform's simulated clock: the sum of all cycles charged on the platform (by every
 * {@link CostAccount}), converted with the CPU frequency. Thread-safe.
 */
public final class CycleClock implements SimClock {
    private final CostModel model;
    private final LongAdder cycles = new LongAdder();

    public CycleClock(CostModel model) {
        this.model = model;
    }

    void advance(long c) {
        cycles.add(c);
    }

    /** Total cycles charged on the platform. */
    public long cycles() {
        return cycles.sum();
    }

    @Override
    public long nanos() {
        return model.nanos(cycles.sum());
    }
}
