/**
 * The simulated SGX processor: the EPC and its frames with their EPCM entries
 * ({@link io.jocclum.sgx.cpu.Epc}, {@link io.jocclum.sgx.cpu.EpcFrame}), the SECS state
 * ({@link io.jocclum.sgx.cpu.EnclaveControl}), the ENCLS and ENCLU leaves with their architectural
 * checks ({@link io.jocclum.sgx.cpu.SgxCpu}), and {@link io.jocclum.sgx.cpu.EnclaveContext}, the view
 * software inside an enclave has (implemented by the driver's enclave).
 */
package io.jocclum.sgx.cpu;
