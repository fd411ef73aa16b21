package io.jocclum.libos.epoll;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Poll;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.support.Quiesce;
import io.jocclum.libos.support.TestSignals;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** poll(2) and select(2) rules on the event core (LTP poll01/02, select01–04 style cases). */
class PollSelectTest extends EpollTesting {

    /** Occlum W16: NVAL is reported together with the other ready entries; negative fds are ignored. */
    @Test
    void pollReportsNvalAlongsideOtherReadyEntries() {
        int[] p = pipes.pipe(c);
        int[] fds = {p[1], 55, -1, p[0]};
        int[] events = {Poll.POLLOUT, Poll.POLLIN, Poll.POLLIN, Poll.POLLIN};
        int[] rev = {9, 9, 9, 9};
        assertThat(PollCalls.poll(c, 4, fds, events, rev, 0)).isEqualTo(2);
        assertThat(rev).containsExactly(Poll.POLLOUT, Poll.POLLNVAL, 0, 0);
    }

    @Test
    void pollAlwaysReportsErrAndHupAndOnlyRequestedBits() {
        int[] p = pipes.pipe(c);
        FileCalls.write(c, p[1], bytes("x"));
        FileCalls.close(c, p[1]);
        int[] rev = new int[1];
        assertThat(PollCalls.poll(c, 1, new int[] {p[0]}, new int[] {Poll.POLLPRI}, rev, 0)).isEqualTo(1);
        assertThat(rev[0]).as("HUP without asking, no IN").isEqualTo(Poll.POLLHUP);
        PollCalls.poll(c, 1, new int[] {p[0]}, new int[] {Poll.POLLRDNORM}, rev, 0);
        assertThat(rev[0]).isEqualTo(Poll.POLLRDNORM | Poll.POLLHUP);
        int file = vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY, 0);
        PollCalls.poll(c, 1, new int[] {file}, new int[] {Poll.POLLIN | Poll.POLLOUT}, rev, 0);
        assertThat(rev[0]).as("regular files are always ready").isEqualTo(Poll.POLLIN | Poll.POLLOUT);
    }

    @Test
    void pollArgumentErrors() {
        c.files().setLimit(8);
        assertThat(errno(() -> PollCalls.poll(c, 9, new int[9], new int[9], new int[9], 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> PollCalls.poll(c, 2, new int[1], new int[1], new int[1], 0))).isEqualTo(Errno.EFAULT);
        assertThat(PollCalls.poll(c, 0, new int[0], new int[0], new int[0], 0)).isZero();
    }

    @Test
    void pollBlocksUntilAWriteAndSubscribesNothingAfterwards() {
        int[] p = pipes.pipe(c);
        Caller t = thread(c, new TestSignals());
        int[] rev = new int[1];
        AtomicReference<Object> out = new AtomicReference<>();
        Thread w = vthread("poller", () -> out.set(PollCalls.poll(t, 1, new int[] {p[0]}, new int[] {Poll.POLLIN}, rev, -1)));
        Quiesce.until(() -> c.files().get(p[0]).notifier().size() == 1 && Quiesce.parked(w), "poll subscribed and parked");
        FileCalls.write(c, p[1], bytes("x"));
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(1);
        assertThat(rev[0]).isEqualTo(Poll.POLLIN);
        assertThat(c.files().get(p[0]).notifier().size()).isZero();
    }

    @Test
    void pollTimeoutAndSignal() {
        int[] p = pipes.pipe(c);
        TestSignals sig = new TestSignals();
        Caller t = thread(c, sig);
        AtomicReference<Object> out = new AtomicReference<>();
        Thread w = vthread("poller", () -> out.set(PollCalls.poll(t, 1, new int[] {p[0]}, new int[] {Poll.POLLIN}, new int[1], 50)));
        Quiesce.until(() -> clock.timedWaiters() == 1, "timed");
        clock.advanceMillis(50);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(0);
        Thread w2 = vthread("poller", () -> {
            try {
                out.set(PollCalls.ppoll(t, 1, new int[] {p[0]}, new int[] {Poll.POLLIN}, new int[1], -1, 0));
            } catch (ErrnoException e) {
                out.set(e.errno());
            }
        });
        Quiesce.until(() -> c.files().get(p[0]).notifier().size() == 1 && Quiesce.parked(w2), "parked");
        sig.deliver(15, t.waiter());
        Quiesce.join(w2);
        assertThat(out.get()).isEqualTo(Errno.EINTR);
        assertThat(sig.log).contains("restore 0 after handler");
    }

    /** Occlum W5: select on a closed descriptor is EBADF, not 0. */
    @Test
    void selectErrnos() {
        int[] p = pipes.pipe(c);
        assertThat(errno(() -> PollCalls.select(c, -1, null, null, null, 0))).isEqualTo(Errno.EINVAL);
        long[] r = {1L << 40};
        assertThat(errno(() -> PollCalls.select(c, 41, r, null, null, 0))).isEqualTo(Errno.EBADF);
        long[] far = new long[20];
        far[19] = 1L << 63; // fd 1279: beyond the 64-slot table, ignored
        assertThat(PollCalls.select(c, 1280, far, null, null, 0).ready()).isZero();
        assertThat(p[0]).isZero();
    }

    @Test
    void selectMapsReadinessToTheThreeSets() {
        int[] p = pipes.pipe(c);
        int[] q = pipes.pipe(c);
        FileCalls.write(c, p[1], bytes("x"));
        FileCalls.close(c, q[1]); // HUP counts as readable
        long[] rd = {bit(p[0]) | bit(q[0])};
        long[] wr = {bit(p[1]) | bit(p[0])};
        long[] ex = {bit(p[0])};
        SelectResult res = PollCalls.select(c, 64, rd, wr, ex, 0);
        assertThat(res.ready()).isEqualTo(3);
        assertThat(rd[0]).isEqualTo(bit(p[0]) | bit(q[0]));
        assertThat(wr[0]).isEqualTo(bit(p[1]));
        assertThat(ex[0]).isZero();
        assertThat(res.remainingNanos()).isZero();
    }

    @Test
    void selectBlocksAndWritesBackTheRemainingTime() {
        int[] p = pipes.pipe(c);
        Caller t = thread(c, new TestSignals());
        long[] rd = {bit(p[0])};
        AtomicReference<SelectResult> out = new AtomicReference<>();
        Thread w = vthread("select", () -> out.set(PollCalls.select(t, p[0] + 1, rd, null, null, 1_000_000_000L)));
        Quiesce.until(() -> clock.timedWaiters() == 1 && c.files().get(p[0]).notifier().size() == 1, "blocked");
        clock.advanceMillis(300);
        FileCalls.write(c, p[1], bytes("x"));
        Quiesce.join(w);
        assertThat(out.get().ready()).isEqualTo(1);
        assertThat(out.get().remainingNanos()).isEqualTo(700_000_000L);
        assertThat(rd[0]).isEqualTo(bit(p[0]));
    }

    @Test
    void selectWithNoDescriptorsIsASleep() {
        Caller t = thread(c, new TestSignals());
        AtomicReference<SelectResult> out = new AtomicReference<>();
        Thread w = vthread("sleep", () -> out.set(PollCalls.select(t, 0, null, null, null, 5_000_000L)));
        Quiesce.until(() -> clock.timedWaiters() == 1, "sleeping");
        clock.advanceMillis(5);
        Quiesce.join(w);
        assertThat(out.get()).isEqualTo(new SelectResult(0, 0));
    }

    private static long bit(int fd) {
        return 1L << fd;
    }
}
