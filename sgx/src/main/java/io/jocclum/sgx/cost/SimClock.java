package io.jocclum.sgx.cost;

/**
 * Simulated time. Model code never reads the host clock; it reads one of these. The platform's clock
 * ({@link CycleClock}) advances by every cycle any enclave is charged.
 */
public interface SimClock {
    /** Simulated nanoseconds since the platform started. */
    long nanos();
}
