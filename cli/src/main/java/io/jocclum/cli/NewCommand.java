package io.jocclum.cli;

import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "new", description = "Create an instance in DIR (a new or empty directory): Occlum.json from"
        + " Occlum's template and image/{bin,lib,etc,tmp,host}.")
final class NewCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(paramLabel = "DIR", description = "The instance directory to create.")
    Path dir;

    NewCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        InstancePaths p = Instance.createNew(cli.resolve(dir));
        cli.out.println("Created an instance in " + p.root() + ": Occlum.json (Occlum's template) and image/"
                + " (bin, lib, etc, tmp, host).");
        cli.out.println("Next: cd " + p.root() + " && jocclum build");
        return 0;
    }
}
