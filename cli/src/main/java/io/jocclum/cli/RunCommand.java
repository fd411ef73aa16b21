package io.jocclum.cli;

import io.jocclum.api.Wait;
import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.boot.ProgramRejected;
import io.jocclum.libos.boot.RunStats;
import io.jocclum.libos.config.ConfigException;
import io.jocclum.libos.config.ImageDigest;
import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jocclum run PATH [ARGS...]}: boots the built instance of the working directory on the
 * simulated platform and runs PATH (a built-in under /bin or a jar of the image) as its first
 * process; exits with the program's status (128 + the signal when a signal killed it).
 *
 * <p>Refuses an instance that is not built, or whose Occlum.json or image/ changed since the build
 * (the enclave would not be what they describe). Platform: defaults (docs/run.md), then
 * {@code --platform FILE}, then the flags. {@code --stats} prints the start-up and run statistics
 * on stderr after the program ended; {@code --stats-json FILE} writes them as JSON.
 */
@Command(name = "run", description = {
        "Run a program in the built instance of the current directory: boot the enclave on the simulated platform,"
                + " start PATH (a built-in under /bin or a jar in image/) as process 1, exit with its status"
                + " (128+N when signal N killed it).",
        "Platform defaults: 4GB EPC, SGX2, 2.3 GHz, the documented cycle costs (see docs/run.md)."})
final class RunCommand implements Callable<Integer> {
    private final Cli cli;

    @Option(names = "--stats", description = "Print the simulated start-up time and the leaf, fault and syscall counts on stderr.")
    boolean stats;

    @Option(names = "--stats-json", paramLabel = "FILE", description = "Write the statistics as JSON to FILE (start-up time under \"startup\").")
    Path statsJson;

    @Mixin
    PlatformOptions platform = new PlatformOptions();

    @Option(names = "--image-key", paramLabel = "FILE", description = "The key the instance was built with"
            + " (jocclum build --image-key FILE); needed for an encrypted image unless it was built in (--buildin-image-key).")
    Path imageKey;

    @Parameters(index = "0", paramLabel = "PATH", description = "The program's path in the LibOS file system, e.g. /bin/hello.")
    String path;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments.")
    List<String> args = List.of();

    RunCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (statsJson != null) {
            // refuse before the run, not after it: a program's run is not something to repeat for a typo
            Path parent = cli.resolve(statsJson).toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UserError(UsageErrors.EXIT, "--stats-json " + statsJson + ": the directory " + parent + " does not exist; create it or"
                        + " give another path.");
            }
        }
        InstancePaths paths = Instance.at(cli.cwd);
        BuiltEnclave built = load(paths);
        checkFresh(paths, built);
        PlatformSettings settings = settings();
        BootOptions options = BootOptions.defaults().withPlatform(settings).withStdio(cli.in, cli.out, cli.err)
                .withHostEnv(cli.env).withClocks(WaitClock.system(), cli.clock);
        byte[] key = ImageKeys.forRun(cli, paths, imageKey);
        if (key != null) {
            options = options.withImageKey(key);
        }
        try {
            ProgramCheck.beforeBoot(paths, built, path, options.programs());
        } catch (ProgramRejected e) {
            return rejected(e, built.internalConfig().entryPoints());
        }
        int status;
        RunStats s;
        try (InstanceUse use = InstanceUse.forRun(paths); LibOs os = BootPhases.boot(cli, built, options)) {
            os.warnings().forEach(w -> cli.err.println("warning: " + w));
            os.kernel().onHeapExhausted(cli.heapExhausted);
            try {
                status = os.run(path, args == null ? List.of() : args);
            } catch (ProgramRejected e) {
                return rejected(e, os.entryPoints());
            } catch (BootException e) {
                // the process could not be created (no such program, not a jar): occlum-run's 127 as well
                cli.err.println("jocclum: " + e.getMessage());
                return ProgramCheck.CANNOT_START;
            }
            s = os.stats();
            List<Integer> victims = os.kernel().hostMemoryVictims();
            if (!victims.isEmpty()) {
                cli.err.println(Lifecycle.victimsMessage(victims));
            }
            if (!os.kernel().internalErrors().isEmpty()) {
                cli.err.println("jocclum: " + os.kernel().internalErrors().size() + " internal LibOS error(s) were reported to the"
                        + " program as EIO (run with -v for details).");
            }
        } catch (BootException e) {
            throw new UserError(e.getMessage());
        }
        if (stats) {
            s.format().forEach(cli.err::println);
        }
        if (statsJson != null) {
            Path f = cli.resolve(statsJson);
            try {
                Files.write(f, s.toJson());
            } catch (IOException e) {
                throw Instance.io("cannot write the statistics to " + f, e);
            }
        }
        return Wait.shellStatus(status);
    }

    /** occlum run: the PAL reports occlum_ecall_new_process's errno, occlum-run exits with 127. */
    private int rejected(ProgramRejected e, List<String> entryPoints) {
        cli.err.println("jocclum: cannot start " + path + ": " + e.errno().name() + ": " + e.getMessage()
                + (e.errno() == io.jocclum.api.Errno.EACCES ? " (entry_points: " + String.join(", ", entryPoints) + ")" : ""));
        return ProgramCheck.CANNOT_START;
    }

    static BuiltEnclave load(InstancePaths paths) {
        try {
            return BuiltEnclave.load(paths);
        } catch (NoSuchFileException e) {
            throw new UserError(paths.root() + " has not been built yet (no " + e.getFile() + "); run jocclum build first.");
        } catch (IOException e) {
            throw Instance.io("cannot read the build of " + paths.root(), e);
        } catch (IllegalArgumentException e) {
            throw new UserError("the build outputs of " + paths.root() + " are damaged (" + e.getMessage() + "); run jocclum build -f.");
        }
    }

    /**
     * The build is stale when Occlum.json or image/ no longer give what was built. An instance
     * without image/ (an unpacked {@code jocclum package}) is checked against Occlum.json only.
     */
    static void checkFresh(InstancePaths paths, BuiltEnclave built) throws IOException {
        String stale = "the build of " + paths.root() + " is stale: ";
        byte[] json;
        try {
            json = Files.readAllBytes(paths.occlumJson());
        } catch (IOException e) {
            throw Instance.io("cannot read " + paths.occlumJson(), e);
        }
        ResolvedConfig now;
        try {
            now = OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, built.layout().edmm()));
        } catch (ConfigException e) {
            throw new UserError(stale + "Occlum.json changed since and now has errors; fix it and run jocclum build.");
        }
        if (!Arrays.equals(now.enclaveXml().toBytes(), Files.readAllBytes(paths.enclaveXml()))) {
            throw new UserError(stale + "Occlum.json changed since (the enclave configuration differs); run jocclum build.");
        }
        if (Files.exists(paths.image())) {
            // an unpacked jocclum package has no image/: the build's image layer (measured into MRENCLAVE) is the image
            byte[] digest;
            try {
                digest = ImageDigest.of(paths.image());
            } catch (IOException | IllegalArgumentException e) {
                throw new UserError(stale + "image/ cannot be read (" + e.getMessage() + "); fix it and run jocclum build.");
            }
            if (!Arrays.equals(digest, built.layout().measuredData().imageDigest())) {
                throw new UserError(stale + "image/ changed since; run jocclum build.");
            }
        }
        String mac = built.internalConfig().imageMac().orElse("");
        if (!Arrays.equals(now.internalConfig(mac).toBytes(), built.internalConfigBytes())) {
            throw new UserError(stale + "Occlum.json changed since (the LibOS configuration differs); run jocclum build.");
        }
    }

    private PlatformSettings settings() {
        return platform.settings(cli);
    }
}
