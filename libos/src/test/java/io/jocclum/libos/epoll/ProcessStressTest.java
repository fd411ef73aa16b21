package io.jocclum.libos.epoll;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.fs.SpawnFileAction;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLOUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many "processes" (fd tables made by spawn with file actions) and pipes: a parent drives 128
 * children through one epoll (non-blocking writes to their stdin, reads from their stdout), and a
 * pipeline of processes copies a stream with blocking I/O. Checks every byte and, through the
 * invariant checker, every reference and registration afterwards.
 */
class ProcessStressTest extends EpollTesting {

    /** A child: copies stdin to stdout until EOF, then exits (closes its table). */
    private Thread cat(FdTable table, String name) {
        Caller kid = process(table);
        return vthread(name, () -> {
            ByteBuffer b = ByteBuffer.allocate(3000 + name.length() * 1000);
            for (;;) {
                b.clear();
                int n = FileCalls.read(kid, 0, b);
                if (n == 0) {
                    break;
                }
                b.flip();
                while (b.hasRemaining()) {
                    FileCalls.write(kid, 1, b);
                }
            }
            kid.files().closeAll();
        });
    }

    @Test
    void parentDrivesManyChildrenThroughOneEpoll() {
        long seed = Seeds.seed("ProcessStressTest.epoll");
        SplittableRandom rnd = new SplittableRandom(seed);
        int children = 128;
        int ep = epoll();
        Map<Integer, ByteBuffer> toSend = new HashMap<>();
        Map<Integer, byte[]> expected = new HashMap<>();
        Map<Integer, ByteBuffer> received = new HashMap<>();
        List<Thread> kids = new ArrayList<>();
        for (int k = 0; k < children; k++) {
            int[] in = pipes.pipe2(c, OpenFlags.O_CLOEXEC);
            int[] out = pipes.pipe2(c, OpenFlags.O_CLOEXEC);
            FdTable child = c.files().spawnChild(List.of(
                    new SpawnFileAction.Dup2(in[0], 0),
                    new SpawnFileAction.Dup2(out[1], 1)), vfs.opener(c));
            kids.add(cat(child, "child-" + k));
            FileCalls.close(c, in[0]);
            FileCalls.close(c, out[1]);
            FileCalls.fcntl(c, in[1], io.jocclum.api.Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
            FileCalls.fcntl(c, out[0], io.jocclum.api.Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
            byte[] data = new byte[rnd.nextInt(100_000)];
            rnd.nextBytes(data);
            toSend.put(in[1], ByteBuffer.wrap(data));
            expected.put(out[0], data);
            received.put(out[0], ByteBuffer.allocate(data.length));
            add(ep, in[1], EPOLLOUT, in[1]);
            add(ep, out[0], EPOLLIN, out[0]);
        }
        EpollEvents ev = new EpollEvents(16);
        int open = 2 * children;
        ByteBuffer scratch = ByteBuffer.allocate(1);
        while (open > 0) {
            int n = epolls.epollWait(c, ep, ev, 16, -1);
            for (int i = 0; i < n; i++) {
                int fd = (int) ev.data(i);
                if (toSend.containsKey(fd)) {
                    ByteBuffer b = toSend.get(fd);
                    try {
                        FileCalls.write(c, fd, b);
                    } catch (ErrnoException e) {
                        assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                    }
                    if (!b.hasRemaining()) {
                        toSend.remove(fd);
                        FileCalls.close(c, fd); // the child sees EOF; the registration goes with the file
                        open--;
                    }
                } else if (received.containsKey(fd)) {
                    ByteBuffer r = received.get(fd);
                    int got;
                    try {
                        got = FileCalls.read(c, fd, r.hasRemaining() ? r : scratch);
                    } catch (ErrnoException e) {
                        assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                        continue;
                    }
                    if (got == 0) {
                        assertThat(r.array()).as("seed %d fd %d", seed, fd).isEqualTo(expected.get(fd));
                        received.remove(fd);
                        FileCalls.close(c, fd);
                        open--;
                    } else {
                        assertThat(r.position()).as("no more than sent").isLessThanOrEqualTo(expected.get(fd).length);
                    }
                }
            }
        }
        kids.forEach(Quiesce::join);
        assertThat(epollFile(ep).size()).isZero();
        assertThat(received).isEmpty();
    }

    @Test
    void pipelineOfProcessesCopiesAStream() {
        long seed = Seeds.seed("ProcessStressTest.pipeline");
        SplittableRandom rnd = new SplittableRandom(seed);
        int stages = 8;
        int[] first = pipes.pipe2(c, OpenFlags.O_CLOEXEC);
        int prevRead = first[0];
        List<Thread> kids = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            int[] next = pipes.pipe2(c, OpenFlags.O_CLOEXEC);
            FdTable child = c.files().spawnChild(List.of(
                    new SpawnFileAction.Dup2(prevRead, 0),
                    new SpawnFileAction.Dup2(next[1], 1)), vfs.opener(c));
            kids.add(cat(child, "stage-" + s));
            FileCalls.close(c, prevRead);
            FileCalls.close(c, next[1]);
            prevRead = next[0];
        }
        byte[] data = new byte[1 << 20];
        rnd.nextBytes(data);
        final int writeEnd = first[1];
        Caller writer = thread(c, new io.jocclum.libos.support.TestSignals());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread w = vthread("source", () -> {
            try {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ByteBuffer chunk = b.slice(b.position(), Math.min(b.remaining(), 1 + rnd.nextInt(20_000)));
                    b.position(b.position() + FileCalls.write(writer, writeEnd, chunk));
                }
                FileCalls.close(writer, writeEnd);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        ByteBuffer out = ByteBuffer.allocate(data.length);
        while (true) {
            int n = FileCalls.read(c, prevRead, out.hasRemaining() ? out : ByteBuffer.allocate(1));
            if (n == 0) {
                break;
            }
        }
        Quiesce.join(w);
        kids.forEach(Quiesce::join);
        assertThat(failure.get()).isNull();
        assertThat(out.array()).as("seed " + seed).isEqualTo(data);
    }
}
