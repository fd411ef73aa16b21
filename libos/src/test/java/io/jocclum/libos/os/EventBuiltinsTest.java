package io.jocclum.libos.os;

import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Signal;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
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

/** The event built-ins {@code /bin/pipebench} and {@code /bin/epollecho}, run as guest programs. */
class EventBuiltinsTest extends OsTestBase {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void pipebenchStreamsTheTotalThroughAPipeToASpawnedReader(Matrix m) throws Exception {
        Booted os = os(m);
        Booted.Result r = os.runPath("/bin/pipebench", "--block", "4K", "--total", "1M");
        r.assertOk();
        assertThat(r.out()).matches("pipebench: 1048576 bytes in 4KB writes in \\d+\\.\\d{3} s: \\d+\\.\\d\\d GiB/s"
                + " \\(count and checksum match\\)\n");
        // a total that is not a multiple of the block, a block that is not a multiple of 8, a block above the pipe size
        assertThat(os.runPath("/bin/pipebench", "--block", "1000", "--total", "123457").assertOk().out())
                .startsWith("pipebench: 123457 bytes in 1000B writes").contains("(count and checksum match)");
        assertThat(os.runPath("/bin/pipebench", "--block", "200KiB", "--total", "1MB").assertOk().out())
                .startsWith("pipebench: 1048576 bytes in 200KB writes");
    }

