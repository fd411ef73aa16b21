package io.jocclum.sgx.cost;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * The cycle costs of the simulated platform: one figure per {@link CostEvent}, the cost of copying
 * data across the enclave boundary, and the CPU frequency that turns cycles into simulated time.
 * Immutable; {@link #with} returns a modified copy.
 */
public final class CostModel {
    /** Source: harp sgxsimu Constants.java, "measured at 2.3 GHz SGX-enabled CPU" (spec §6). */
    public static final long DEFAULT_CPU_HZ = 2_300_000_000L;
    /** Source: harp sgxsimu Constants.java, 1.4 kcycles per KB copied across the boundary (spec §6). */
    public static final long DEFAULT_COPY_CYCLES_PER_KB = 1_400;

    private static final CostModel DEFAULTS = new CostModel(DEFAULT_CPU_HZ, DEFAULT_COPY_CYCLES_PER_KB, defaultsArray());

    private final long cpuHz;
    private final long copyCyclesPerKb;
    private final long[] cycles;

    private CostModel(long cpuHz, long copyCyclesPerKb, long[] cycles) {
        if (cpuHz <= 0) {
            throw new IllegalArgumentException("CPU frequency must be positive, got " + cpuHz + " Hz");
        }
        if (copyCyclesPerKb < 0) {
            throw new IllegalArgumentException("copy cost must be >= 0 cycles/KB, got " + copyCyclesPerKb);
        }
        this.cpuHz = cpuHz;
        this.copyCyclesPerKb = copyCyclesPerKb;
        this.cycles = cycles;
    }

    public static CostModel defaults() {
        return DEFAULTS;
    }

    private static long[] defaultsArray() {
        long[] c = new long[CostEvent.values().length];
        for (CostEvent e : CostEvent.values()) {
            c[e.ordinal()] = e.defaultCycles();
        }
        return c;
    }

    public long cycles(CostEvent e) {
        return cycles[e.ordinal()];
    }

    public long cpuHz() {
        return cpuHz;
    }

    public long copyCyclesPerKb() {
        return copyCyclesPerKb;
    }

    public CostModel with(CostEvent e, long cyclesPerEvent) {
        if (cyclesPerEvent < 0) {
            throw new IllegalArgumentException("cost of " + e + " must be >= 0 cycles, got " + cyclesPerEvent);
        }
        long[] c = cycles.clone();
        c[e.ordinal()] = cyclesPerEvent;
        return new CostModel(cpuHz, copyCyclesPerKb, c);
    }

    public CostModel withCpuHz(long hz) {
        return new CostModel(hz, copyCyclesPerKb, cycles);
    }

    public CostModel withCopyCyclesPerKb(long perKb) {
        return new CostModel(cpuHz, perKb, cycles);
    }

    /** Simulated nanoseconds for {@code c} cycles at this frequency. */
    public long nanos(long c) {
        if (c >= 0 && c < Long.MAX_VALUE / 1_000_000_000L) {
            return c * 1_000_000_000L / cpuHz;
        }
        return (long) (c * 1e9 / cpuHz);
    }

    public Map<CostEvent, Long> asMap() {
        Map<CostEvent, Long> m = new EnumMap<>(CostEvent.class);
        for (CostEvent e : CostEvent.values()) {
            m.put(e, cycles[e.ordinal()]);
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CostModel m && m.cpuHz == cpuHz && m.copyCyclesPerKb == copyCyclesPerKb
                && Arrays.equals(m.cycles, cycles);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(cpuHz) * 31 + Arrays.hashCode(cycles);
    }

    @Override
    public String toString() {
        return "CostModel[" + cpuHz + " Hz, copy " + copyCyclesPerKb + " cycles/KB, " + asMap() + "]";
    }
}
