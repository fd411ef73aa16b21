package io.jocclum.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code jocclum start}, {@code exec} and {@code stop} end to end: the server runs in a JVM of its
 * own (as {@code start} launches it); {@code exec} runs in-process, or as a process of its own
 * where real signals are sent to it. Waits have generous bounds that only guard against hangs.
 */
class StartExecStopTest {
    private static final String GUEST = """
            package guest;

            import io.jocclum.api.*;

            public class App implements GuestProgram {
                @Override
                public int main(Syscalls sys, String[] argv, String[] envp) {
                    switch (argv[1]) {
                        case "write" -> {
                            int fd = sys.open(argv[2], OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
                            Libc.print(sys, fd, argv[3]);
                            sys.close(fd);
                            return 0;
                        }
                        case "read" -> {
                            int fd = sys.open(argv[2], OpenFlags.O_RDONLY, 0);
                            Libc.puts(sys, Libc.readAll(sys, fd));
                            sys.close(fd);
                            return 0;
                        }
                        case "cat" -> {
                            Libc.print(sys, 1, "ready\\n");
                            String in = Libc.readAll(sys, 0);
                            Libc.print(sys, 1, in.toUpperCase());
                            Libc.print(sys, 2, "read " + in.length() + " bytes");
                            return Integer.parseInt(argv[2]);
                        }
                        case "sleep" -> {
                            Libc.print(sys, 1, "sleeping\\n");
                            for (;;) {
                                sys.nanosleep(1_000_000_000L);
                            }
                        }
                        default -> {
                            return 99;
                        }
                    }
                }
            }
            """;

    @TempDir
    Path tmp;
    private final List<Path> started = new ArrayList<>();

    Path instance(String name, boolean debuggable, String... buildArgs) throws Exception {
        return GuestJars.instance(tmp, name, debuggable, GUEST, Map.of(), buildArgs);
    }

    Run.Result start(Path inst) {
        Run.Result r = Run.jocclum(inst, "start", "--epc", "1GB");
        if (r.exit() == 0) {
            started.add(inst);
        }
        return r;
    }

    /** A server left by a failed test is stopped. */
    @AfterEach
    void stopLeftovers() {
        for (Path inst : started) {
            if (Files.exists(inst.resolve("run/occlum_exec.sock"))) {
                Run.jocclum(inst, "stop");
            }
        }
    }

