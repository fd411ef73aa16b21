package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Libc;
import io.jocclum.api.Limits;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.fionread;
import static io.jocclum.libos.os.GuestOps.poll;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/** pipe(7) through the syscall interface: capacity, F_GET/SETPIPE_SZ, PIPE_BUF atomicity, EOF, EPIPE/SIGPIPE, FIONREAD, O_NONBLOCK, poll bits. */
class PipeGuestTest extends OsTestBase {

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void capacityPipeSizeFionreadAndNonBlockingWrites(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_NONBLOCK);
            assertThat(sys.fcntl(p[0], Fcntl.F_GETPIPE_SZ, 0)).as("default capacity").isEqualTo(65536);
            assertThat(sys.fcntl(p[1], Fcntl.F_GETPIPE_SZ, 0)).isEqualTo(65536);
            assertThat(sys.fcntl(p[0], Fcntl.F_GETFL, 0) & OpenFlags.O_NONBLOCK).isNotZero();
            assertThat(errno(() -> read(sys, p[0], 10))).as("empty, non-blocking").isEqualTo(Errno.EAGAIN);
            long total = 0;
            for (;;) {
                try {
                    assertThat(write(sys, p[1], Limits.PIPE_BUF, (byte) 1)).as("PIPE_BUF writes are all or nothing").isEqualTo(Limits.PIPE_BUF);
                    total += Limits.PIPE_BUF;
                } catch (io.jocclum.api.ErrnoException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                    break;
                }
            }
            assertThat(total).isEqualTo(65536);
            assertThat(fionread(sys, p[0])).isEqualTo(65536);
            assertThat(fionread(sys, p[1])).as("FIONREAD on the write end too").isEqualTo(65536);
            assertThat(errno(() -> write(sys, p[1], 1, (byte) 2))).isEqualTo(Errno.EAGAIN);
            assertThat(poll(sys, p[1], Poll.POLLOUT, 0)).as("full: not writable").isZero();
            // shrinking below the stored bytes is EBUSY; growing rounds up to a power of two
            assertThat(errno(() -> sys.fcntl(p[0], Fcntl.F_SETPIPE_SZ, 4096))).isEqualTo(Errno.EBUSY);
            assertThat(sys.fcntl(p[1], Fcntl.F_SETPIPE_SZ, 100_000)).isEqualTo(131072);
            assertThat(sys.fcntl(p[0], Fcntl.F_GETPIPE_SZ, 0)).isEqualTo(131072);
            // a write larger than PIPE_BUF into a partly full non-blocking pipe is partial
            long n = write(sys, p[1], 100_000, (byte) 3);
            assertThat(n).isBetween(1L, 99_999L);
            assertThat(fionread(sys, p[0])).isEqualTo(65536 + n);
            assertThat(read(sys, p[0], 200_000)).hasSize((int) (65536 + n));
            assertThat(sys.fcntl(p[0], Fcntl.F_SETPIPE_SZ, 1)).as("at least a page").isEqualTo(4096);
            assertThat(sys.fcntl(p[0], Fcntl.F_SETPIPE_SZ, 2 << 20)).as("root may pass pipe-max-size").isEqualTo(2 << 20);
            assertThat(errno(() -> sys.fcntl(p[0], Fcntl.F_SETPIPE_SZ, (1L << 31) + 1))).as("above 2^31").isEqualTo(Errno.EINVAL);
            // back to blocking through F_SETFL
            sys.fcntl(p[0], Fcntl.F_SETFL, 0);
            assertThat(sys.fcntl(p[0], Fcntl.F_GETFL, 0) & OpenFlags.O_NONBLOCK).isZero();
            assertThat(sys.fcntl(p[1], Fcntl.F_GETFL, 0) & OpenFlags.O_NONBLOCK).as("the other end keeps its flags").isNotZero();
            return 0;
        }).assertOk();
    }

    /** Writers of PIPE_BUF records in several processes: every record arrives whole (pipe(7)). */
    /**
     * pipe_read (fs/pipe.c) stops at the first page copy_to_user cannot write: it returns the bytes
     * copied, EFAULT when none, and what it could not copy stays in the pipe for the next read.
     */
    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aReadIntoAPartlyInaccessibleBufferLeavesTheRestInThePipe(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            long src = Libc.alloc(sys, 8192);
            for (int i = 0; i < 8192; i++) {
                sys.storeByte(src + i, (byte) (i * 7 + i / 4096));
            }
            assertThat(sys.write(p[1], src, 8192)).isEqualTo(8192);
            long dst = sys.mmap(0, 8192, io.jocclum.api.Mman.PROT_READ | io.jocclum.api.Mman.PROT_WRITE,
                    io.jocclum.api.Mman.MAP_PRIVATE | io.jocclum.api.Mman.MAP_ANONYMOUS, -1, 0);
            sys.mprotect(dst + 4096, 4096, io.jocclum.api.Mman.PROT_READ);
            assertThat(sys.read(p[0], dst, 8192)).as("the writable first page only").isEqualTo(4096);
            assertThat(errno(() -> sys.read(p[0], dst + 4096, 4096))).isEqualTo(Errno.EFAULT);
            long rest = Libc.alloc(sys, 4096);
            assertThat(sys.read(p[0], rest, 4096)).as("the bytes that did not fit stayed in the pipe").isEqualTo(4096);
            for (int i = 0; i < 4096; i++) {
                assertThat(sys.loadByte(dst + i)).isEqualTo((byte) (i * 7));
                assertThat(sys.loadByte(rest + i)).isEqualTo((byte) ((i + 4096) * 7 + 1));
            }
            return 0;
        }).assertOk();
    }

    /**
     * pipe_write copies from the writer's buffer page by page into the pipe: a page that cannot be
     * read ends the write, which returns the bytes of the pages before it (EFAULT when none).
     */
    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aWriteFromAPartlyUnreadableBufferWritesTheReadablePages(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int[] p = sys.pipe();
            long src = sys.mmap(0, 8192, io.jocclum.api.Mman.PROT_READ | io.jocclum.api.Mman.PROT_WRITE,
                    io.jocclum.api.Mman.MAP_PRIVATE | io.jocclum.api.Mman.MAP_ANONYMOUS, -1, 0);
            for (int i = 0; i < 4096; i++) {
                sys.storeByte(src + i, (byte) (i * 3));
            }
            sys.mprotect(src + 4096, 4096, io.jocclum.api.Mman.PROT_NONE);
            assertThat(sys.write(p[1], src, 8192)).as("the readable first page only").isEqualTo(4096);
            assertThat(errno(() -> sys.write(p[1], src + 4096, 16))).isEqualTo(Errno.EFAULT);
            long dst = Libc.alloc(sys, 8192);
            assertThat(sys.read(p[0], dst, 8192)).as("only the first page went into the pipe").isEqualTo(4096);
            for (int i = 0; i < 4096; i++) {
                assertThat(sys.loadByte(dst + i)).isEqualTo((byte) (i * 3));
            }
            return 0;
        }).assertOk();
    }

    /** A guest thread that blocks sleeps on the host, as Occlum's waiters do: an OCALL each, shown by --stats. */
    @Test
    void aGuestThreadThatSleepsOnTheHostCostsAnOcall() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        io.jocclum.libos.boot.RunStats before = os.os.stats();
        os.run((sys, argv, envp) -> {
            sys.nanosleep(2_000_000);
            return 0;
        }).assertOk();
        io.jocclum.libos.boot.RunStats after = os.os.stats();
        long sleeps = after.hostSleeps() - before.hostSleeps();
        long wakeups = after.hostWakeups() - before.hostWakeups();
        assertThat(sleeps).as("the nanosleep slept on the host").isPositive();
        assertThat(after.count(io.jocclum.sgx.cost.CostEvent.OCALL) - before.count(io.jocclum.sgx.cost.CostEvent.OCALL))
                .as("an OCALL per sleep and per wake-up").isGreaterThanOrEqualTo(sleeps + wakeups);
        assertThat(String.join("\n", after.format())).contains("host waits: " + after.hostSleeps() + " sleeps");
    }

    @Test
    void pipeBufWritesOfSeveralWriterProcessesAreNeverInterleaved() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        int writers = 4;
        int records = 64;
        os.program("child", (sys, argv, envp) -> {
            byte id = Byte.parseByte(argv[1]);
            long b = Libc.alloc(sys, Limits.PIPE_BUF);
            sys.fillBytes(b, Limits.PIPE_BUF, id);
            for (int i = 0; i < records; i++) {
                assertThat(sys.write(1, b, Limits.PIPE_BUF)).isEqualTo(Limits.PIPE_BUF);
            }
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            // a small pipe makes the writers block and resume often
            sys.fcntl(p[0], Fcntl.F_SETPIPE_SZ, 3 * Limits.PIPE_BUF);
            List<Integer> pids = new ArrayList<>();
            for (int w = 1; w <= writers; w++) {
                pids.add(sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[1], 1)), new String[]{"child", Integer.toString(w)}, null));
            }
            sys.close(p[1]);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (;;) {
                byte[] got = read(sys, p[0], 5000); // reads that do not line up with the records
                if (got.length == 0) {
                    break;
                }
                all.write(got);
            }
            byte[] s = all.toByteArray();
            assertThat(s).hasSize(writers * records * Limits.PIPE_BUF);
            int[] per = new int[writers + 1];
            for (int r = 0; r < s.length / Limits.PIPE_BUF; r++) {
                byte id = s[r * Limits.PIPE_BUF];
                for (int i = 1; i < Limits.PIPE_BUF; i++) {
                    if (s[r * Limits.PIPE_BUF + i] != id) {
                        throw new AssertionError("record " + r + " mixes writers " + id + " and " + s[r * Limits.PIPE_BUF + i]);
                    }
                }
                per[id]++;
            }
            for (int w = 1; w <= writers; w++) {
                assertThat(per[w]).isEqualTo(records);
            }
            for (int pid : pids) {
                assertThat(sys.wait4(pid, 0).status()).isEqualTo(Wait.exited(0));
            }
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void eofComesWhenTheLastWriterAnywhereIsGone(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            write(sys, 1, "from the child".getBytes());
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_NONBLOCK);
            int dup = sys.dup(p[1]);
            int child = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[1], 1)), new String[]{"child"}, null);
            sys.close(p[1]);
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            assertThat(new String(read(sys, p[0], 100))).isEqualTo("from the child");
            assertThat(errno(() -> read(sys, p[0], 100))).as("a dup of the write end is still open").isEqualTo(Errno.EAGAIN);
            assertThat(poll(sys, p[0], Poll.POLLIN, 0)).isZero();
            write(sys, dup, "x".getBytes());
            sys.close(dup);
            assertThat(poll(sys, p[0], Poll.POLLIN, 0)).as("data left and no writer").isEqualTo(Poll.POLLIN | Poll.POLLHUP);
            assertThat(read(sys, p[0], 100)).containsExactly('x');
            assertThat(poll(sys, p[0], Poll.POLLIN, -1)).as("empty, no writer: HUP only").isEqualTo(Poll.POLLHUP);
            assertThat(read(sys, p[0], 100)).as("EOF").isEmpty();
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void writingWithoutReaderKillsWithSigpipeUnlessIgnoredOrHandled(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            int[] p = sys.pipe();
            sys.close(p[0]);
            assertThat(poll(sys, p[1], Poll.POLLOUT, 0)).as("no reader: ERR").isEqualTo(Poll.POLLOUT | Poll.POLLERR);
            switch (argv[1]) {
                case "default" -> {
                    write(sys, p[1], "doomed".getBytes());
                    return 10; // not reached: SIGPIPE's default action ends the process
                }
                case "ignore" -> {
                    sys.sigaction(Signal.SIGPIPE, SigAction.IGNORE);
                    assertThat(errno(() -> write(sys, p[1], "x".getBytes()))).isEqualTo(Errno.EPIPE);
                    return 11;
                }
                default -> {
                    AtomicInteger handled = new AtomicInteger();
                    sys.sigaction(Signal.SIGPIPE, SigAction.handler((s, sig) -> handled.incrementAndGet(), 0));
                    assertThat(errno(() -> write(sys, p[1], "x".getBytes()))).isEqualTo(Errno.EPIPE);
                    assertThat(handled).as("the handler ran once, before write returned").hasValue(1);
                    // blocked: stays pending, the write still fails with EPIPE
                    sys.sigprocmask(Signal.SIG_BLOCK, Signal.bit(Signal.SIGPIPE));
                    assertThat(errno(() -> write(sys, p[1], "y".getBytes()))).isEqualTo(Errno.EPIPE);
                    assertThat(Signal.member(sys.sigpending(), Signal.SIGPIPE)).isTrue();
                    return 12;
                }
            }
        });
        os.run((sys, argv, envp) -> {
            for (String how : List.of("default", "ignore", "handle")) {
                int c = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", how}, null);
                int st = sys.wait4(c, 0).status();
                switch (how) {
                    case "default" -> {
                        assertThat(Wait.WIFSIGNALED(st)).as("status %x", st).isTrue();
                        assertThat(Wait.WTERMSIG(st)).isEqualTo(Signal.SIGPIPE);
                    }
                    case "ignore" -> assertThat(st).isEqualTo(Wait.exited(11));
                    default -> assertThat(st).isEqualTo(Wait.exited(12));
                }
            }
            return 0;
        }).assertOk();
    }

    @Test
    void blockingReaderAndWriterInTwoProcessesMoveEveryByte() throws Exception {
        Booted os = os(Matrix.PLAIN_ON_SGX1);
        int total = 3 << 20;
        os.program("child", (sys, argv, envp) -> {
            long b = Libc.alloc(sys, 70_000);
            long sum = 0;
            long n = 0;
            byte[] tmp = new byte[70_000];
            for (;;) {
                int k = (int) sys.read(0, b, 70_000);
                if (k == 0) {
                    break;
                }
                sys.loadBytes(b, tmp, 0, k);
                for (int i = 0; i < k; i++) {
                    sum += (tmp[i] & 0xFF) * ((n + i) % 251 + 1);
                }
                n += k;
            }
            Libc.puts(sys, n + " " + sum);
            return 0;
        });
        Booted.Result r = os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int c = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[0], 0)), new String[]{"child"}, null);
            sys.close(p[0]);
            byte[] data = new byte[total];
            new java.util.SplittableRandom(5).nextBytes(data);
            long sum = 0;
            for (int i = 0; i < total; i++) {
                sum += (data[i] & 0xFF) * (i % 251 + 1);
            }
            // blocking writes larger than the pipe complete fully
            long b = Libc.alloc(sys, total);
            sys.storeBytes(b, data, 0, total);
            assertThat(sys.write(p[1], b, 1 << 20)).isEqualTo(1 << 20);
            assertThat(sys.write(p[1], b + (1 << 20), total - (1 << 20))).isEqualTo(total - (1 << 20));
            sys.close(p[1]);
            assertThat(sys.wait4(c, 0).status()).isEqualTo(Wait.exited(0));
            Libc.puts(sys, "expected " + total + " " + sum);
            return 0;
        }).assertOk();
        String[] lines = r.out().split("\n");
        assertThat(lines).hasSize(2);
        assertThat("expected " + lines[0]).isEqualTo(lines[1]);
    }
}
