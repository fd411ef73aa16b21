package io.jocclum.cli;

import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code jocclum exec-server} (hidden): the process {@code jocclum start} leaves running. It takes
 * the instance's lock ({@link InstanceUse}), boots the enclave as {@code run} does, binds the
 * socket, prints {@code ready PID} on stdout (what {@code start} waits for) and serves
 * ({@link ExecServer}) until {@code jocclum stop}; then removes the socket. Errors go to stderr,
 * which {@code start} points at {@code run/jocclum-server.log}.
 */
@Command(name = "exec-server", hidden = true, description = "The server of jocclum start (not for direct use).")
final class ServerCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    PlatformOptions platform = new PlatformOptions();

    ServerCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        InstancePaths paths = Instance.at(cli.cwd);
        BuiltEnclave built = RunCommand.load(paths);
        RunCommand.checkFresh(paths, built);
        BootOptions options = BootOptions.defaults().withPlatform(platform.settings(cli))
                .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), OutputStream.nullOutputStream())
                .withHostEnv(cli.env).withClocks(WaitClock.system(), cli.clock);
        Path socket = ExecProtocol.socket(paths);
        try (InstanceUse use = InstanceUse.forServer(paths)) {
            try (LibOs os = LibOs.boot(built, options); ServerSocketChannel listener = ExecServer.bind(socket)) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(socket)));
                os.warnings().forEach(w -> cli.err.println("warning: " + w));
                os.kernel().onHeapExhausted(cli.heapExhausted);
                cli.out.println("ready " + ProcessHandle.current().pid());
                cli.out.flush();
                ExecServer.serve(os, listener, cli.err);
            } catch (BootException e) {
                throw new UserError(e.getMessage());
            } finally {
                deleteQuietly(socket);
            }
        }
        return 0;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a socket file left behind is removed by the next start
        }
    }
}
