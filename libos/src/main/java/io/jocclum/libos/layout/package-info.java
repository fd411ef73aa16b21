/**
 * The enclave's memory layout and its measurement: what the SGX loader (the SDK's urts, here the
 * next layer's boot) adds to the enclave, where, with which SECINFO and content, and what stays
 * uncommitted for EDMM. {@link io.jocclum.libos.layout.EnclaveLayout} is planned from the
 * resolved Enclave.xml values, the internal config and the image digest;
 * {@link io.jocclum.libos.layout.EnclaveLayout#load} replays the ECREATE/EADD/EEXTEND sequence
 * into a {@link io.jocclum.sgx.image.LoadSink}; {@link io.jocclum.libos.layout.Measurement}
 * feeds that same sequence to the SDM measurement, so a booted enclave's MRENCLAVE equals the
 * build's by construction. {@link io.jocclum.libos.layout.BuiltEnclave} reads a built instance
 * back (the boot's entry point).
 */
package io.jocclum.libos.layout;
