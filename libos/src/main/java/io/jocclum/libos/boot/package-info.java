/**
 * Booting a built instance on the simulated platform and running programs in it: the platform
 * settings ({@link io.jocclum.libos.boot.PlatformSettings}, a platform file or flags with
 * documented defaults), the loader that replays the build's measured leaf sequence through the
 * driver's ioctls ({@link io.jocclum.libos.boot.EnclaveLoadSink}), EINIT with the SIGSTRUCT, the
 * LibOS initialisation from the internal config (user space, file system, TCS pool, kernel), and
 * {@link io.jocclum.libos.boot.LibOs}, the running LibOS that {@code jocclum run} drives, with its
 * start-up and run statistics ({@link io.jocclum.libos.boot.RunStats}).
 */
package io.jocclum.libos.boot;
