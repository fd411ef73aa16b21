package io.jocclum.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code jocclum run /bin/pipebench} and {@code /bin/epollecho} in a freshly built instance, with host peers. */
@Timeout(180)
class EventBuiltinsRunTest {
    @TempDir
    static Path tmp;
    static Path inst;

    @BeforeAll
    static void buildAnInstance() {
        assertThat(Run.jocclum(tmp, "new", "ev").exit()).isZero();
        inst = tmp.resolve("ev");
        Run.Result b = Run.jocclum(inst, "build", "--sign-key", Run.key(tmp, "key-a.pem").toString());
        assertThat(b.exit()).as(b.err()).isZero();
    }

    @Test
    void pipebenchPrintsOneThroughputLine() {
        Run.Result r = Run.jocclum(inst, "run", "/bin/pipebench", "--block", "16K", "--total", "8MB");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).matches("pipebench: 8388608 bytes in 16KB writes in \\d+\\.\\d{3} s: \\d+\\.\\d\\d GiB/s"
                + " \\(count and checksum match\\)\n");
        Run.Result bad = Run.jocclum(inst, "run", "/bin/pipebench", "--block", "big");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.out()).isEmpty();
        assertThat(bad.err()).isEqualTo("pipebench: --block big is not a size such as 4096, 64K or 16MB;"
                + " usage: pipebench [--block SIZE] [--total SIZE]\n");
    }

    @Test
    void epollechoServesHostClientsAndItsClientChecksAHostEchoServer() throws Exception {
        // the server inside the enclave; its "listening on" line tells the port
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Watch out = new Watch(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), port);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Cli cli = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Run.ENV, inst, Clock.systemUTC());
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> server = ex.submit(() -> Main.run(cli, "run", "/bin/epollecho", "--port", "0", "--exit-after", "4"));
            int p = port.get(120, TimeUnit.SECONDS);
            List<Future<Boolean>> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] data = new byte[50_000 + i];
                new SplittableRandom(i).nextBytes(data);
                clients.add(ex.submit(() -> {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), p)) {
                        Future<?> w = ex.submit(() -> {
                            s.getOutputStream().write(data);
                            s.shutdownOutput();
                            return null;
                        });
                        byte[] back = s.getInputStream().readAllBytes();
                        w.get();
                        return java.util.Arrays.equals(back, data);
                    }
                }));
            }
            for (Future<Boolean> c : clients) {
                assertThat(c.get(60, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(server.get(60, TimeUnit.SECONDS)).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.text()).endsWith("epollecho: done after 4 connection(s), " + (4 * 50_000 + 6) + " bytes echoed\n");

            // the client inside the enclave against an echo server on the host
            try (ServerSocket echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
                ex.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        Socket s = echo.accept();
                        ex.submit(() -> {
                            try (s; InputStream in = s.getInputStream(); OutputStream o = s.getOutputStream()) {
                                in.transferTo(o);
                            }
                            return null;
                        });
                    }
                    return null;
                });
                Run.Result r = Run.jocclum(inst, "run", "/bin/epollecho", "--connect", "127.0.0.1:" + echo.getLocalPort(), "--clients", "5",
                        "--bytes", "64K");
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).isEqualTo("epollecho: 5 of 5 connections to 127.0.0.1:" + echo.getLocalPort()
                        + " echoed all 65536 bytes (327680 bytes in total), every byte matched\n");
            }
            // nobody listening: the client fails with status 1 and says why
            int closed;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closed = probe.getLocalPort();
            }
            Run.Result refused = Run.jocclum(inst, "run", "/bin/epollecho", "--connect", "localhost:" + closed, "--clients", "1");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("connection 0: cannot connect to 127.0.0.1:" + closed + ": ECONNREFUSED (Connection refused)");
            Run.Result usage = Run.jocclum(inst, "run", "/bin/epollecho", "--port", "1", "--bytes", "5");
            assertThat(usage.exit()).isEqualTo(2);
            assertThat(usage.err()).startsWith("epollecho: --clients and --bytes are client options").hasLineCount(1);
        }
    }

    /** Captures output and completes {@code found} with group 1 of the first match of {@code pattern}. */
    static final class Watch extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final Pattern pattern;
        private final CompletableFuture<Integer> found;

        Watch(Pattern pattern, CompletableFuture<Integer> found) {
            this.pattern = pattern;
            this.found = found;
        }

        @Override
        public synchronized void write(int b) {
            buf.write(b);
            check();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            buf.write(b, off, len);
            check();
        }

        private void check() {
            if (!found.isDone()) {
                Matcher m = pattern.matcher(text());
                if (m.find()) {
                    found.complete(Integer.parseInt(m.group(1)));
                }
            }
        }

        synchronized String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void flush() throws IOException {
        }
    }
}
