package io.jocclum.cli;

import io.jocclum.dcap.TrustedRoot;
import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.sgx.attest.AttestationPlatform;
import io.jocclum.sgx.attest.PcsCollateral;
import io.jocclum.sgx.attest.TcbSpec;
import io.jocclum.sgx.driver.SgxPlatform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jocclum collateral export DIR}: the simulated platform's DCAP collateral, as Intel's PCS would serve it. */
@Command(name = "collateral", description = "The DCAP collateral of the simulated platform.",
        subcommands = {CollateralCommand.Export.class})
final class CollateralCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError(UsageErrors.EXIT, "no collateral command given; use 'jocclum collateral export DIR' (see 'jocclum collateral --help').");
    }

    /** {@code jocclum collateral export}. */
    @Command(name = "export", description = {
        "Write the simulated platform's collateral and root CA into DIR.",
        "The files are in the verifier's layout (tcb_info.json, qe_identity.json, their issuer chains, pck_crl.der and its"
                + " issuer chain, root_ca_crl.der) plus root_ca.pem, the simulated root CA, so that"
                + " 'jocclum quote verify QUOTE --collateral DIR --root DIR/root_ca.pem' checks quotes made by 'jocclum run'"
                + " on the same platform (the same --platform file and --seed)."})
    static final class Export implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "DIR", description = "Directory to write (created if needed; files of the same names are replaced).")
        Path dir;

        @Option(names = "--platform", paramLabel = "FILE", description = "Platform settings (JSON): seed, fuses, tcb, ...")
        Path platformFile;

        @Option(names = "--seed", paramLabel = "N", description = "Seed of the platform secrets (default 0, or the platform file's).")
        Long seed;

        Export(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            PlatformSettings s = PlatformSettings.defaults();
            if (platformFile != null) {
                Path f = cli.resolve(platformFile);
                try {
                    s = PlatformSettings.parse(Files.readAllBytes(f), f.toString(), s);
                } catch (IOException e) {
                    throw Instance.io("cannot read the platform file " + f, e);
                } catch (BootException e) {
                    throw new UserError(UsageErrors.EXIT, e.getMessage());
                }
            }
            if (seed != null) {
                s = s.withSeed(seed);
            }
            // only the attestation enclaves run: a small EPC is enough
            s = s.withEpcBytes(16L << 20);
            Path out = cli.resolve(dir);
            TcbSpec spec = s.attestation().tcb();
            try (SgxPlatform platform = SgxPlatform.start(s.toPlatformConfig());
                 AttestationPlatform a = AttestationPlatform.start(platform, spec)) {
                PcsCollateral c = a.collateral();
                try {
                    c.writeTo(out);
                } catch (IOException e) {
                    throw Instance.io("cannot write the collateral into " + out, e);
                }
                cli.out.println("wrote " + String.join(", ", c.files().keySet()) + " into " + out);
                TrustedRoot root = TrustedRoot.of(a.pki().root());
                cli.out.println("root CA: " + a.pki().root().getSubjectX500Principal().getName() + " (SHA-256 " + root.fingerprint()
                        + "), simulated: Intel's root rejects these quotes");
                a.pki().describe().forEach(l -> cli.out.println("  " + l));
                TcbSpec.Level level = spec.matchedLevel();
                TcbSpec.QeLevel qe = spec.matchedQeLevel();
                cli.out.println("platform TCB: " + spec.current() + " -> " + (level == null ? "no TCB level (TCB_NOT_SUPPORTED)"
                        : level.status().name() + (level.advisoryIds().isEmpty() ? "" : " " + level.advisoryIds()))
                        + "; QE ISVSVN " + spec.qe().isvsvn() + " -> " + (qe == null ? "no QE level" : qe.status().name())
                        + (spec.revoked().isEmpty() ? "" : "; revoked: " + String.join(", ", spec.revoked()))
                        + "; valid " + spec.issueDate() + " to " + spec.nextUpdate());
                cli.out.println("verify a quote: jocclum quote verify QUOTE --collateral " + dir + " --root "
                        + dir.resolve(PcsCollateral.ROOT_CA));
            }
            return 0;
        }
    }
}
