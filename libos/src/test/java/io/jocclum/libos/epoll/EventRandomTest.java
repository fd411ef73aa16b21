package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.pipe.PipeEnd;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.Seeds;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.RepeatedTest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLONESHOT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random interleavings of one writer and many waiters of every kind — level- and
 * edge-triggered epoll, a nested epoll, poll, select, blocking reads, and two threads sharing an
 * epoll with EPOLLONESHOT re-arming — over pipes. Checks against a reference model (each pipe's
 * byte stream) that no byte and no event is lost, and at random checkpoints that no waiter
 * sleeps while its pipe holds data: everyone must reach "parked with every pipe empty".
 */
class EventRandomTest extends EpollTesting {

    enum Mode { EPOLL_LT, EPOLL_ET, NESTED, POLL, SELECT, BLOCKING, SHARED_ONESHOT }

    private static byte expected(int pipe, long index) {
        return (byte) (index * 7 + pipe * 13);
    }

    @RepeatedTest(5)
    void noEventLostAndNoWaiterSleepsPastReadiness() {
        long seed = Seeds.seed("EventRandomTest");
        SplittableRandom rnd = new SplittableRandom(seed);
        Mode[] modes = Mode.values();
        int nPipes = 12;
        int[][] p = new int[nPipes][];
        Mode[] modeOf = new Mode[nPipes];
        AtomicLong[] consumed = new AtomicLong[nPipes];
        long[] produced = new long[nPipes];
        List<Thread> consumers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < nPipes; i++) {
            modeOf[i] = i < modes.length ? modes[i] : modes[rnd.nextInt(modes.length)];
            p[i] = pipes.pipe(c);
            consumed[i] = new AtomicLong();
            if (modeOf[i] != Mode.BLOCKING) {
                FileCalls.fcntl(c, p[i][0], io.jocclum.api.Fcntl.F_SETFL, OpenFlags.O_NONBLOCK);
            }
        }
        // the shared-epoll group: every SHARED_ONESHOT pipe in one epoll served by two threads
        int shared = epoll();
        for (int i = 0; i < nPipes; i++) {
            final int idx = i;
            Caller t = thread(c, new TestSignals());
            long threadSeed = rnd.nextLong();
            switch (modeOf[i]) {
                case SHARED_ONESHOT -> add(shared, p[i][0], EPOLLIN | EPOLLONESHOT, i);
                default -> consumers.add(vthread("consumer-" + i + "-" + modeOf[i],
                        guard(failure, () -> consume(t, idx, p[idx][0], modeOf[idx], consumed[idx], threadSeed))));
            }
        }
        boolean anyShared = java.util.Arrays.stream(modeOf).anyMatch(m -> m == Mode.SHARED_ONESHOT);
        AtomicLong eofs = new AtomicLong();
        long sharedCount = java.util.Arrays.stream(modeOf).filter(m -> m == Mode.SHARED_ONESHOT).count();
        if (anyShared) {
            for (int k = 0; k < 2; k++) {
                Caller t = thread(c, new TestSignals());
                consumers.add(vthread("shared-" + k, guard(failure,
                        () -> sharedConsumer(t, shared, p, consumed, eofs, sharedCount))));
            }
        }
        int steps = 1500;
        for (int s = 0; s < steps; s++) {
            int i = rnd.nextInt(nPipes);
            int size = switch (rnd.nextInt(4)) {
                case 0 -> 1 + rnd.nextInt(16);
                case 1 -> 1 + rnd.nextInt(4096);
                case 2 -> 4096;
                default -> 4097 + rnd.nextInt(90_000);
            };
            ByteBuffer b = ByteBuffer.allocate(size);
            for (int k = 0; k < size; k++) {
                b.put(k, expected(i, produced[i] + k));
            }
            while (b.hasRemaining()) {
                FileCalls.write(c, p[i][1], b);
            }
            produced[i] += size;
            if (rnd.nextInt(10) == 0) {
                checkpoint(p, consumers, failure, seed);
            }
        }
        checkpoint(p, consumers, failure, seed);
        for (int i = 0; i < nPipes; i++) {
            FileCalls.close(c, p[i][1]);
        }
        consumers.forEach(Quiesce::join);
        assertThat(failure.get()).as("seed " + seed).isNull();
        for (int i = 0; i < nPipes; i++) {
            assertThat(consumed[i].get()).as("seed %d pipe %d (%s)", seed, i, modeOf[i]).isEqualTo(produced[i]);
        }
    }

    /** Everyone parked and every pipe empty; a waiter asleep on a non-empty pipe never lets this hold. */
    private void checkpoint(int[][] p, List<Thread> consumers, AtomicReference<Throwable> failure, long seed) {
        Quiesce.until(() -> failure.get() != null || consumers.stream().allMatch(Quiesce::parked)
                && java.util.Arrays.stream(p).allMatch(x -> ((PipeEnd) c.files().get(x[1])).pipe().available() == 0),
                "quiescence with every pipe drained (seed " + seed + ")", 50_000_000L);
        assertThat(failure.get()).as("seed " + seed).isNull();
    }

    private static Runnable guard(AtomicReference<Throwable> failure, Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
    }

    private void consume(Caller t, int idx, int fd, Mode mode, AtomicLong consumed, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocate(1 + rnd.nextInt(70_000));
        int ep = -1;
        int outer = -1;
        switch (mode) {
            case EPOLL_LT -> {
                ep = epolls.epollCreate1(t, 0);
                add(t, ep, fd, EPOLLIN, idx);
            }
            case EPOLL_ET -> {
                ep = epolls.epollCreate1(t, 0);
                add(t, ep, fd, EPOLLIN | EPOLLET, idx);
            }
            case NESTED -> {
                int inner = epolls.epollCreate1(t, 0);
                add(t, inner, fd, EPOLLIN, idx);
                outer = epolls.epollCreate1(t, 0);
                add(t, outer, inner, EPOLLIN | EPOLLET, idx);
                ep = outer;
            }
            default -> {
            }
        }
        EpollEvents ev = new EpollEvents(1);
        for (;;) {
            switch (mode) {
                case EPOLL_LT, EPOLL_ET, NESTED -> {
                    int n = epolls.epollWait(t, ep, ev, 1, -1);
                    if (n != 1 || ev.data(0) != idx) {
                        throw new AssertionError("epoll_wait returned " + n + " data " + ev.data(0));
                    }
                }
                case POLL -> {
                    int[] rev = new int[1];
                    PollCalls.poll(t, 1, new int[] {fd}, new int[] {Poll.POLLIN}, rev, -1);
                }
                case SELECT -> {
                    long[] set = new long[fd / 64 + 1];
                    set[fd / 64] = 1L << (fd % 64);
                    PollCalls.select(t, fd + 1, set, null, null, -1);
                }
                default -> {
                }
            }
            if (Thread.currentThread().isVirtual() && rnd.nextInt(4) == 0) {
                Thread.yield();
            }
            // drain: until EAGAIN (edge-triggered needs it) or EOF
            for (;;) {
                buf.clear();
                int n;
                try {
                    n = FileCalls.read(t, fd, buf);
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EAGAIN) {
                        throw e;
                    }
                    break;
                }
                if (n == 0) {
                    if (ep >= 0) {
                        FileCalls.close(t, ep);
                    }
                    return;
                }
                verify(idx, buf, n, consumed);
                if (mode == Mode.BLOCKING || mode == Mode.EPOLL_LT && rnd.nextBoolean()) {
                    break; // level-triggered may leave data: it will be reported again
                }
            }
        }
    }

    private void sharedConsumer(Caller t, int ep, int[][] p, AtomicLong[] consumed, AtomicLong eofs, long total) {
        EpollEvents ev = new EpollEvents(2);
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (eofs.get() < total) {
            int n = epolls.epollWait(t, ep, ev, 2, -1);
            for (int k = 0; k < n; k++) {
                int idx = (int) ev.data(k);
                if (idx < 0) {
                    continue; // the wake-up token sent when everything ended
                }
                int fd = p[idx][0];
                boolean eof = false;
                for (;;) {
                    buf.clear();
                    int r;
                    try {
                        r = FileCalls.read(t, fd, buf);
                    } catch (ErrnoException e) {
                        break;
                    }
                    if (r == 0) {
                        eof = true;
                        break;
                    }
                    verify(idx, buf, r, consumed[idx]);
                }
                if (eof) {
                    if (eofs.incrementAndGet() == total) {
                        // wake the other shared thread: one more readable file in the epoll
                        int[] token = pipes.pipe(t);
                        epolls.epollCtl(t, ep, io.jocclum.api.Epoll.EPOLL_CTL_ADD, token[0], new EpollEvent(EPOLLIN, -1));
                        FileCalls.close(t, token[1]);
                    }
                } else {
                    // re-arm: one thread at a time handles a file
                    epolls.epollCtl(t, ep, io.jocclum.api.Epoll.EPOLL_CTL_MOD, fd, new EpollEvent(EPOLLIN | EPOLLONESHOT, idx));
                }
            }
        }
    }

    private static void verify(int idx, ByteBuffer buf, int n, AtomicLong consumed) {
        long base = consumed.get();
        for (int k = 0; k < n; k++) {
            if (buf.get(k) != expected(idx, base + k)) {
                throw new AssertionError("pipe " + idx + ": wrong byte at offset " + (base + k));
            }
        }
        consumed.addAndGet(n);
    }
}
