package io.jocclum.cli;

import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code jocclum stop}: ends the server of {@code jocclum start}. Every program still running gets
 * SIGTERM, then SIGKILL (Occlum's {@code occlum stop}, tools/occlum {@code cmd_stop}, asks its
 * server to stop with no grace time, waits up to 30 s for it to exit, then kills it); returns
 * once the server process has exited and its socket is gone.
 */
@Command(name = "stop", description = "End the enclave started by jocclum start: its programs are killed (Occlum's occlum stop).")
final class StopCommand implements Callable<Integer> {
    /** How long the server may take to exit before it is killed (Occlum's cmd_stop waits 30 s). */
    static final long GRACE_SECONDS = 30;

    private final Cli cli;

    StopCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        InstancePaths paths = Instance.at(cli.cwd);
        Optional<ProcessHandle> server = serverProcess(paths);
        SocketChannel ch = ExecProtocol.connect(paths);
        if (ch == null && server.isEmpty()) {
            throw new UserError("the enclave of " + paths.root() + " is not started (jocclum start starts it).");
        }
        if (ch != null) {
            try {
                ExecProtocol.write(ch, ExecProtocol.STOP, new byte[0]);
                ExecProtocol.Frame f;
                do {
                    f = ExecProtocol.read(ch);
                } while (f != null && f.type() != ExecProtocol.STOPPED);
            } catch (IOException e) {
                // the server went away while stopping: its process is waited for below
            } finally {
                ExecProtocol.close(ch);
            }
        }
        if (server.isPresent()) {
            ProcessHandle h = server.get();
            if (ch == null) {
                h.destroy(); // no socket to ask through: SIGTERM ends the server's JVM
            }
            if (!exited(h)) {
                h.destroyForcibly();
                if (!exited(h)) {
                    throw new UserError("the enclave server of " + paths.root() + " (process " + h.pid() + ") did not end even"
                            + " after SIGKILL.");
                }
            }
        }
        Files.deleteIfExists(ExecProtocol.socket(paths));
        cli.out.println("stopped the enclave of " + paths.root() + ".");
        return 0;
    }

    /** Waits up to {@link #GRACE_SECONDS} for {@code h} to exit. */
    private static boolean exited(ProcessHandle h) throws InterruptedException {
        try {
            h.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The live server process of the instance, by the id in its lock file, if that process is a jocclum exec-server. */
    static Optional<ProcessHandle> serverProcess(InstancePaths paths) {
        OptionalLong pid = InstanceUse.serverPid(paths);
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().arguments().map(a -> java.util.Arrays.asList(a).contains("exec-server")).orElse(false));
    }
}
