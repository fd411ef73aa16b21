/**
 * The cost model and simulated clock: per-event cycle figures with their sources
 * ({@link io.jocclum.sgx.cost.CostEvent}, {@link io.jocclum.sgx.cost.CostModel}), the per-enclave
 * counters ({@link io.jocclum.sgx.cost.CostAccount}, {@link io.jocclum.sgx.cost.EnclaveStats}) and
 * the platform clock that advances with every charged cycle ({@link io.jocclum.sgx.cost.CycleClock}).
 */
package io.jocclum.sgx.cost;
