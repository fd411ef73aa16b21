package io.jocclum.cli;

import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "init", description = "Make the current directory an instance: Occlum.json from Occlum's template"
        + " and image/{bin,lib,etc,tmp,host}.")
final class InitCommand implements Callable<Integer> {
    private final Cli cli;

    InitCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        InstancePaths p = Instance.initHere(cli.cwd);
        cli.out.println("Initialised an instance in " + p.root() + ": Occlum.json (Occlum's template) and image/"
                + " (bin, lib, etc, tmp, host).");
        cli.out.println("Next: jocclum build");
        return 0;
    }
}
