/**
 * Attestation in the LibOS: Occlum's {@code /dev/sgx} device ({@link io.jocclum.libos.attest.SgxDevice}) over
 * the enclave's EREPORT and EGETKEY and the platform's simulated PCE and QE3. See docs/attestation.md.
 */
package io.jocclum.libos.attest;
