/**
 * Booting a built instance on the simulated platform and running programs in it: the platform
 * settings ({@link io.jocclum.libos.boot.PlatformSettings}, a platform file or flags with
 * documented defaults), loading the build's enclave image through the driver's ioctls
 * ({@link io.jocclum.sgx.driver.EnclaveLoader}), EINIT with the SIGSTRUCT, the
 * LibOS initialisation from the internal config (user space, file system, TCS pool, kernel), and
 * {@link io.jocclum.libos.boot.LibOs}, the running LibOS that {@code jocclum run} drives, with its
 * start-up and run statistics ({@link io.jocclum.libos.boot.RunStats}).
 */
package io.jocclum.libos.boot;
