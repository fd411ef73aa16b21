package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.FdSet;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import io.jocclum.libos.process.GuestProcess;
import io.jocclum.libos.support.Quiesce;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.jocclum.libos.os.GuestOps.add;
import static io.jocclum.libos.os.GuestOps.epWait;
import static io.jocclum.libos.os.GuestOps.fionread;
import static io.jocclum.libos.os.GuestOps.poll;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many processes and pipes at once: a seeded random interleaving of writer processes and reader
 * processes of every waiting kind (epoll LT, epoll ET, poll, select, blocking read), checked at
 * every round for "no reader asleep while its pipe holds data" and at the end for "no record lost,
 * duplicated or reordered"; a 24-stage pipeline; a 16-process fan-in through one epoll.
 * {@code -Djocclum.seed=N} replays a run; the seed is printed and in every failure message.
 */
class EventsStressTest extends OsTestBase {
    private static final long SEED = Long.getLong("jocclum.seed", 0x5EED_0005L);
    private static final String[] KINDS = {"epoll-lt", "epoll-et", "poll", "select", "read"};
    private static final int WRITERS = 3;
    private static final int ROUNDS = 40;
    /** First descriptor of a writer's data pipes (above every descriptor of the parent, so the dup2 actions cannot overwrite each other). */
    private static final int DATA_FD = 100;

    private Booted big() {
        // dozens of pipes at once: each holds Occlum's 1MB pipe buffer in the kernel heap (docs/config.md, "Kernel heap")
        return boot("events-stress", Matrix.PLAIN_ON_SGX2, PLATFORM, b -> b.set("resource_limits.max_num_of_threads", 40)
                .set("resource_limits.user_space_size", "256MB").set("process.default_heap_size", "1MB")
                .set("resource_limits.kernel_space_heap_size", "96MB"));
    }

