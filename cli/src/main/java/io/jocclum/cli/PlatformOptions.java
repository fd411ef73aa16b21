package io.jocclum.cli;

import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.config.Sizes;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated platform's options of the commands that boot an enclave ({@code run}, {@code start}):
 * defaults, then {@code --platform FILE}, then the flags.
 */
final class PlatformOptions {
    @Option(names = "--platform", paramLabel = "FILE", description = "Platform settings (JSON): epc, sgx2, cpu_hz, costs, seed, ...")
    Path platformFile;

    @Option(names = "--epc", paramLabel = "SIZE", description = "EPC capacity, e.g. 128MB or 8GB (default 4GB).")
    String epc;

    @Option(names = {"--sgx1", "--no-edmm-platform"}, description = "A platform without SGX2: no EDMM at run time.")
    boolean sgx1;

    @Option(names = "--sgx2", description = "A platform with SGX2 (the default).")
    boolean sgx2;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the platform secrets and of /dev/urandom (default 0).")
    Long seed;

    /** The settings these options give; a {@link UserError} naming a bad value. */
    PlatformSettings settings(Cli cli) {
        PlatformSettings s = PlatformSettings.defaults();
        try {
            if (platformFile != null) {
                Path f = cli.resolve(platformFile);
                byte[] b;
                try {
                    b = Files.readAllBytes(f);
                } catch (IOException e) {
                    throw Instance.io("cannot read the platform file " + f, e);
                }
                s = PlatformSettings.parse(b, f.toString(), s);
            }
            if (epc != null) {
                long bytes;
                try {
                    bytes = Sizes.parse(epc);
                } catch (IllegalArgumentException e) {
                    throw new UserError(UsageErrors.EXIT, "--epc \"" + epc + "\" " + e.getMessage() + ".");
                }
                s = s.withEpcBytes(bytes);
            }
            if (sgx1 && sgx2) {
                throw new UserError(UsageErrors.EXIT, "--sgx1 and --sgx2 contradict each other; give one of them.");
            }
            if (sgx1) {
                s = s.withSgx2(false);
            } else if (sgx2) {
                s = s.withSgx2(true);
            }
            if (seed != null) {
                s = s.withSeed(seed);
            }
        } catch (BootException e) {
            throw new UserError(UsageErrors.EXIT, e.getMessage());
        }
        return s;
    }

    /** These options as command-line arguments (paths absolute against the working directory of {@code cli}). */
    List<String> toArgs(Cli cli) {
        List<String> a = new ArrayList<>();
        if (platformFile != null) {
            a.add("--platform");
            a.add(cli.resolve(platformFile).toString());
        }
        if (epc != null) {
            a.add("--epc");
            a.add(epc);
        }
        if (sgx1) {
            a.add("--sgx1");
        }
        if (sgx2) {
            a.add("--sgx2");
        }
        if (seed != null) {
            a.add("--seed");
            a.add(seed.toString());
        }
        return a;
    }
}
