/**
 * Test doubles and fixtures for the VM that also serve the benchmarks: a fake SGX2/SGX1 enclave
 * context modelling the EPCM states the VM drives (PENDING, PR, TRIM/MODIFIED) with counters and
 * fault injection, a small enclave on the simulated SGX platform laid out for a user-space layout
 * ({@link io.jocclum.libos.vm.testing.PlatformEnclave}), and an in-memory mappable file. Not used
 * by the product at run time.
 */
package io.jocclum.libos.vm.testing;
