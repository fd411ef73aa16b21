package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * User jars in a scenario: one from the host ({@code "jar"}) and one from an instance's image, with
 * threads, a pipe, joins and sleeps, next to a memtest in the same cgroup; the same seed twice gives
 * the same data.json.
 */
class ScenarioGuestJarTest {
    @TempDir
    Path tmp;

    /** Three threads map and touch memory, sleep (simulated) and report through a pipe; main joins them and sleeps 1 s. */
    static final String APP = """
            package guest;

            import io.jocclum.api.*;

            public final class App implements GuestProgram {
                @Override
                public int main(Syscalls sys, String[] argv, String[] envp) {
                    long mb = Long.parseLong(argv.length > 1 ? argv[1] : "4");
                    int[] p = sys.pipe2(0);
                    int[] tids = new int[3];
                    for (int i = 0; i < 3; i++) {
                        final int id = i;
                        tids[i] = sys.threadCreate(s -> {
                            long size = mb << 20;
                            long a = s.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
                            for (long off = 0; off < size; off += 4096) {
                                s.storeByte(a + off, (byte) id);
                            }
                            s.nanosleep(20_000_000L * (id + 1));
                            long b = Libc.alloc(s, 8);
                            s.storeByte(b, (byte) ('a' + id));
                            s.write(p[1], b, 1);
                            return 1;
                        });
                    }
                    long buf = Libc.alloc(sys, 8);
                    long got = 0;
                    for (int i = 0; i < 3; i++) {
                        got += sys.read(p[0], buf, 1);
                    }
                    long sum = 0;
                    for (int t : tids) {
                        sum += sys.threadJoin(t);
                    }
                    long t0 = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
                    sys.nanosleep(1_000_000_000L);
                    long slept = sys.clockGettime(Clocks.CLOCK_MONOTONIC) - t0;
                    Libc.println(sys, 2, "read " + got + " sum " + sum + " slept " + slept);
                    return got == 3 && sum == 3 && slept >= 1_000_000_000L ? 0 : 1;
                }
            }
            """;

    static final String SMALL = """
            { "resource_limits": { "kernel_space_heap_size": "1MB", "kernel_space_heap_max_size": "8MB",
              "user_space_size": "1MB", "user_space_max_size": "64MB", "init_num_of_threads": 2, "max_num_of_threads": 8 },
              "process": { "default_stack_size": "256KB", "default_heap_size": "1MB", "default_mmap_size": "16MB" } }""";

    @Test
    void hostAndImageJarsRunWithThreadsPipesAndSleepsDeterministically() throws Exception {
        Files.write(tmp.resolve("app.jar"), GuestJars.compile(tmp.resolve("guest"), APP));
        GuestJars.instance(tmp, "inst", false, APP, Map.of());
        Files.writeString(tmp.resolve("jars.json"), """
                { "name": "jars", "host": { "epc": "128MB", "seed": 3 }, "sampleInterval": "50ms",
                  "cgroups": { "/a": { "epcMax": "12MB" } },
                  "enclaves": [
                    { "name": "host-jar", "cgroup": "/a", "edmm": true, "config": %s, "programs": [ { "jar": "app.jar", "args": ["4"] } ] },
                    { "name": "image-jar", "instance": "inst", "programs": [ "/bin/app.jar 2" ] },
                    { "name": "mem", "cgroup": "/a", "edmm": true, "config": %s, "programs": [ "/bin/memtest --size 8MB --rounds 3" ] } ] }
                """.formatted(SMALL, SMALL));
        Run.Result a = Run.jocclum(tmp, "scenario", "run", "jars.json", "--report", "a");
        assertThat(a.exit()).as(a.err()).isZero();
        System.out.println(a.out());
        assertThat(a.out()).containsPattern("host-jar +/a .* exited +1 +- ").containsPattern("image-jar +/ .* exited")
                .containsPattern("mem +/a .* exited");
        String data = Files.readString(tmp.resolve("a/data.json"));
        assertThat(data).doesNotContain("\"exitStatus\" : 1").contains("\"programs\" : \"/bin/app.jar 4\"");
        Run.Result b = Run.jocclum(tmp, "scenario", "run", "jars.json", "--report", "b");
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(Files.readAllBytes(tmp.resolve("b/data.json"))).isEqualTo(Files.readAllBytes(tmp.resolve("a/data.json")));
        assertThat(Files.readString(tmp.resolve("b/events.csv"))).isEqualTo(Files.readString(tmp.resolve("a/events.csv")));
    }

    /** "refused": host sockets and timerfds are ENOSYS in a scenario; "lock": two threads meet on a Java monitor held across a sleep. */
    static final String ODD = """
            package guest;

            import io.jocclum.api.*;

            public final class App implements GuestProgram {
                private static final Object LOCK = new Object();

                @Override
                public int main(Syscalls sys, String[] argv, String[] envp) {
                    if (argv[1].equals("refused")) {
                        int refused = 0;
                        try {
                            sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
                        } catch (ErrnoException e) {
                            refused += e.errno() == Errno.ENOSYS ? 1 : 0;
                        }
                        try {
                            sys.timerfdCreate(Clocks.CLOCK_MONOTONIC, 0);
                        } catch (ErrnoException e) {
                            refused += e.errno() == Errno.ENOSYS ? 1 : 0;
                        }
                        int[] pair = sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                        sys.close(pair[0]);
                        return refused == 2 ? 0 : 1;
                    }
                    sys.threadCreate(s -> {
                        synchronized (LOCK) {
                            s.nanosleep(10_000_000L);
                        }
                        return 0;
                    });
                    sys.nanosleep(1_000_000L);
                    synchronized (LOCK) {
                        return 0;
                    }
                }
            }
            """;

    @Test
    void hostWaitsAreRefusedAndAThreadWaitingOnItsOwnJavaLockStopsTheRun() throws Exception {
        Files.write(tmp.resolve("odd.jar"), GuestJars.compile(tmp.resolve("odd"), ODD));
        String scenario = """
                { "enclaves": [ { "name": "odd", "edmm": true, "config": %s, "programs": [ { "jar": "odd.jar", "args": ["%s"] } ] } ] }
                """;
        Files.writeString(tmp.resolve("refused.json"), scenario.formatted(SMALL, "refused"));
        Run.Result r = Run.jocclum(tmp, "scenario", "run", "refused.json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("odd +/ .* exited ");
        Files.writeString(tmp.resolve("lock.json"), scenario.formatted(SMALL, "lock"));
        Run.Result l = Run.jocclum(tmp, "scenario", "run", "lock.json");
        assertThat(l.exit()).isEqualTo(1);
        assertThat(l.err()).startsWith("jocclum: a guest thread (pid 1, tid 1) waits outside the LibOS, on a Java lock or monitor"
                + " of its own;");
    }
}