    /** {@code jocclum exec} in-process on another thread; {@code onOut} sees every chunk written to stdout. */
    static CompletableFuture<Run.Result> execAsync(Path inst, InputStream in, CountDownLatch seen, String marker, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OutputStream watched = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                out.write(b, off, len);
                if (out.toString(StandardCharsets.UTF_8).contains(marker)) {
                    seen.countDown();
                }
            }
        };
        Map<String, String> env = new HashMap<>(Run.ENV);
        Cli cli = new Cli(in, new PrintStream(watched, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, inst, Clock.systemUTC());
        List<String> all = new ArrayList<>(List.of("exec"));
        all.addAll(List.of(args));
        return CompletableFuture.supplyAsync(() -> {
            int exit = Main.run(cli, all.toArray(String[]::new));
            synchronized (watched) {
                return new Run.Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)).noTrace();
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
    }

    @Test
    void severalExecsShareOneStartedEnclaveAndStopEndsThem() throws Exception {
        Path inst = instance("shared", true);
        Run.Result s = start(inst);
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(s.out()).contains("started the enclave of " + inst);
        assertThat(inst.resolve("run/occlum_exec.sock")).exists();

        Run.Result again = start(inst);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("is started already").hasLineCount(1);
        Run.Result run = Run.jocclum(inst, "run", "/bin/hello");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("is started (jocclum start)").contains("jocclum exec").hasLineCount(1);

        // a program that stays running while the others come and go
        CountDownLatch sleeping = new CountDownLatch(1);
        CompletableFuture<Run.Result> sleeper = execAsync(inst, InputStream.nullInputStream(), sleeping, "sleeping", "/bin/app.jar",
                "sleep");
        assertThat(sleeping.await(60, TimeUnit.SECONDS)).as("the sleeper started").isTrue();

        // one exec writes into the enclave's /tmp, the next reads it there
        Run.Result w = Run.jocclum(inst, "exec", "/bin/app.jar", "write", "/tmp/shared.txt", "written by one exec");
        assertThat(w.exit()).as(w.err()).isZero();
        Run.Result r = Run.jocclum(inst, "exec", "bin/app.jar", "read", "/tmp/shared.txt");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("written by one exec\n");

        // stdin in, stdout and stderr out, the exit status back; options after PATH are the program's
        PipedOutputStream feed = new PipedOutputStream();
        CountDownLatch ready = new CountDownLatch(1);
        CompletableFuture<Run.Result> cat = execAsync(inst, new PipedInputStream(feed), ready, "ready", "/bin/app.jar", "cat", "7");
        assertThat(ready.await(60, TimeUnit.SECONDS)).isTrue();
        feed.write("through the socket\n".getBytes(StandardCharsets.UTF_8));
        feed.close();
        Run.Result c = cat.get(60, TimeUnit.SECONDS);
        assertThat(c.exit()).isEqualTo(7);
        assertThat(c.out()).isEqualTo("ready\nTHROUGH THE SOCKET\n");
        assertThat(c.err()).isEqualTo("read 19 bytes");

        Run.Result missing = Run.jocclum(inst, "exec", "/bin/nope");
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.err()).contains("there is no program /bin/nope").hasLineCount(1);

        assertThat(sleeper).isNotDone();
        Run.Result stop = Run.jocclum(inst, "stop");
        assertThat(stop.exit()).as(stop.err()).isZero();
        assertThat(stop.out()).contains("stopped the enclave of " + inst);
        assertThat(inst.resolve("run/occlum_exec.sock")).doesNotExist();
        Run.Result slept = sleeper.get(60, TimeUnit.SECONDS);
        assertThat(slept.exit()).as("killed by stop's SIGTERM").isEqualTo(128 + 15);
        assertThat(slept.out()).isEqualTo("sleeping\n");

        Run.Result after = Run.jocclum(inst, "exec", "/bin/hello");
        assertThat(after.exit()).isEqualTo(1);
        assertThat(after.err()).contains("is not started; run jocclum start first").hasLineCount(1);
        Run.Result stopAgain = Run.jocclum(inst, "stop");
        assertThat(stopAgain.exit()).isEqualTo(1);
        assertThat(stopAgain.err()).contains("is not started").hasLineCount(1);
        Run.Result runAfter = Run.jocclum(inst, "run", "--epc", "1GB", "/bin/hello");
        assertThat(runAfter.exit()).as(runAfter.err()).isZero();
    }

    @Test
    void signalsToTheExecProcessReachTheProgram() throws Exception {
        RunLifecycleTest.assumeSigintReachesChildren();
        Path inst = instance("signals", true);
        Run.Result s = start(inst);
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(execProcess(inst, "INT")).isEqualTo(130);
        assertThat(execProcess(inst, "TERM")).isEqualTo(143);
        assertThat(Run.jocclum(inst, "stop").exit()).isZero();
    }

    /** {@code jocclum exec /bin/app.jar sleep} as a process of its own, sent SIG{@code sig} once the program runs; its exit code. */
    private static int execProcess(Path inst, String sig) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "exec", "/bin/app.jar", "sleep");
        Process p = new ProcessBuilder(cmd).directory(inst.toFile()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertThat(line).isEqualTo("sleeping");
            Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).inheritIO().start();
            assertThat(kill.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exec ended").isTrue();
            assertThat(r.readLine()).isNull();
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void startRefusesAnInstanceThatRunIsUsingOrThatIsNotBuilt() throws Exception {
        Path inst = instance("busy", true);
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(feed);
        CountDownLatch ready = new CountDownLatch(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStream watched = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                out.write(b);
                if (out.toString(StandardCharsets.UTF_8).contains("ready")) {
                    ready.countDown();
                }
            }
        };
        Cli cli = new Cli(in, new PrintStream(watched, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()),
                Run.ENV, inst, Clock.systemUTC());
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.run(cli, "run", "--epc", "1GB", "/bin/app.jar",
                "cat", "0"), r -> Thread.ofPlatform().daemon().start(r));
        assertThat(ready.await(60, TimeUnit.SECONDS)).isTrue();
        Run.Result refused = start(inst);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("jocclum run is using " + inst).hasLineCount(1);
        feed.close();
        assertThat(run.get(60, TimeUnit.SECONDS)).isZero();

        assertThat(Run.jocclum(tmp, "new", "fresh").exit()).isZero();
        Run.Result unbuilt = start(tmp.resolve("fresh"));
        assertThat(unbuilt.exit()).isEqualTo(1);
        assertThat(unbuilt.err()).contains("has not been built yet").hasLineCount(1);
        Run.Result exec = Run.jocclum(tmp.resolve("fresh"), "exec", "/bin/hello");
        assertThat(exec.err()).contains("is not started").hasLineCount(1);
    }

    @Test
    void aServerThatCannotBootSaysWhyThroughStart() throws Exception {
        Path inst = instance("edmm", true, "--enable-edmm");
        Run.Result r = start(inst);
        assertThat(r.exit()).isZero();
        assertThat(Run.jocclum(inst, "stop").exit()).isZero();
        Run.Result sgx1 = Run.jocclum(inst, "start", "--epc", "1GB", "--sgx1");
        assertThat(sgx1.exit()).isEqualTo(1);
        assertThat(sgx1.err()).contains("was built for EDMM").contains("no SGX2").hasLineCount(1);
        assertThat(inst.resolve("run/occlum_exec.sock")).doesNotExist();
        Run.Result badEpc = Run.jocclum(inst, "start", "--epc", "lots");
        assertThat(badEpc.exit()).as("a usage error").isEqualTo(2);
        assertThat(badEpc.err()).contains("--epc \"lots\"").hasLineCount(1);
    }
    @Test
    void buildIsRefusedWhileTheEnclaveIsStartedOrARunUsesIt() throws Exception {
        Path inst = instance("busy", false);
        String key = Run.key(tmp, "key-a.pem").toString();
        Run.Result s = start(inst);
        assertThat(s.exit()).as(s.err()).isZero();
        String pid = s.out().replaceAll("(?s).*server process ([0-9]+)\\).*", "$1");
        assertThat(pid).matches("[0-9]+");
        assertThat(Run.jocclum(inst, "exec", "/bin/app.jar", "write", "/tmp/kept.txt", "kept").exit()).isZero();

        Run.Result b = Run.jocclum(inst, "build", "--sign-key", key, "-f");
        assertThat(b.exit()).isEqualTo(1);
        assertThat(b.out()).isEmpty();
        assertThat(b.err()).isEqualTo("jocclum: the enclave of " + inst + " is started (jocclum start, server process " + pid
                + ") and a build would empty run/ under it; end it with jocclum stop, then build.\n");
        // the server and its run/ are untouched
        assertThat(inst.resolve("run/occlum_exec.sock")).exists();
        Run.Result read = Run.jocclum(inst, "exec", "/bin/app.jar", "read", "/tmp/kept.txt");
        assertThat(read.exit()).as(read.err()).isZero();
        assertThat(read.out()).isEqualTo("kept\n");

        assertThat(Run.jocclum(inst, "stop").exit()).isZero();
        try (InstanceUse run = InstanceUse.forRun(new io.jocclum.libos.layout.InstancePaths(inst))) {
            Run.Result during = Run.jocclum(inst, "build", "--sign-key", key, "-f");
            assertThat(during.exit()).isEqualTo(1);
            assertThat(during.err()).isEqualTo("jocclum: jocclum run is using " + inst + " and a build would empty run/ under"
                    + " it; build once the run has ended.\n");
        }
        Run.Result after = Run.jocclum(inst, "build", "--sign-key", key, "-f");
        assertThat(after.exit()).as(after.err()).isZero();
    }
}
