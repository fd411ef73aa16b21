package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.SockAddrUn;
import io.jocclum.api.Socket;
import io.jocclum.api.Ucred;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.support.FileLayerTest;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.Seeds;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * AF_UNIX sockets below the syscall façade: the socket's invariant checker, and seeded
 * concurrent runs (a stream with descriptors in flight between two threads, several datagram
 * senders against one receiver's queue limit) that a lost wake-up, a lost or reordered byte or a
 * leaked in-flight reference would fail.
 */
class UnixSocketTest extends FileLayerTest {
    private final UnixSockets unix = new UnixSockets();
    private static final Ucred ME = new Ucred(1, 0, 0);

    private UnixSocketFile file(Caller c, int fd) {
        return (UnixSocketFile) c.files().get(fd);
    }

    @Test
    void theCheckerFiresOnAWaiterLeftAndOnWrongQueueCounters() throws Exception {
        int[] sv = unix.socketpair(c, Socket.AF_UNIX, Socket.SOCK_STREAM, 0, ME);
        UnixSocketFile b = file(c, sv[1]);
        Caller reader = thread(c, new TestSignals());
        Thread t = Thread.ofVirtual().start(() -> b.recv(reader, ByteBuffer.allocate(10), 0, new UnixSocketFile.Received()));
        Quiesce.until(() -> {
            try {
                b.checkInvariants(true);
                return false;
            } catch (IllegalStateException e) {
                return e.getMessage().contains("waiters left");
            }
        }, "the blocked reader seen by the checker");
        file(c, sv[0]).send(c, ByteBuffer.wrap(new byte[3]), 0, new UnixSocketFile.Rights(null), null);
        Quiesce.join(t);
        b.checkInvariants(true);

        file(c, sv[0]).send(c, ByteBuffer.wrap(new byte[5]), 0, new UnixSocketFile.Rights(null), null);
        var f = UnixSocketFile.class.getDeclaredField("queuedBytes");
        f.setAccessible(true);
        f.setInt(b, 4);
        assertThatThrownBy(() -> b.checkInvariants(false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("counters say 4");
        f.setInt(b, 5);
        b.checkInvariants(true);
    }

    @Test
    void aSeededStreamWithDescriptorsInFlightArrivesWholeAndReleasesEveryReference() throws Exception {
        long seed = Seeds.seed("UnixSocketTest.stream");
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] sv = unix.socketpair(c, Socket.AF_UNIX, Socket.SOCK_STREAM, 0, ME);
        int[] p = pipes.pipe(c);
        OpenFile passed = c.files().get(p[1]);
        UnixSocketFile a = file(c, sv[0]);
        UnixSocketFile b = file(c, sv[1]);
        int total = 1 << 21;
        byte[] data = new byte[total];
        rnd.nextBytes(data);
        long writerSeed = rnd.nextLong();
        long readerSeed = rnd.nextLong();
        Caller writer = thread(c, new TestSignals());
        Caller reader = thread(c, new TestSignals());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] sentRights = new int[1];
        Thread w = Thread.ofVirtual().start(() -> {
            try {
                SplittableRandom r = new SplittableRandom(writerSeed);
                int off = 0;
                while (off < total) {
                    int n = Math.min(total - off, 1 + r.nextInt(100_000));
                    List<OpenFile> rights = null;
                    if (r.nextInt(8) == 0) {
                        passed.retain();
                        rights = new ArrayList<>(List.of(passed));
                        sentRights[0]++;
                    }
                    UnixSocketFile.Rights rs = new UnixSocketFile.Rights(rights);
                    ByteBuffer src = ByteBuffer.wrap(data, off, n);
                    int sent = a.send(writer, src, 0, rs, null);
                    UnixSockets.drop(rs.files);
                    off += sent;
                }
                a.shutdown(Socket.SHUT_WR);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int receivedRights = 0;
        SplittableRandom r = new SplittableRandom(readerSeed);
        for (;;) {
            ByteBuffer dst = ByteBuffer.allocate(1 + r.nextInt(70_000));
            UnixSocketFile.Received rec = new UnixSocketFile.Received();
            int n = b.recv(reader, dst, 0, rec);
            if (rec.rights != null) {
                receivedRights += rec.rights.size();
                assertThat(rec.rights).containsOnly(passed);
                UnixSockets.drop(rec.rights);
            }
            if (n == 0) {
                break;
            }
            got.write(dst.array(), 0, n);
        }
        Quiesce.join(w);
        assertThat(failure.get()).as("seed " + seed).isNull();
        assertThat(got.toByteArray()).as("seed " + seed).isEqualTo(data);
        assertThat(receivedRights).as("seed " + seed).isEqualTo(sentRights[0]);
        assertThat(passed.refCount()).as("only the descriptor's own reference is left").isEqualTo(1);
    }

    @Test
    void seededDatagramSendersNeverLoseAWakeUpAgainstTheQueueLimit() throws Exception {
        long seed = Seeds.seed("UnixSocketTest.datagrams");
        SplittableRandom rnd = new SplittableRandom(seed);
        int rfd = unix.socket(c, Socket.SOCK_DGRAM, 0, ME);
        SockAddrUn name = SockAddrUn.abstractName("sink");
        unix.bind(c, vfs, rfd, name);
        UnixSocketFile sink = file(c, rfd);
        int senders = 3;
        int each = 400;
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int s = 0; s < senders; s++) {
            int id = s;
            long sseed = rnd.nextLong();
            Caller t = thread(c, new TestSignals());
            int fd = unix.socket(c, Socket.SOCK_DGRAM, 0, ME);
            UnixSocketFile sock = file(c, fd);
            UnixSocketFile target = sink;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    SplittableRandom r = new SplittableRandom(sseed);
                    for (int i = 0; i < each; i++) {
                        byte[] d = new byte[2 + r.nextInt(3000)];
                        d[0] = (byte) id;
                        d[1] = (byte) i;
                        sock.send(t, ByteBuffer.wrap(d), 0, new UnixSocketFile.Rights(null), target);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        int[] next = new int[senders];
        for (int k = 0; k < senders * each; k++) {
            ByteBuffer dst = ByteBuffer.allocate(4096);
            UnixSocketFile.Received rec = new UnixSocketFile.Received();
            sink.recv(c, dst, 0, rec);
            int id = dst.get(0);
            assertThat(dst.get(1)).as("sender %d's datagrams in order (seed %d)", id, seed).isEqualTo((byte) next[id]);
            next[id]++;
        }
        for (Thread t : threads) {
            Quiesce.join(t);
        }
        assertThat(failure.get()).as("seed " + seed).isNull();
        assertThat(next).containsOnly(each);
        assertThat(errnoOf(() -> sink.recv(c, ByteBuffer.allocate(10), Socket.MSG_DONTWAIT, new UnixSocketFile.Received())))
                .isEqualTo(Errno.EAGAIN);
    }

    private static Errno errnoOf(Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        return null;
    }
}
