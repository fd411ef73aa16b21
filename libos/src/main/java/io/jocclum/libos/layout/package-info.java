/**
 * The LibOS's plan of its enclave: what the SGX loader (the SDK's urts, here the next layer's
 * boot) adds to the enclave, where, with which SECINFO and content, and what stays uncommitted
 * for EDMM. {@link io.jocclum.libos.layout.EnclaveLayout} is planned from the resolved
 * Enclave.xml values, the internal config and the image digest, with the LibOS's measured data
 * ({@link io.jocclum.libos.layout.MeasuredData}), and produces the sgx module's
 * {@link io.jocclum.sgx.image.EnclaveImage}: {@link io.jocclum.libos.layout.Measurement} measures
 * and signs that image, and the boot loads that same image, so a booted enclave's MRENCLAVE
 * equals the build's by construction. {@link io.jocclum.libos.layout.BuiltEnclave} reads a built
 * instance back (the boot's entry point).
 */
package io.jocclum.libos.layout;
