/**
 * Test doubles and fixtures for the VM that also serve the benchmarks: a fake SGX2/SGX1 enclave
 * context modelling the EPCM states the VM drives (PENDING, PR, TRIM/MODIFIED) with counters and
 * fault injection, a small enclave on the simulated SGX platform laid out for a user-space layout
 * ({@link io.jocclum.libos.vm.testing.PlatformEnclave}), and an in-memory mappable file. Part of
 * libos's test-jar (the benchmarks depend on it), never of the product.
 */
package io.jocclum.libos.vm.testing;
