/**
 * The Linux SGX driver's enclaves (arch/x86/kernel/cpu/sgx/encl.c and ioctl.c): the enclave
 * ({@link io.jocclum.sgx.enclave.Enclave}) with its ioctls, page array, VA pages and backing store,
 * the fault path (ELDU of the SECS and the page, EAUG on SGX2), the reclaimer's per-page steps and
 * release; and {@link io.jocclum.sgx.cpu.EnclaveContext}, the in-enclave view, implemented over it.
 */
package io.jocclum.sgx.enclave;
