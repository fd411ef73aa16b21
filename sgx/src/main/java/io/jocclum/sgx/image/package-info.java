/**
 * The enclave image: what an untrusted loader adds to an enclave before EINIT
 * ({@link io.jocclum.sgx.image.EnclaveImage}: ECREATE inputs, then segments of pages with their
 * SECINFO, content and whether they are measured), its load sequence
 * ({@link io.jocclum.sgx.image.EnclaveImage#load} into a {@link io.jocclum.sgx.image.LoadSink}),
 * MRENCLAVE computed from that sequence, and the SIGSTRUCT body that goes with it. The driver's
 * {@code EnclaveLoader} adds the same pages through the ioctls, so MRENCLAVE is equal by
 * construction on every path that loads an image.
 */
package io.jocclum.sgx.image;
