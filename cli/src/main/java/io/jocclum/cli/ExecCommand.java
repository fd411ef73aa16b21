package io.jocclum.cli;

import io.jocclum.api.Signal;
import io.jocclum.api.Wait;
import io.jocclum.libos.layout.InstancePaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code jocclum exec PATH [ARGS...]}: runs PATH in the enclave of {@code jocclum start}, next to
 * the programs other {@code exec}s run there (one enclave, its file systems, its memory), as
 * Occlum's {@code occlum exec}. This process's stdin, stdout and stderr are the program's;
 * SIGINT, SIGTERM and SIGHUP it receives are delivered to the program (Occlum's client
 * instead kills it with SIGTERM then SIGKILL); it exits with the program's status (128+N when
 * signal N killed it), or 127 with one sentence when the program cannot be started.
 */
@Command(name = "exec", description = {
        "Run a program in the enclave started by jocclum start (Occlum's occlum exec): stdin, stdout, stderr and the signals"
                + " INT, TERM and HUP are forwarded; exits with its status (128+N when signal N killed it)."})
final class ExecCommand implements Callable<Integer> {
    /** The signals forwarded to the program. */
    static final Map<String, Integer> FORWARDED = forwarded();

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "PATH", description = "The program's path in the LibOS file system, e.g. /bin/hello.")
    String path;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments.")
    List<String> args = List.of();

    ExecCommand(Cli cli) {
        this.cli = cli;
    }

    private static Map<String, Integer> forwarded() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("INT", Signal.SIGINT);
        m.put("TERM", Signal.SIGTERM);
        m.put("HUP", Signal.SIGHUP);
        return m;
    }

    @Override
    public Integer call() throws IOException {
        InstancePaths paths = Instance.at(cli.cwd);
        SocketChannel ch = ExecProtocol.connect(paths);
        if (ch == null) {
            throw new UserError("the enclave of " + paths.root() + " is not started; run jocclum start first (or use jocclum run).");
        }
        String p = path.startsWith("/") ? path : "/" + path;
        List<String> a = args == null ? List.of() : args;
        List<String> request = new ArrayList<>();
        request.add(p);
        request.add(Integer.toString(a.size()));
        request.addAll(a);
        new TreeMap<>(cli.env).forEach((k, v) -> request.add(k + "=" + v));
        try {
            ExecProtocol.write(ch, ExecProtocol.EXEC, ExecProtocol.ofStrings(request));
            Forwarding.add(ch);
            Thread.ofPlatform().daemon().name("exec-stdin").start(() -> pumpStdin(ch, cli.in));
            return relay(ch, paths, p);
        } catch (IOException e) {
            throw new UserError("the connection to the enclave of " + paths.root() + " failed (" + e.getMessage()
                    + "); is it being stopped?");
        } finally {
            Forwarding.remove(ch);
            ExecProtocol.close(ch);
        }
    }

    /** The server's frames until the program's status. */
    private int relay(SocketChannel ch, InstancePaths paths, String p) throws IOException {
        for (;;) {
            ExecProtocol.Frame f = ExecProtocol.read(ch);
            if (f == null) {
                throw new UserError("the enclave of " + paths.root() + " ended before " + p + " did (jocclum stop, or its server"
                        + " died; see run/" + StartCommand.LOG + ").");
            }
            switch (f.type()) {
                case ExecProtocol.STDOUT -> {
                    cli.out.write(f.payload());
                    cli.out.flush();
                }
                case ExecProtocol.STDERR -> {
                    cli.err.write(f.payload());
                    cli.err.flush();
                }
                case ExecProtocol.EXIT -> {
                    return Wait.shellStatus(f.intValue());
                }
                case ExecProtocol.FAILED -> {
                    ByteBuffer b = ByteBuffer.wrap(f.payload());
                    int code = b.getInt();
                    throw new UserError(code, StandardCharsets.UTF_8.decode(b).toString());
                }
                default -> {
                }
            }
        }
    }

    private static void pumpStdin(SocketChannel ch, InputStream in) {
        byte[] buf = new byte[64 * 1024];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                ExecProtocol.write(ch, ExecProtocol.STDIN, buf, 0, n);
            }
            ExecProtocol.write(ch, ExecProtocol.STDIN_EOF, new byte[0]);
        } catch (IOException e) {
            // the program ended (the connection is closed) or stdin failed: nothing more to send
        }
    }

    /**
     * While programs run, the host signals of {@link #FORWARDED} go to each of them instead of
     * ending this JVM; the JVM's own handlers come back when the last one ended (several
     * {@code exec}s share one JVM in tests).
     */
    private static final class Forwarding {
        private static final java.util.Set<SocketChannel> ACTIVE = new java.util.LinkedHashSet<>();
        private static final Map<String, sun.misc.SignalHandler> PREVIOUS = new LinkedHashMap<>();

        static synchronized void add(SocketChannel ch) {
            if (ACTIVE.isEmpty()) {
                FORWARDED.forEach((name, number) -> {
                    sun.misc.Signal sig = new sun.misc.Signal(name);
                    PREVIOUS.put(name, sun.misc.Signal.handle(sig, s -> deliver(number)));
                });
            }
            ACTIVE.add(ch);
        }

        static synchronized void remove(SocketChannel ch) {
            if (ACTIVE.remove(ch) && ACTIVE.isEmpty()) {
                PREVIOUS.forEach((name, h) -> sun.misc.Signal.handle(new sun.misc.Signal(name), h));
                PREVIOUS.clear();
            }
        }

        private static synchronized void deliver(int number) {
            for (SocketChannel ch : ACTIVE) {
                try {
                    ExecProtocol.write(ch, ExecProtocol.SIGNAL, ExecProtocol.ofInt(number));
                } catch (IOException e) {
                    // that program has ended: its status is on its way
                }
            }
        }
    }
}
