package io.jocclum.cli;

import io.jocclum.libos.layout.LibosImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.util.concurrent.Callable;

/** The top command. Add a subcommand by listing its class in {@code subcommands}. */
@Command(name = "jocclum", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = JocclumCommand.Version.class,
        description = "SGX confidential computing on one machine, with Occlum's verbs.",
        subcommands = {NewCommand.class, InitCommand.class, BuildCommand.class, RunCommand.class, StartCommand.class,
            ExecCommand.class, StopCommand.class, PackageCommand.class, PrintCommand.class, DemoCommand.class,
            SelftestCommand.class, QuoteCommand.class, CollateralCommand.class, GenImageKeyCommand.class,
            ReplayCommand.class, AdviseCommand.class, ScenarioCommand.class, ServerCommand.class})
final class JocclumCommand implements Callable<Integer> {
    private final Cli cli;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    JocclumCommand(Cli cli) {
        this.cli = cli;
    }

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "Log what happens (to stderr).")
    void verbose(boolean on) {
        cli.verbose = on;
        Main.verbose(on);
    }

    @Override
    public Integer call() {
        throw new UserError(UsageErrors.EXIT, "no command given; the commands are " + UsageErrors.commands(spec)
                + " (see 'jocclum --help').");
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"jocclum " + LibosImage.VERSION + " (LibOS " + LibosImage.VERSION + ", Java "
                    + Runtime.version() + ")"};
        }
    }
}
