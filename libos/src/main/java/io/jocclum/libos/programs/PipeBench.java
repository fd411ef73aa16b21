package io.jocclum.libos.programs;

import io.jocclum.api.Clocks;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code /bin/pipebench}: pipe throughput between two processes of the LibOS, the guest-level
 * counterpart of the classic {@code write | read} pipe benchmark.
 *
 * <pre>
 * pipebench [--block SIZE] [--total SIZE]
 * </pre>
 *
 * <p>The parent makes a data pipe and a result pipe and starts a second {@code pipebench} (the
 * hidden role {@code --reader}) whose standard input is the data pipe's read end and whose
 * standard output is the result pipe's write end, both set with posix_spawn dup2 actions. The
 * parent writes TOTAL bytes in BLOCK-sized writes (pseudo-random bytes, each block stamped with
 * its number so reordering shows), closes its write end, and reads the reader's count and
 * checksum from the result pipe. The time runs on the LibOS's CLOCK_MONOTONIC from the first
 * write until the result has arrived. Output, one line:
 *
 * <pre>
 * pipebench: 1073741824 bytes in 64KB writes in 0.512 s: 1.95 GiB/s (count and checksum match)
 * </pre>
 *
 * <p>Defaults: 64KB blocks, 1GB total. Exit status 0 when the count and checksum match, 1 if not
 * (or a system call failed), 2 on a usage error.
 */
public final class PipeBench implements GuestProgram {
    static final String USAGE = "usage: pipebench [--block SIZE] [--total SIZE]";
    /** Largest block: the program's buffer is one anonymous mapping of this size. */
    static final long MAX_BLOCK = 64L << 20;
    private static final long SEED = 0x5EED_F1FE_BE4C_0001L;

    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        if (ProgramArgs.help(sys, argv, USAGE)) {
            return 0;
        }
        long block = 64 << 10;
        long total = 1L << 30;
        boolean reader = false;
        try {
            for (int i = 1; i < argv.length; i++) {
                switch (argv[i]) {
                    case "--block" -> block = ProgramArgs.size("--block", ProgramArgs.value(argv, i++));
                    case "--total" -> total = ProgramArgs.size("--total", ProgramArgs.value(argv, i++));
                    case "--reader" -> reader = true;
                    default -> throw new ProgramArgs.Usage("unknown option " + argv[i]);
                }
            }
            if (block > MAX_BLOCK) {
                throw new ProgramArgs.Usage("--block " + ProgramArgs.human(block) + " is larger than " + ProgramArgs.human(MAX_BLOCK));
            }
        } catch (ProgramArgs.Usage u) {
            Libc.println(sys, 2, "pipebench: " + u.getMessage() + "; " + USAGE);
            return 2;
        }
        try {
            return reader ? reader(sys, (int) block) : writer(sys, argv[0], (int) block, total);
        } catch (ErrnoException e) {
            Libc.println(sys, 2, "pipebench: " + e.getMessage());
            return 1;
        }
    }

    /** The parent: spawn the reader, stream, compare. */
    private static int writer(Syscalls sys, String self, int block, long total) {
        int[] data = sys.pipe2(OpenFlags.O_CLOEXEC);
        int[] result = sys.pipe2(OpenFlags.O_CLOEXEC);
        String path = self.startsWith("/") ? self : "/bin/pipebench";
        int child = sys.posixSpawn(path, List.of(SpawnAction.dup2(data[0], 0), SpawnAction.dup2(result[1], 1)),
                new String[]{"pipebench", "--reader", "--block", Integer.toString(block)}, null);
        sys.close(data[0]);
        sys.close(result[1]);

        byte[] pattern = new byte[block];
        new SplittableRandom(SEED).nextBytes(pattern);
        long buf = Libc.alloc(sys, block);
        Checksum sent = new Checksum();
        sys.storeBytes(buf, pattern, 0, block);
        long t0 = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
        long done = 0;
        for (long n = 0; done < total; n++) {
            int len = (int) Math.min(block, total - done);
            stamp(pattern, n);
            sys.storeBytes(buf, pattern, 0, Math.min(8, block)); // only the stamp changes from block to block
            Libc.writeFully(sys, data[1], buf, len);
            sent.update(pattern, 0, len);
            done += len;
        }
        sys.close(data[1]);
        String reply = Libc.readAll(sys, result[0]).strip();
        long t1 = sys.clockGettime(Clocks.CLOCK_MONOTONIC);
        sys.close(result[0]);
        Libc.free(sys, buf, block);
        Wait.Result w = sys.wait4(child, 0);
        if (!(Wait.WIFEXITED(w.status()) && Wait.WEXITSTATUS(w.status()) == 0)) {
            Libc.println(sys, 2, "pipebench: the reader failed (wait status " + w.status() + "): " + reply);
            return 1;
        }
        String expected = total + " " + sent;
        double secs = Math.max(t1 - t0, 1) / 1e9;
        String line = String.format(Locale.ROOT, "pipebench: %d bytes in %s writes in %.3f s: %.2f GiB/s", total,
                ProgramArgs.human(block), secs, total / secs / (1L << 30));
        if (!reply.equals(expected)) {
            Libc.puts(sys, line + " (MISMATCH: the reader got " + reply + ", expected " + expected + ")");
            return 1;
        }
        Libc.puts(sys, line + " (count and checksum match)");
        return 0;
    }

    /** The child: read standard input to its end; print "COUNT CHECKSUM". */
    private static int reader(Syscalls sys, int block) {
        long buf = Libc.alloc(sys, block);
        byte[] tmp = new byte[block];
        Checksum got = new Checksum();
        long count = 0;
        for (;;) {
            int n = (int) sys.read(0, buf, block);
            if (n == 0) {
                break;
            }
            sys.loadBytes(buf, tmp, 0, n);
            got.update(tmp, 0, n);
            count += n;
        }
        Libc.free(sys, buf, block);
        Libc.puts(sys, count + " " + got);
        return 0;
    }

    /** Stamps block number {@code n} into the first bytes of {@code block}. */
    private static void stamp(byte[] block, long n) {
        for (int i = 0; i < Math.min(8, block.length); i++) {
            block[i] = (byte) (n >>> (8 * i));
        }
    }

    /**
     * Fletcher-style checksum over the byte stream taken as little-endian 64-bit words (s1 = sum
     * of the words, s2 = sum of the running s1): it sees every byte and its position, whatever
     * the read boundaries, for two additions per 8 bytes.
     */
    static final class Checksum {
        private long s1;
        private long s2;
        private long partial;
        private int partialBytes;

        void update(byte[] b, int off, int len) {
            int i = off;
            int end = off + len;
            while (partialBytes != 0 && i < end) {
                partial |= (b[i++] & 0xFFL) << (8 * partialBytes);
                if (++partialBytes == 8) {
                    add(partial);
                    partial = 0;
                    partialBytes = 0;
                }
            }
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            for (; i + 8 <= end; i += 8) {
                add(bb.getLong(i));
            }
            while (i < end) {
                partial |= (b[i++] & 0xFFL) << (8 * partialBytes++);
            }
        }

        private void add(long w) {
            s1 += w;
            s2 += s1;
        }

        @Override
        public String toString() {
            long a = s1 + partial;
            long b = s2 + a + partialBytes;
            return Long.toHexString(a) + ":" + Long.toHexString(b);
        }
    }
}
