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
 */
public record BootOptions(PlatformSettings platform, ProgramRegistry programs, InputStream stdin, OutputStream stdout,
                          OutputStream stderr, Map<String, String> hostEnv, WaitClock clock, InstantSource wallClock,
                          VmConfig vm) {
    public BootOptions {
        hostEnv = Map.copyOf(hostEnv);
    }

    /** Default platform, the standard built-ins, no input, output discarded, no host environment. */
    public static BootOptions defaults() {
        return new BootOptions(PlatformSettings.defaults(), ProgramRegistry.standard(), InputStream.nullInputStream(),
                OutputStream.nullOutputStream(), OutputStream.nullOutputStream(), Map.of(), WaitClock.system(),
                InstantSource.fixed(Instant.EPOCH), VmConfig.defaults());
    }

    public BootOptions withPlatform(PlatformSettings p) {
        return new BootOptions(p, programs, stdin, stdout, stderr, hostEnv, clock, wallClock, vm);
    }

    public BootOptions withPrograms(ProgramRegistry p) {
        return new BootOptions(platform, p, stdin, stdout, stderr, hostEnv, clock, wallClock, vm);
    }

    public BootOptions withStdio(InputStream in, OutputStream out, OutputStream err) {
        return new BootOptions(platform, programs, in, out, err, hostEnv, clock, wallClock, vm);
    }

    public BootOptions withHostEnv(Map<String, String> env) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, env, clock, wallClock, vm);
    }

    public BootOptions withClocks(WaitClock c, InstantSource wall) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, hostEnv, c, wall, vm);
    }

    public BootOptions withVm(VmConfig v) {
        return new BootOptions(platform, programs, stdin, stdout, stderr, hostEnv, clock, wallClock, v);
    }
}
