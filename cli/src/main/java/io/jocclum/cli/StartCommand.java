package io.jocclum.cli;

import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code jocclum start}: boots the enclave of the instance in a server process of its own
 * ({@code jocclum exec-server}, in a session of its own) that stays running, so that
 * {@code jocclum exec} runs programs in it, as Occlum's {@code occlum start}
 * (tools/occlum {@code cmd_start}, which launches {@code occlum_exec_server}). Returns once the
 * server accepts connections on {@code run/occlum_exec.sock}. Refuses an instance that is
 * started already, that {@code run} is using, or whose build is missing or stale (as {@code run}).
 */
@Command(name = "start", description = {
        "Boot the enclave of the built instance of the current directory in a background server; run programs in it"
                + " with jocclum exec, end it with jocclum stop (Occlum's occlum start).",
        "Platform options as for jocclum run."})
final class StartCommand implements Callable<Integer> {
    /** The server's stderr, under run/. */
    static final String LOG = "jocclum-server.log";

    private final Cli cli;

    @Mixin
    PlatformOptions platform = new PlatformOptions();

    StartCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        InstancePaths paths = Instance.at(cli.cwd);
        SocketChannel running = ExecProtocol.connect(paths);
        if (running != null) {
            ExecProtocol.close(running);
            throw new UserError("the enclave of " + paths.root() + " is started already; run programs in it with jocclum exec"
                    + " PATH, or end it with jocclum stop.");
        }
        if (InstanceUse.inUse(paths)) {
            throw new UserError("jocclum run is using " + paths.root() + "; start its enclave once the run has ended.");
        }
        BuiltEnclave built = RunCommand.load(paths);
        RunCommand.checkFresh(paths, built);
        platform.settings(cli); // a bad option is the user's mistake here, not a line in the server's log
        ExecProtocol.address(ExecProtocol.socket(paths));

        Path log = ExecProtocol.socket(paths).resolveSibling(LOG);
        Files.createDirectories(log.getParent());
        List<String> args = new ArrayList<>();
        args.add("exec-server");
        args.addAll(platform.toArgs(cli));
        ProcessBuilder pb = new ProcessBuilder(JavaCommand.detached(cli, args)).directory(paths.root().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().clear();
        pb.environment().putAll(cli.env);
        Process server = pb.start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
        }
        if (line != null && line.startsWith("ready ")) {
            cli.out.println("started the enclave of " + paths.root() + " (server process " + line.substring(6).strip()
                    + "); run programs with jocclum exec PATH, end it with jocclum stop.");
            return 0;
        }
        // the server ended before it was ready: what it said is in its log
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            server.destroyForcibly();
        }
        List<String> said = Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        if (said.isEmpty()) {
            throw new UserError("the enclave server of " + paths.root() + " ended before it was ready (exit status "
                    + server.exitValue() + "); see " + log + ".");
        }
        said.forEach(cli.err::println);
        return server.exitValue() == 0 ? UserError.FAILURE : server.exitValue();
    }
}
