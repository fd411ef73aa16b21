package io.jocclum.libos.boot;

import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.programs.ProgramRegistry;
import io.jocclum.libos.vm.VmConfig;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;

/**
 * How to boot and run: the platform, the built-in programs, the host streams wired to the init
 * process's descriptors 0-2, the host environment (for {@code env.untrusted}), the clocks and the
 * VM's knobs. Immutable; {@link #defaults()} then {@code with...}.
 *
 * @param platform  the simulated machine
 * @param programs  built-ins under /bin
 * @param stdin     read by descriptor 0
 * @param stdout    written by descriptor 1
 * @param stderr    written by descriptor 2
 * @param hostEnv   the host's environment; only the names Occlum.json's {@code env.untrusted} lists are passed in
 * @param clock     the LibOS clock (CLOCK_MONOTONIC, every timeout)
 * @param wallClock CLOCK_REALTIME and file times (default: the epoch, for reproducible runs)
 * @param vm        the VM's policy knobs
 * @param imageKey  the key the image and the upper layer were encrypted with ({@code jocclum build --image-key}),
 *                  empty for an integrity-only image and the auto-key upper layer
 * @param upperLayer the directory of the root's upper layer instead of the configured one (Occlum's runtime boot
 *                  replaces it the same way); tests give each boot its own
 */
public record BootOptions(PlatformSettings platform, ProgramRegistry programs, InputStream stdin, OutputStream stdout,
                          OutputStream stderr, Map<String, String> hostEnv, WaitClock clock, InstantSource wallClock,
                          VmConfig vm, java.util.Optional<byte[]> imageKey, java.util.Optional<java.nio.file.Path> upperLayer) {
    public BootOptions {
        hostEnv = Map.copyOf(hostEnv);
        imageKey = imageKey.map(byte[]::clone);
    }

    /** Default platform, the standard built-ins, no input, output discarded, no host environment. */
    public static BootOptions defaults() {
        return new BootOptions(PlatformSettings.defaults(), ProgramRegistry.standard(), InputStream.nullInputStream(),
                OutputStream.nullOutputStream(), OutputStream.nullOutputStream(), Map.of(), WaitClock.system(),
                InstantSource.fixed(Instant.EPOCH), VmConfig.defaults(), java.util.Optional.empty(),
                java.util.Optional.empty());
    }

    public BootOptions withPlatform(PlatformSettings p) {
        return new BootOptions(p, programs, stdin, stdout, stderr, hostEnv, clock, wallClock, vm, imageKey, upperLayer);
    }

    public BootOptions withPrograms(ProgramRegistry p) {
        return new BootOptions(platform, p, stdin, stdout, stderr, hostEnv, clock, wallClock, vm, imageKey, upperLayer);
    }

    public BootOptions withStdio(InputStream in, OutputStream out, OutputStream err) {
        return new BootOptions(platform, programs, in, out, err, hostEnv, clock, wallClock, vm, imageKey, upperLayer);
    }

    public BootOptions withHostEnv(Map<String, String> env) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, env, clock, wallClock, vm, imageKey, upperLayer);
    }

    public BootOptions withClocks(WaitClock c, InstantSource wall) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, hostEnv, c, wall, vm, imageKey, upperLayer);
    }

    /** The image key (16 bytes) of an instance built with {@code --image-key}. */
    public BootOptions withImageKey(byte[] key) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, hostEnv, clock, wallClock, vm, java.util.Optional.of(key), upperLayer);
    }

    /** The root's upper layer in {@code dir} instead of the configured {@code run/mount/__ROOT}. */
    public BootOptions withUpperLayer(java.nio.file.Path dir) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, hostEnv, clock, wallClock, vm, imageKey,
                java.util.Optional.of(dir));
    }

    public BootOptions withVm(VmConfig v) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, hostEnv, clock, wallClock, v, imageKey, upperLayer);
    }
}