    @Test
    void pipebenchRejectsBadOptionsWithOneLineAndStatus2() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        for (String[] args : List.of(new String[]{"--block"}, new String[]{"--block", "0"}, new String[]{"--total", "lots"},
                new String[]{"--frobnicate"}, new String[]{"--block", "1G"})) {
            Booted.Result r = os.runPath("/bin/pipebench", args);
            assertThat(r.status()).as(String.join(" ", args)).isEqualTo(Wait.exited(2));
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("pipebench: ").endsWith("; " + "usage: pipebench [--block SIZE] [--total SIZE]\n")
                    .hasLineCount(1);
        }
    }

    @Test
    void epollechoRejectsBadOptionsWithOneLineAndStatus2() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        for (String[] args : List.of(new String[]{}, new String[]{"--port", "70000"}, new String[]{"--port", "1", "--connect", "x:1"},
                new String[]{"--connect", "127.0.0.1"}, new String[]{"--connect", "example.com:80"},
                new String[]{"--port", "0", "--clients", "3"}, new String[]{"--connect", "localhost:1", "--exit-after", "1"},
                new String[]{"--connect", "localhost:1", "--bytes", "-5"}, new String[]{"--bogus"})) {
            Booted.Result r = os.runPath("/bin/epollecho", args);
            assertThat(r.status()).as(String.join(" ", args)).isEqualTo(Wait.exited(2));
            assertThat(r.err()).as(String.join(" ", args)).startsWith("epollecho: ").contains("; usage: epollecho --port N")
                    .hasLineCount(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void epollechoServerAndClientInsideTheLibOs(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("main", (sys, argv, envp) -> {
            int[] out = sys.pipe2(OpenFlags.O_CLOEXEC);
            int server = sys.posixSpawn("/bin/epollecho", List.of(SpawnAction.dup2(out[1], 1)),
                    new String[]{"epollecho", "--port", "0", "--max-clients", "3", "--exit-after", "12"}, null);
            sys.close(out[1]);
            int port = port(readLine(sys, out[0]));
            // two clients of six connections each, at once: 12 connections, at most 3 served at a time
            int c1 = sys.posixSpawn("/bin/epollecho", List.of(), new String[]{"epollecho", "--connect", "127.0.0.1:" + port,
                    "--clients", "6", "--bytes", "100000"}, null);
            int c2 = sys.posixSpawn("/bin/epollecho", List.of(), new String[]{"epollecho", "--connect", "localhost:" + port,
                    "--clients", "6", "--bytes", "3"}, null);
            assertThat(sys.wait4(c1, 0).status()).isEqualTo(Wait.exited(0));
            assertThat(sys.wait4(c2, 0).status()).isEqualTo(Wait.exited(0));
            assertThat(sys.wait4(server, 0).status()).isEqualTo(Wait.exited(0));
            String rest = Libc.readAll(sys, out[0]);
            assertThat(rest).isEqualTo("epollecho: done after 12 connection(s), " + (6 * 100000 + 6 * 3) + " bytes echoed\n");
            return 0;
        });
        Booted.Result r = os.runPath("/bin/main").assertOk();
        assertThat(r.out()).contains("epollecho: 6 of 6 connections to 127.0.0.1:")
                .contains("echoed all 100000 bytes (600000 bytes in total), every byte matched")
                .contains("echoed all 3 bytes (18 bytes in total), every byte matched");
    }

    @Test
    void epollechoServesHostClientsAtOnceAndStopsOnSigterm() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        CompletableFuture<Void> clientsDone = new CompletableFuture<>();
        os.program("main", (sys, argv, envp) -> {
            int[] out = sys.pipe2(OpenFlags.O_CLOEXEC);
            int server = sys.posixSpawn("/bin/epollecho", List.of(SpawnAction.dup2(out[1], 1)),
                    new String[]{"epollecho", "--port", "0"}, null);
            sys.close(out[1]);
            listening.complete(port(readLine(sys, out[0])));
            clientsDone.get(60, TimeUnit.SECONDS);
            sys.kill(server, Signal.SIGTERM);
            assertThat(sys.wait4(server, 0).status()).isEqualTo(Wait.exited(0));
            Libc.print(sys, 1, Libc.readAll(sys, out[0]));
            return 0;
        });
        Future<Booted.Result> run;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            run = ex.submit(() -> os.runPath("/bin/main"));
            int port = listening.get(60, TimeUnit.SECONDS);
            int clients = 20;
            List<Future<byte[]>> echoes = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            List<Socket> sockets = new ArrayList<>();
            // every client connected before any sends: the server has them all at once
            for (int i = 0; i < clients; i++) {
                sockets.add(new Socket(InetAddress.getLoopbackAddress(), port));
            }
            for (int i = 0; i < clients; i++) {
                byte[] data = new byte[1 + 7919 * i];
                new SplittableRandom(i).nextBytes(data);
                sent.add(data);
                Socket s = sockets.get(i);
                echoes.add(ex.submit(() -> {
                    try (s; OutputStream o = s.getOutputStream(); InputStream in = s.getInputStream()) {
                        Future<?> w = CompletableFuture.runAsync(() -> {
                            try {
                                o.write(data);
                                s.shutdownOutput();
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }, ex);
                        byte[] back = in.readAllBytes();
                        w.get();
                        return back;
                    }
                }));
            }
            for (int i = 0; i < clients; i++) {
                assertThat(echoes.get(i).get(60, TimeUnit.SECONDS)).as("client %d", i).isEqualTo(sent.get(i));
            }
            clientsDone.complete(null);
            Booted.Result r = run.get(60, TimeUnit.SECONDS).assertOk();
            long total = sent.stream().mapToLong(b -> b.length).sum();
            assertThat(r.out()).isEqualTo("epollecho: stopped by SIGTERM after " + clients + " connection(s), " + total
                    + " bytes echoed\n");
        }
    }

    static int port(String line) {
        Matcher mm = LISTENING.matcher(line);
        assertThat(mm.find()).as(line).isTrue();
        return Integer.parseInt(mm.group(1));
    }

    /** Reads one line from {@code fd} byte by byte (so nothing after it is consumed). */
    static String readLine(Syscalls sys, int fd) {
        long b = Libc.alloc(sys, 4096);
        StringBuilder sb = new StringBuilder();
        while (sys.read(fd, b, 1) == 1) {
            char c = (char) sys.loadByte(b);
            if (c == '\n') {
                break;
            }
            sb.append(c);
        }
        Libc.free(sys, b, 4096);
        return sb.toString();
    }
}
