/**
 * The Linux SGX driver's user-space interface and the platform that hosts it: {@code /dev/sgx_enclave}
 * with the enclave ioctls ({@link io.jocclum.sgx.driver.EnclaveFd}, {@link io.jocclum.sgx.driver.SgxIoctl}),
 * {@code /dev/sgx_vepc} ({@link io.jocclum.sgx.driver.VirtualEpc}), {@code /dev/sgx_provision}, the
 * platform configuration and boot ({@link io.jocclum.sgx.driver.PlatformConfig},
 * {@link io.jocclum.sgx.driver.SgxPlatform}), and the loader that builds an enclave from an
 * {@link io.jocclum.sgx.image.EnclaveImage} ({@link io.jocclum.sgx.driver.EnclaveLoader}).
 */
package io.jocclum.sgx.driver;
