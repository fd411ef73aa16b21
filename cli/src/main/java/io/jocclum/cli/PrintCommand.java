package io.jocclum.cli;

import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.sgx.measure.SigStruct;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.HexFormat;
import java.util.concurrent.Callable;

@Command(name = "print", description = "Print the built enclave's MRENCLAVE or MRSIGNER as lowercase hex on one line.")
final class PrintCommand implements Callable<Integer> {

    enum What { mrenclave, mrsigner }

    private final Cli cli;

    @Parameters(paramLabel = "mrenclave|mrsigner", description = "What to print.")
    What what;

    PrintCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        InstancePaths paths = Instance.at(cli.cwd);
        SigStruct sig;
        try {
            sig = SigStruct.parse(Files.readAllBytes(paths.sigStruct()));
        } catch (NoSuchFileException e) {
            throw new UserError(paths.root() + " has not been built yet (no build/enclave.sigstruct); run jocclum build"
                    + " first.");
        } catch (IOException e) {
            throw Instance.io("cannot read " + paths.sigStruct(), e);
        } catch (IllegalArgumentException e) {
            throw new UserError(paths.sigStruct() + " is not a SIGSTRUCT (" + e.getMessage() + "); run jocclum build -f.");
        }
        byte[] value = switch (what) {
            case mrenclave -> sig.enclaveHash();
            case mrsigner -> sig.mrSigner();
        };
        cli.out.println(HexFormat.of().formatHex(value));
        return 0;
    }
}
