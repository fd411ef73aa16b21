/**
 * Benchmarks of the simulated SGX platform: EWB+ELDU paging throughput against its AES-GCM floor,
 * EPC allocation against the kernel's free-list work in C, and the enclave memory access path
 * against a bare copy.
 */
package io.jocclum.bench.sgx;
