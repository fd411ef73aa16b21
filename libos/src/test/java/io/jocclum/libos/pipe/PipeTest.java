package io.jocclum.libos.pipe;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Fcntl;
import io.jocclum.api.FileMode;
import io.jocclum.api.Ioctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Seek;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.Credentials;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.FileLayerTest;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** pipe(7) semantics; several cases follow gVisor's PipeTest and LTP pipe/pipe2 tests. */
class PipeTest extends FileLayerTest {

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        return null;
    }

    private int poll(int fd) {
        return c.files().get(fd).poll();
    }

    @Test
    void basicReadWriteAndEof() {
        int[] p = pipes.pipe(c);
        assertThat(FileCalls.write(c, p[1], bytes("abc"))).isEqualTo(3);
        ByteBuffer b = ByteBuffer.allocate(10);
        assertThat(FileCalls.read(c, p[0], b)).as("a read returns what is there, not waiting for more").isEqualTo(3);
        assertThat(FileCalls.read(c, p[0], ByteBuffer.allocate(0))).isZero();
        FileCalls.close(c, p[1]);
        assertThat(FileCalls.read(c, p[0], b)).as("EOF").isZero();
    }

    /** gVisor PipeTest.Flags / LTP pipe2_01: pipe2 flags. */
    @Test
    void pipe2FlagsAndTheirErrors() {
        int[] p = pipes.pipe2(c, OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);
        assertThat(FileCalls.fcntl(c, p[0], Fcntl.F_GETFL, 0) & (OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK))
                .isEqualTo(OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK);
        assertThat(FileCalls.fcntl(c, p[1], Fcntl.F_GETFL, 0) & (OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK))
                .isEqualTo(OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK);
        assertThat(FileCalls.fcntl(c, p[0], Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
        assertThat(errno(() -> pipes.pipe2(c, OpenFlags.O_DIRECT))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> pipes.pipe2(c, 0x1234_0000))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> FileCalls.read(c, p[0], ByteBuffer.allocate(1)))).isEqualTo(Errno.EAGAIN);
        assertThat(errno(() -> FileCalls.write(c, p[0], bytes("x")))).as("read end").isEqualTo(Errno.EBADF);
        assertThat(errno(() -> FileCalls.read(c, p[1], ByteBuffer.allocate(1)))).as("write end").isEqualTo(Errno.EBADF);
    }

    /** gVisor PipeTest.OffsetCalls: no seeking or positional I/O on pipes. */
    @Test
    void offsetCallsGiveEspipe() {
        int[] p = pipes.pipe(c);
        assertThat(errno(() -> FileCalls.lseek(c, p[0], 0, Seek.SEEK_CUR))).isEqualTo(Errno.ESPIPE);
        assertThat(errno(() -> FileCalls.pread(c, p[0], ByteBuffer.allocate(1), 0))).isEqualTo(Errno.ESPIPE);
        assertThat(errno(() -> FileCalls.pwrite(c, p[1], bytes("x"), 0))).isEqualTo(Errno.ESPIPE);
        var st = FileCalls.fstat(c, p[0]);
        assertThat(st.type()).isEqualTo(FileMode.S_IFIFO);
        assertThat(st.ino()).isEqualTo(FileCalls.fstat(c, p[1]).ino());
    }

    /** gVisor PipeTest.ReaderSideCloses: EPIPE and SIGPIPE; poll shows ERR on the write end. */
    @Test
    void writeWithoutReaderRaisesSigpipeThenEpipe() {
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        int[] p = pipes.pipe(c);
        FileCalls.close(c, p[0]);
        assertThat(errno(() -> FileCalls.write(t, p[1], bytes("x")))).isEqualTo(Errno.EPIPE);
        assertThat(sig.sigpipes).hasValue(1);
        assertThat(poll(p[1]) & IoEvents.ERR).isNotZero();
        assertThat(poll(p[1]) & IoEvents.OUT).as("still reports space").isNotZero();
        assertThat(FileCalls.write(t, p[1], ByteBuffer.allocate(0))).as("a zero-length write succeeds").isZero();
    }

    /** gVisor PipeTest.WriterSideCloses: HUP alone on an empty pipe, IN|HUP while data remains. */
    @Test
    void pollBitsFollowTheLinuxRules() {
        int[] p = pipes.pipe(c);
        assertThat(poll(p[0])).isZero();
        assertThat(poll(p[1])).isEqualTo(IoEvents.OUT | IoEvents.WRNORM);
        FileCalls.write(c, p[1], bytes("x"));
        assertThat(poll(p[0])).isEqualTo(IoEvents.IN | IoEvents.RDNORM);
        FileCalls.close(c, p[1]);
        assertThat(poll(p[0])).isEqualTo(IoEvents.IN | IoEvents.RDNORM | IoEvents.HUP);
        FileCalls.read(c, p[0], ByteBuffer.allocate(1));
        assertThat(poll(p[0])).as("empty pipe without writer: HUP only").isEqualTo(IoEvents.HUP);
        assertThat(poll(p[0]) & IoEvents.RDHUP).as("pipes never produce RDHUP").isZero();
    }

    @Test
    void fionreadReportsStoredBytesOnBothEnds() {
        int[] p = pipes.pipe(c);
        FileCalls.write(c, p[1], ByteBuffer.allocate(1234));
        ByteBuffer arg = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        FileCalls.ioctl(c, p[0], Ioctls.FIONREAD, arg);
        assertThat(arg.getInt(0)).isEqualTo(1234);
        FileCalls.ioctl(c, p[1], Ioctls.FIONREAD, arg);
        assertThat(arg.getInt(0)).isEqualTo(1234);
    }

    // ------------------------------------------------------------------ sizes

    /** gVisor PipeTest.SetPipeSize / LTP fcntl30: default 64 KiB, rounding, limits. */
    @Test
    void fGetAndSetPipeSize() {
        int[] p = pipes.pipe(c);
        assertThat(FileCalls.fcntl(c, p[0], Fcntl.F_GETPIPE_SZ, 0)).isEqualTo(65536);
        assertThat(FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 5000)).as("rounded up to a power of two").isEqualTo(8192);
        assertThat(FileCalls.fcntl(c, p[0], Fcntl.F_GETPIPE_SZ, 0)).as("either end sees it").isEqualTo(8192);
        assertThat(FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 0)).as("a page at least").isEqualTo(4096);
        assertThat(FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 1 << 20)).as("1 MiB is allowed").isEqualTo(1 << 20);
        Caller user = c.withCredentials(new Credentials(1000, 1000));
        assertThat(errno(() -> FileCalls.fcntl(user, p[1], Fcntl.F_SETPIPE_SZ, (1 << 20) + 1))).isEqualTo(Errno.EPERM);
        assertThat(FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 2 << 20)).as("privileged may exceed pipe-max-size")
                .isEqualTo(2 << 20);
        assertThat(FileCalls.fcntl(user, p[1], Fcntl.F_SETPIPE_SZ, 1 << 20)).as("shrinking is always allowed")
                .isEqualTo(1 << 20);
        assertThat(errno(() -> FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, -1))).as("above 2^31 as unsigned").isEqualTo(Errno.EINVAL);
        FileCalls.write(c, p[1], ByteBuffer.allocate(10_000));
        assertThat(errno(() -> FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 8192))).isEqualTo(Errno.EBUSY);
        assertThat(FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 16384)).isEqualTo(16384);
        ByteBuffer back = ByteBuffer.allocate(20_000);
        assertThat(FileCalls.read(c, p[0], back)).as("data survives the resize").isEqualTo(10_000);
    }

    @Test
    void resizeKeepsWrappedRingContentsInOrder() {
        int[] p = pipes.pipe2(c, OpenFlags.O_NONBLOCK);
        FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 4096);
        FileCalls.write(c, p[1], bytes(3000, 1));
        FileCalls.read(c, p[0], ByteBuffer.allocate(2500));
        ByteBuffer wrap = bytes(3000, 2);
        assertThat(FileCalls.write(c, p[1], wrap)).as("wraps around the ring end").isEqualTo(3000);
        FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 65536);
        ByteBuffer all = ByteBuffer.allocate(4000);
        assertThat(FileCalls.read(c, p[0], all)).isEqualTo(3500);
        assertThat(all.array()[0]).isEqualTo(bytes(3000, 1).get(2500));
        assertThat(all.array()[500]).isEqualTo(bytes(3000, 2).get(0));
        assertThat(all.array()[3499]).isEqualTo(bytes(3000, 2).get(2999));
    }

    // ------------------------------------------------------------------ PIPE_BUF

    @Test
    void nonBlockingWritesUpToPipeBufAreAllOrNothing() {
        int[] p = pipes.pipe2(c, OpenFlags.O_NONBLOCK);
        FileCalls.fcntl(c, p[1], Fcntl.F_SETPIPE_SZ, 8192);
        assertThat(FileCalls.write(c, p[1], ByteBuffer.allocate(5000))).isEqualTo(5000);
        // 3192 bytes free: a 4000-byte atomic write does not fit at all
        assertThat(errno(() -> FileCalls.write(c, p[1], ByteBuffer.allocate(4000)))).isEqualTo(Errno.EAGAIN);
        assertThat(FileCalls.write(c, p[1], ByteBuffer.allocate(3000))).isEqualTo(3000);
        assertThat(poll(p[1]) & IoEvents.OUT).as("less than PIPE_BUF free: not writable").isZero();
    }

    @Test
    void nonBlockingLargeWritesArePartialOrEagainWhenFull() {
        int[] p = pipes.pipe2(c, OpenFlags.O_NONBLOCK);
        assertThat(FileCalls.write(c, p[1], ByteBuffer.allocate(100_000))).isEqualTo(65536);
        assertThat(errno(() -> FileCalls.write(c, p[1], ByteBuffer.allocate(5000)))).isEqualTo(Errno.EAGAIN);
        FileCalls.read(c, p[0], ByteBuffer.allocate(10_000));
        int n = FileCalls.write(c, p[1], ByteBuffer.allocate(20_000));
        assertThat(n).isBetween(1, 19_999);
    }

    @Test
    void blockingLargeWriteCompletesFully() {
        int[] p = pipes.pipe(c);
        ByteBuffer big = bytes(300_000, 9);
        AtomicInteger written = new AtomicInteger();
        Caller w = thread(c, new TestSignals());
        Thread writer = vthread("writer", () -> written.set(FileCalls.write(w, p[1], big)));
        ByteBuffer got = ByteBuffer.allocate(300_000);
        while (got.hasRemaining()) {
            FileCalls.read(c, p[0], got);
        }
        Quiesce.join(writer);
        assertThat(written).hasValue(300_000);
        assertThat(got.array()).isEqualTo(bytes(300_000, 9).array());
    }

    /** Concurrent atomic writers: every PIPE_BUF-sized record arrives unsplit. */
    @Test
    void concurrentAtomicWritesAreNeverInterleaved() {
        int[] p = pipes.pipe(c);
        int writers = 4;
        int records = 200;
        Thread[] ts = new Thread[writers];
        for (int i = 0; i < writers; i++) {
            byte tag = (byte) ('A' + i);
            Caller w = thread(c, new TestSignals());
            ts[i] = vthread("w" + i, () -> {
                byte[] rec = new byte[4096];
                java.util.Arrays.fill(rec, tag);
                for (int r = 0; r < records; r++) {
                    assertThat(FileCalls.write(w, p[1], ByteBuffer.wrap(rec))).isEqualTo(4096);
                }
            });
        }
        ByteBuffer rec = ByteBuffer.allocate(4096);
        int[] counts = new int[writers];
        for (int r = 0; r < writers * records; r++) {
            rec.clear();
            while (rec.hasRemaining()) {
                FileCalls.read(c, p[0], rec);
            }
            byte first = rec.get(0);
            for (int i = 0; i < 4096; i++) {
                assertThat(rec.get(i)).as("record %d byte %d", r, i).isEqualTo(first);
            }
            counts[first - 'A']++;
        }
        for (Thread t : ts) {
            Quiesce.join(t);
        }
        assertThat(counts).containsOnly(records);
    }

    // ------------------------------------------------------------------ blocking and signals

    @Test
    void blockedReaderIsWokenByAWriteAndByTheLastWriterClosing() {
        int[] p = pipes.pipe(c);
        Caller r = thread(c, new TestSignals());
        AtomicInteger got = new AtomicInteger(-1);
        Thread reader = vthread("reader", () -> got.set(FileCalls.read(r, p[0], ByteBuffer.allocate(8))));
        Quiesce.until(() -> ((PipeEnd) c.files().get(p[0])).pipe().blockedReaders() == 1, "reader blocked");
        FileCalls.write(c, p[1], bytes("wake"));
        Quiesce.join(reader);
        assertThat(got).hasValue(4);
        Thread eof = vthread("eof", () -> got.set(FileCalls.read(r, p[0], ByteBuffer.allocate(8))));
        Quiesce.until(() -> ((PipeEnd) c.files().get(p[0])).pipe().blockedReaders() == 1, "reader blocked");
        FileCalls.close(c, p[1]);
        Quiesce.join(eof);
        assertThat(got).hasValue(0);
    }

    @Test
    void blockedWriterIsWokenWhenTheReaderGoesWithEpipe() {
        TestSignals sig = new TestSignals();
        Caller w = thread(c, sig);
        int[] p = pipes.pipe(c);
        FileCalls.write(c, p[1], ByteBuffer.allocate(65536));
        AtomicReference<Object> out = new AtomicReference<>();
        Thread writer = vthread("writer", () -> {
            try {
                out.set(FileCalls.write(w, p[1], ByteBuffer.allocate(10)));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> ((PipeEnd) c.files().get(p[1])).pipe().blockedWriters() == 1, "writer blocked");
        FileCalls.close(c, p[0]);
        Quiesce.join(writer);
        assertThat(out.get()).isEqualTo(Errno.EPIPE);
        assertThat(sig.sigpipes).hasValue(1);
    }

    /** A signal interrupts a blocked read (ERESTARTSYS for the façade) and a partial write returns its count. */
    @Test
    void signalsInterruptBlockedCalls() {
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        int[] p = pipes.pipe(c);
        AtomicReference<Object> out = new AtomicReference<>();
        Thread reader = vthread("reader", () -> {
            try {
                out.set(FileCalls.read(t, p[0], ByteBuffer.allocate(1)));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> ((PipeEnd) c.files().get(p[0])).pipe().blockedReaders() == 1, "reader blocked");
        sig.deliver(10, t.waiter());
        Quiesce.join(reader);
        assertThat(out.get()).isEqualTo(Errno.ERESTARTSYS);
        sig.handled();
        Thread writer = vthread("writer", () -> {
            try {
                out.set(FileCalls.write(t, p[1], ByteBuffer.allocate(100_000)));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> ((PipeEnd) c.files().get(p[1])).pipe().blockedWriters() == 1, "writer blocked");
        sig.deliver(10, t.waiter());
        Quiesce.join(writer);
        assertThat(out.get()).as("the bytes written before the signal").isEqualTo(65536);
    }

    @Test
    void nonBlockingFlagIsPerOpenFileAndSharedByDups() {
        int[] p = pipes.pipe(c);
        int d = FileCalls.dup(c, p[0]);
        FileCalls.fcntl(c, d, Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
        assertThat(errno(() -> FileCalls.read(c, p[0], ByteBuffer.allocate(1)))).isEqualTo(Errno.EAGAIN);
    }

    /** Lock hygiene: a pipe lock left held fails the quiescent check (and is found by the after-test checker). */
    @Test
    void aLeakedPipeLockFailsTheQuiescentCheck() {
        int[] p = pipes.pipe(c);
        Pipe pipe = ((PipeEnd) c.files().get(p[0])).pipe();
        pipe.lock.lock();
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.jocclum.libos.fs.FileInvariants.check(tables(), true))
                    .hasMessage("pipe " + pipe.ino + ": lock still held after quiescence");
            io.jocclum.libos.fs.FileInvariants.check(tables(), false); // a lock may be held while calls run
        } finally {
            pipe.lock.unlock();
        }
    }
}
