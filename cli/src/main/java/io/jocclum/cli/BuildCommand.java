package io.jocclum.cli;

import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "build", description = {
        "Build the instance in the current directory: build/Enclave.xml, the internal config, the image snapshot,"
                + " MRENCLAVE and the SIGSTRUCT.",
        "Platform: env SGX_MODE (HW, the default, or SIM) and ENABLE_EDMM (Y, YES, Yes, yes, True, true, 1), or the"
                + " options below; SIM outranks EDMM. An unchanged instance is not rebuilt."})
final class BuildCommand implements Callable<Integer> {
    private final Cli cli;

    @Option(names = "--sgx-mode", paramLabel = "HW|SIM", description = "SGX mode (overrides env SGX_MODE).")
    String sgxMode;

    @Option(names = "--enable-edmm", paramLabel = "Y|N", arity = "0..1", fallbackValue = "Y",
            description = "Build for an EDMM (SGX2) platform (like ENABLE_EDMM=Y); Occlum's '--enable-edmm N' turns it off.")
    String enableEdmm;

    @Option(names = {"-f", "--force"}, description = "Rebuild even if nothing changed.")
    boolean force;

    @Option(names = "--sign-key", paramLabel = "FILE",
            description = "RSA-3072 key with exponent 3 (PEM) to sign with, instead of the instance's own key.")
    Path signKey;

    BuildCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        InstancePaths paths = Instance.at(cli.cwd);
        BuildRequest request = BuildRequest.from(cli.env, sgxMode, edmmFlag());
        BuildReport r = new InstanceBuild(cli, paths, new InstanceBuild.Options(request, force, signKey)).run();
        Main.printWarnings(cli, r.warnings());
        if (r.skipped()) {
            cli.out.println("Nothing changed since the last build of " + paths.root() + " (Occlum.json, image/, platform"
                    + " and signing key are the same); build/ is up to date. Use -f to rebuild.");
            return 0;
        }
        Summary.build(r).forEach(cli.out::println);
        return 0;
    }

    private Boolean edmmFlag() {
        if (enableEdmm == null) {
            return null;
        }
        if (BuildRequest.TRUTHY.contains(enableEdmm)) {
            return true;
        }
        if (BuildRequest.FALSY.contains(enableEdmm)) {
            return false;
        }
        throw new UserError(UsageErrors.EXIT, "--enable-edmm " + enableEdmm + " is not Y or N (also accepted: YES, Yes, yes,"
                + " True, true, 1 and NO, No, no, False, false, 0).");
    }
}
