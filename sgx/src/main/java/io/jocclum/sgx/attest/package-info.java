/**
 * DCAP attestation on the simulated platform: the declarative TCB description ({@link
 * io.jocclum.sgx.attest.TcbSpec}), the simulated Intel provisioning PKI minted with Bouncy Castle
 * ({@link io.jocclum.sgx.attest.SimulatedPki}), the collateral PCS would serve ({@link
 * io.jocclum.sgx.attest.PcsCollateral}) and the simulated PCE and QE3 that turn an enclave's REPORT into
 * an ECDSA quote v3 ({@link io.jocclum.sgx.attest.AttestationPlatform}). See docs/attestation.md.
 */
package io.jocclum.sgx.attest;