    /** Writer {@code w}'s operations in round {@code r}: pairs (pipe, records), from the seed alone. */
    static int[][] plan(long seed, int w, int r) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + w * 7919L + r);
        int ops = rnd.nextInt(0, 6);
        int[][] out = new int[ops][];
        for (int i = 0; i < ops; i++) {
            out[i] = new int[]{rnd.nextInt(KINDS.length), rnd.nextInt(1, 40)};
        }
        return out;
    }

    static long value(int writer, int seq) {
        return writer * 1_000_003L + seq;
    }

    /** The guest programs of the interleaving test, by role. */
    private static int child(Syscalls sys, String[] argv) {
        return switch (argv[1]) {
            case "writer" -> writer(sys, Long.parseLong(argv[2]), Integer.parseInt(argv[3]));
            case "reader" -> reader(sys, argv[2]);
            default -> throw new IllegalArgumentException(argv[1]);
        };
    }

    /** Per round: wait for "go" on stdin, write the planned records (8 bytes: writer, seq; one atomic write per op), report on fd 3. */
    private static int writer(Syscalls sys, long seed, int w) {
        int seq = 0;
        long buf = Libc.alloc(sys, 4096);
        for (int r = 0; ; r++) {
            if (read(sys, 0, 1).length == 0) {
                return 0;
            }
            for (int[] op : plan(seed, w, r)) {
                for (int i = 0; i < op[1]; i++) {
                    sys.storeInt(buf + 8L * i, w);
                    sys.storeInt(buf + 8L * i + 4, seq++);
                }
                assertThat(sys.write(DATA_FD + op[0], buf, 8L * op[1])).isEqualTo(8L * op[1]);
                if ((seq & 3) == 0) {
                    sys.schedYield();
                }
            }
            write(sys, 3, new byte[]{'d'});
        }
    }

    /** Reads fd 0 to EOF waiting its way; checks per-writer order; prints "records sum". */
    private static int reader(Syscalls sys, String kind) {
        int chunk = 64;
        long buf = Libc.alloc(sys, 4096);
        int ep = -1;
        if (kind.startsWith("epoll")) {
            ep = sys.epollCreate1(0);
            add(sys, ep, 0, Epoll.EPOLLIN | (kind.equals("epoll-et") ? Epoll.EPOLLET : 0), 0);
        }
        if (kind.equals("epoll-et")) {
            sys.fcntl(0, Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
        }
        long set = Libc.alloc(sys, FdSet.SIZE);
        int[] last = new int[WRITERS];
        Arrays.fill(last, -1);
        long records = 0;
        long sum = 0;
        boolean eof = false;
        while (!eof) {
            switch (kind) {
                case "epoll-lt", "epoll-et" -> assertThat(epWait(sys, ep, 4, -1)).isNotEmpty();
                case "poll" -> assertThat(poll(sys, 0, Poll.POLLIN, -1)).isNotZero();
                case "select" -> {
                    FdSet.zero(sys, set);
                    FdSet.set(sys, set, 0);
                    assertThat(sys.select(1, set, 0, 0, -1)).isEqualTo(1);
                }
                default -> { }
            }
            // ET: drain to EAGAIN; the others take one chunk per wake-up
            do {
                int n;
                try {
                    n = (int) sys.read(0, buf, chunk);
                } catch (ErrnoException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                    break;
                }
                if (n == 0) {
                    eof = true;
                    break;
                }
                assertThat(n % 8).as("whole records").isZero();
                for (int i = 0; i < n; i += 8) {
                    int w = sys.loadInt(buf + i);
                    int seq = sys.loadInt(buf + i + 4);
                    assertThat(seq).as("writer %d's records in order", w).isGreaterThan(last[w]);
                    last[w] = seq;
                    records++;
                    sum += value(w, seq);
                }
            } while (kind.equals("epoll-et"));
        }
        Libc.puts(sys, records + " " + sum);
        return 0;
    }

    @Test
    void seededInterleavingOfWritersReadersAndWaitersLosesNothing() throws Exception {
        System.out.println("EventsStressTest seed=" + SEED + " (replay with -Djocclum.seed=" + SEED + ")");
        Booted os = big();
        os.program("child", (sys, argv, envp) -> child(sys, argv));
        Booted.Result res = os.run((sys, argv, envp) -> {
            int k = KINDS.length;
            int[][] data = new int[k][];
            int[] readers = new int[k];
            int[] results = new int[k];
            for (int i = 0; i < k; i++) {
                data[i] = sys.pipe2(OpenFlags.O_CLOEXEC);
                int[] res0 = sys.pipe2(OpenFlags.O_CLOEXEC);
                readers[i] = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(data[i][0], 0), SpawnAction.dup2(res0[1], 1)),
                        new String[]{"child", "reader", KINDS[i]}, null);
                sys.close(res0[1]);
                results[i] = res0[0];
            }
            int[] done = sys.pipe2(OpenFlags.O_CLOEXEC);
            int[] control = new int[WRITERS];
            int[] writers = new int[WRITERS];
            for (int w = 0; w < WRITERS; w++) {
                int[] c = sys.pipe2(OpenFlags.O_CLOEXEC);
                List<SpawnAction> acts = new ArrayList<>(List.of(SpawnAction.dup2(c[0], 0), SpawnAction.dup2(done[1], 3)));
                for (int i = 0; i < k; i++) {
                    acts.add(SpawnAction.dup2(data[i][1], DATA_FD + i));
                }
                writers[w] = sys.posixSpawn("/bin/child", acts, new String[]{"child", "writer", Long.toString(SEED), Integer.toString(w)}, null);
                sys.close(c[0]);
                control[w] = c[1];
            }
            sys.close(done[1]);
            for (int i = 0; i < k; i++) {
                sys.close(data[i][1]); // the parent keeps the read ends, only for FIONREAD
            }
            List<GuestProcess> readerProcs = Arrays.stream(readers).mapToObj(pid -> os.os.kernel().process(pid)).toList();
            for (int r = 0; r < ROUNDS; r++) {
                for (int w = 0; w < WRITERS; w++) {
                    write(sys, control[w], new byte[]{'g'});
                }
                for (int got = 0; got < WRITERS; ) {
                    got += read(sys, done[0], WRITERS - got).length;
                }
                // checkpoint: every reader asleep and every pipe empty, or a wake-up was lost
                int round = r;
                try {
                Quiesce.until(() -> {
                    for (int i = 0; i < k; i++) {
                        if (GuestOps.parkedThreads(readerProcs.get(i)) < 1 || fionread(sys, data[i][0]) != 0) {
                            return false;
                        }
                    }
                    return true;
                }, "seed " + SEED + " round " + round + ": every reader asleep with its pipe drained (pipe bytes: "
                        + Arrays.toString(Arrays.stream(data).mapToInt(d -> fionread(sys, d[0])).toArray()) + ")", 50_000_000L);
                } catch (AssertionError e) {
                    StringBuilder sb = new StringBuilder(e.getMessage());
                    for (int i = 0; i < k; i++) {
                        GuestProcess p = readerProcs.get(i);
                        sb.append("; ").append(KINDS[i]).append(": exited=").append(p.exited()).append(" bytes=")
                                .append(fionread(sys, data[i][0]));
                        for (var t : p.threads()) {
                            sb.append(" ").append(t.javaThread().getState());
                            for (StackTraceElement f : t.javaThread().getStackTrace()) {
                                sb.append("\n    ").append(f);
                            }
                        }
                    }
                    throw new AssertionError(sb.toString());
                }
            }
            for (int w = 0; w < WRITERS; w++) {
                sys.close(control[w]);
                assertThat(sys.wait4(writers[w], 0).status()).isEqualTo(Wait.exited(0));
            }
            long[] records = new long[k];
            long[] sums = new long[k];
            int[] seq = new int[WRITERS];
            for (int r = 0; r < ROUNDS; r++) {
                for (int w = 0; w < WRITERS; w++) {
                    for (int[] op : plan(SEED, w, r)) {
                        for (int i = 0; i < op[1]; i++) {
                            records[op[0]]++;
                            sums[op[0]] += value(w, seq[w]++);
                        }
                    }
                }
            }
            for (int i = 0; i < k; i++) {
                String line = Libc.readAll(sys, results[i]).strip();
                assertThat(line).as("seed %d: reader %s", SEED, KINDS[i]).isEqualTo(records[i] + " " + sums[i]);
                assertThat(sys.wait4(readers[i], 0).status()).as("seed %d: reader %s", SEED, KINDS[i]).isEqualTo(Wait.exited(0));
            }
            return 0;
        });
        assertThat(res.status()).as("seed %d; stderr: %s", SEED, res.err()).isZero();
    }

    /**
     * Nested epoll with two waiters, many times: thread A in epoll_wait on the inner epoll, thread B
     * on an outer epoll that holds the inner, the source a pipe (or an eventfd) that stays readable
     * (level-triggered, never drained). Every round both must return; a round where B sleeps on the
     * outer with no wake-up pending after A returned is the lost wake-up (EpollFile.poll read the
     * inner's ready count without its mutex while A had the ready list taken out). The seed varies
     * who starts first, the yields before waiting and writing, the source and A's maxevents.
     */
    @Test
    void nestedEpollTwoWaitersNeverLoseAWakeUp() throws Exception {
        System.out.println("EventsStressTest nested-epoll seed=" + SEED + " (replay with -Djocclum.seed=" + SEED + ")");
        Booted os = os(Matrix.PLAIN_ON_SGX2);
        os.run((sys, argv, envp) -> {
            int pid = sys.getpid();
            SplittableRandom rnd = new SplittableRandom(SEED);
            for (int round = 0; round < 120; round++) {
                boolean eventfd = rnd.nextBoolean();
                int[] p = eventfd ? null : sys.pipe2(0);
                int src = eventfd ? sys.eventfd(0, 0) : p[0];
                int inner = sys.epollCreate1(0);
                int outer = sys.epollCreate1(0);
                add(sys, inner, src, Epoll.EPOLLIN, 1);
                add(sys, outer, inner, Epoll.EPOLLIN, 2);
                int yieldsA = rnd.nextInt(4);
                int yieldsB = rnd.nextInt(4);
                int yieldsW = rnd.nextInt(6);
                int maxA = 1 + rnd.nextInt(2);
                boolean bFirst = rnd.nextBoolean();
                java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
                ThreadFunctionFactory wait = (ep, yields, max) -> s -> {
                    for (int i = 0; i < yields; i++) {
                        s.schedYield();
                    }
                    assertThat(epWait(s, ep, max, -1)).isNotEmpty();
                    done.incrementAndGet();
                    return 0;
                };
                int t1 = sys.threadCreate(bFirst ? wait.of(outer, yieldsB, 4) : wait.of(inner, yieldsA, maxA));
                int t2 = sys.threadCreate(bFirst ? wait.of(inner, yieldsA, maxA) : wait.of(outer, yieldsB, 4));
                for (int i = 0; i < yieldsW; i++) {
                    sys.schedYield();
                }
                if (eventfd) {
                    GuestOps.efdWrite(sys, src, 1);
                } else {
                    write(sys, p[1], new byte[]{1});
                }
                int r = round;
                Quiesce.until(() -> done.get() == 2 || lostWakeUp(os, pid, outer, done.get()),
                        "seed " + SEED + " round " + r + ": both waiters returned or one is lost");
                assertThat(done.get()).as("seed %d round %d (eventfd %s, B first %s, yields %d/%d/%d, maxevents %d): "
                        + "the outer waiter slept with the inner readable", SEED, r, eventfd, bFirst, yieldsA, yieldsB, yieldsW, maxA)
                        .isEqualTo(2);
                sys.threadJoin(t1);
                sys.threadJoin(t2);
                for (int fd : eventfd ? new int[]{src, inner, outer} : new int[]{p[0], p[1], inner, outer}) {
                    sys.close(fd);
                }
            }
            return 0;
        }).assertOk();
    }

    /** One waiter returned and the other sleeps on the outer epoll with no wake-up pending. */
    private static boolean lostWakeUp(Booted os, int pid, int outer, int done) {
        GuestProcess p = os.os.kernel().process(pid);
        io.jocclum.libos.epoll.EpollFile ep = (io.jocclum.libos.epoll.EpollFile) p.files().get(outer);
        return done == 1 && ep.waiterCount() == 1 && ep.notifiedWaiters() == 0 && GuestOps.parkedThreads(p) >= 1;
    }

    @FunctionalInterface
    private interface ThreadFunctionFactory {
        io.jocclum.api.ThreadFunction of(int ep, int yields, int max);
    }

    @Test
    void aPipelineOf24ProcessesAndAFanInOf16ThroughOneEpoll() throws Exception {
        Booted os = big();
        os.program("child", (sys, argv, envp) -> {
            if (argv[1].equals("cat")) {
                int chunk = Integer.parseInt(argv[2]);
                long b = Libc.alloc(sys, chunk);
                for (;;) {
                    long n = sys.read(0, b, chunk);
                    if (n == 0) {
                        return 0;
                    }
                    Libc.writeFully(sys, 1, b, n);
                }
            }
            int id = Integer.parseInt(argv[2]);
            long b = Libc.alloc(sys, 4096);
            sys.fillBytes(b, 4096, (byte) id);
            for (int i = 0; i < 16; i++) {
                Libc.writeFully(sys, 1, b, 4096);
            }
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int stages = 24;
            int total = 2 << 20;
            int[] first = sys.pipe2(OpenFlags.O_CLOEXEC);
            int in = first[0];
            int[] pids = new int[stages];
            for (int s = 0; s < stages; s++) {
                int[] next = sys.pipe2(OpenFlags.O_CLOEXEC);
                pids[s] = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(in, 0), SpawnAction.dup2(next[1], 1)),
                        new String[]{"child", "cat", Integer.toString(1000 + 3001 * s % 60_000)}, null);
                sys.close(in);
                sys.close(next[1]);
                in = next[0];
            }
            byte[] data = new byte[total];
            new SplittableRandom(24).nextBytes(data);
            int wfd = first[1];
            int feeder = sys.threadCreate(s -> {
                long b = Libc.alloc(s, total);
                s.storeBytes(b, data, 0, total);
                for (int off = 0; off < total; off += 40_000) {
                    Libc.writeFully(s, wfd, b + off, Math.min(40_000, total - off));
                }
                s.close(wfd);
                return 0;
            });
            long b = Libc.alloc(sys, 1 << 16);
            byte[] got = new byte[total];
            int at = 0;
            for (;;) {
                int n = (int) sys.read(in, b, 1 << 16);
                if (n == 0) {
                    break;
                }
                assertThat(at + n).isLessThanOrEqualTo(total);
                sys.loadBytes(b, got, at, n);
                at += n;
            }
            sys.threadJoin(feeder);
            assertThat(at).isEqualTo(total);
            assertThat(Arrays.equals(got, data)).as("the bytes came through 24 processes unchanged").isTrue();
            for (int pid : pids) {
                assertThat(sys.wait4(pid, 0).status()).isEqualTo(Wait.exited(0));
            }
            // fan-in: 16 writer processes, one ET epoll over their pipes
            int n = 16;
            int ep = sys.epollCreate1(0);
            int[] fds = new int[n];
            int[] kids = new int[n];
            for (int i = 0; i < n; i++) {
                int[] p = sys.pipe2(OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK);
                kids[i] = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[1], 1)), new String[]{"child", "fan", Integer.toString(i + 1)}, null);
                sys.close(p[1]);
                fds[i] = p[0];
                add(sys, ep, p[0], Epoll.EPOLLIN | Epoll.EPOLLET, i);
            }
            long[] bytes = new long[n];
            int open = n;
            while (open > 0) {
                for (EpollEvent e : epWait(sys, ep, 8, -1)) {
                    int i = (int) e.data();
                    for (;;) {
                        int k;
                        try {
                            k = (int) sys.read(fds[i], b, 1 << 16);
                        } catch (ErrnoException x) {
                            assertThat(x.errno()).isEqualTo(Errno.EAGAIN);
                            break;
                        }
                        if (k == 0) {
                            sys.close(fds[i]);
                            open--;
                            break;
                        }
                        for (int j = 0; j < k; j += 997) {
                            assertThat(sys.loadByte(b + j)).isEqualTo((byte) (i + 1));
                        }
                        bytes[i] += k;
                    }
                }
            }
            assertThat(bytes).containsOnly(16 * 4096L);
            for (int pid : kids) {
                assertThat(sys.wait4(pid, 0).status()).isEqualTo(Wait.exited(0));
            }
            return 0;
        }).assertOk();
    }
}
