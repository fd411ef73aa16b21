package io.jocclum.libos.epoll;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.OpenFlags;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jocclum.api.Epoll.EPOLLERR;
import static io.jocclum.api.Epoll.EPOLLET;
import static io.jocclum.api.Epoll.EPOLLEXCLUSIVE;
import static io.jocclum.api.Epoll.EPOLLHUP;
import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLLONESHOT;
import static io.jocclum.api.Epoll.EPOLLOUT;
import static io.jocclum.api.Epoll.EPOLLPRI;
import static io.jocclum.api.Epoll.EPOLLRDHUP;
import static io.jocclum.api.Epoll.EPOLLWAKEUP;
import static io.jocclum.api.Epoll.EPOLL_CTL_ADD;
import static io.jocclum.api.Epoll.EPOLL_CTL_DEL;
import static io.jocclum.api.Epoll.EPOLL_CTL_MOD;
import static org.assertj.core.api.Assertions.assertThat;

/** epoll_create/epoll_ctl conformance: LTP epoll_create*, epoll_ctl01–05, and Linux's check order. */
class EpollCtlTest extends EpollTesting {

    @Test
    void epollCreateArguments() {
        assertThat(errno(() -> epolls.epollCreate(c, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollCreate(c, -1))).isEqualTo(Errno.EINVAL);
        assertThat(epolls.epollCreate(c, 1)).isNotNegative();
        assertThat(errno(() -> epolls.epollCreate1(c, OpenFlags.O_NONBLOCK))).isEqualTo(Errno.EINVAL);
        int ep = epolls.epollCreate1(c, Epoll.EPOLL_CLOEXEC);
        assertThat(io.jocclum.libos.fs.FileCalls.fcntl(c, ep, Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
    }

    /** LTP epoll_ctl01: ADD, MOD and DEL change what epoll_wait reports. */
    @Test
    void epoll_ctl01_addModDel() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 1);
        add(ep, p[1], EPOLLOUT, 2);
        EpollEvents ev = poll(ep, 4);
        assertThat(ev.toList(1)).containsExactly(new EpollEvent(EPOLLOUT, 2));
        write(p[1], 10);
        assertThat(count(ep)).isEqualTo(2);
        mod(ep, p[1], EPOLLIN, 3); // the write end never becomes readable
        assertThat(poll(ep, 4).toList(1)).containsExactly(new EpollEvent(EPOLLIN, 1));
        del(ep, p[0]);
        assertThat(count(ep)).isZero();
        assertThat(epollFile(ep).size()).isEqualTo(1);
    }

    /** LTP epoll_ctl02: the error cases. */
    @Test
    void epoll_ctl02_errnos() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        int file = vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY, 0);
        int dir = vfs.open(c, "/etc", OpenFlags.O_RDONLY, 0);
        EpollEvent in = new EpollEvent(EPOLLIN, 0);
        assertThat(errno(() -> epolls.epollCtl(c, 99, EPOLL_CTL_ADD, p[0], in))).as("bad epfd").isEqualTo(Errno.EBADF);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, 99, in))).as("bad fd").isEqualTo(Errno.EBADF);
        assertThat(errno(() -> epolls.epollCtl(c, p[1], EPOLL_CTL_ADD, p[0], in))).as("epfd not an epoll").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, ep, in))).as("epfd == fd").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollCtl(c, ep, 7, p[0], in))).as("unknown op").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, file, in))).as("regular file").isEqualTo(Errno.EPERM);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, dir, in))).as("directory").isEqualTo(Errno.EPERM);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, p[0], null))).as("no event").isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_MOD, p[0], in))).as("MOD absent").isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_DEL, p[0], null))).as("DEL absent").isEqualTo(Errno.ENOENT);
        epolls.epollCtl(c, ep, EPOLL_CTL_ADD, p[0], in);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, p[0], in))).as("twice").isEqualTo(Errno.EEXIST);
        epolls.epollCtl(c, ep, EPOLL_CTL_DEL, p[0], null); // DEL ignores the event pointer
    }

    /** Linux checks in this order: EFAULT, EBADF(epfd), EBADF(fd), EPERM, EINVAL, EXCLUSIVE, ELOOP, EEXIST/ENOENT. */
    @Test
    void checksHappenInLinuxOrder() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        int file = vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY, 0);
        EpollEvent in = new EpollEvent(EPOLLIN, 0);
        assertThat(errno(() -> epolls.epollCtl(c, 99, 42, 98, null))).as("EFAULT before all, even for an unknown op").isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> epolls.epollCtl(c, 99, EPOLL_CTL_ADD, file, in))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> epolls.epollCtl(c, p[0], EPOLL_CTL_ADD, file, in))).as("EPERM before 'not an epoll'").isEqualTo(Errno.EPERM);
        assertThat(errno(() -> epolls.epollCtl(c, ep, 42, file, in))).as("EPERM before the unknown op").isEqualTo(Errno.EPERM);
        int dupEp = io.jocclum.libos.fs.FileCalls.dup(c, ep);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_ADD, dupEp, in))).as("a dup of itself is itself").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> epolls.epollCtl(c, ep, EPOLL_CTL_MOD, p[0], new EpollEvent(EPOLLIN | EPOLLEXCLUSIVE, 0))))
                .as("EXCLUSIVE rules before ENOENT").isEqualTo(Errno.EINVAL);
        int e1 = epoll();
        int e2 = epoll();
        add(e1, e2, EPOLLIN, 0);
        assertThat(errno(() -> add(e2, e1, EPOLLIN, 0))).as("a loop").isEqualTo(Errno.ELOOP);
        assertThat(errno(() -> add(e1, e2, EPOLLIN, 0))).as("no loop: then EEXIST").isEqualTo(Errno.EEXIST);
    }

    /** LTP epoll_ctl03: every combination of ordinary event bits and flags is accepted. */
    @Test
    void epoll_ctl03_allEventCombinationsAreAccepted() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        int[] bits = {EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLRDHUP, EPOLLET, EPOLLONESHOT, EPOLLWAKEUP, Epoll.EPOLLRDNORM,
                      Epoll.EPOLLWRNORM};
        for (int mask = 0; mask < (1 << bits.length); mask++) {
            int events = 0;
            for (int i = 0; i < bits.length; i++) {
                if ((mask & (1 << i)) != 0) {
                    events |= bits[i];
                }
            }
            add(ep, p[0], events, mask);
            del(ep, p[0]);
        }
        assertThat(epollFile(ep).size()).isZero();
    }

    /** LTP epoll_ctl04: at most 5 levels of epolls above a file; the 6th gives ELOOP (EINVAL before Linux 6.16). */
    @Test
    void epoll_ctl04_nestingDepthLimit() {
        int[] p = pipes.pipe(c);
        List<Integer> chain = new ArrayList<>();
        int prev = epoll();
        add(prev, p[0], EPOLLIN, 0);
        chain.add(prev);
        for (int level = 2; level <= 5; level++) {
            int next = epoll();
            add(next, prev, EPOLLIN, level);
            chain.add(next);
            prev = next;
        }
        int sixth = epoll();
        final int top = prev;
        assertThat(errno(() -> add(sixth, top, EPOLLIN, 6))).isEqualTo(Errno.ELOOP);
        // the depth counts from above too: put an epoll under the bottom of a 5-deep chain
        int leafHolder = epoll();
        int leaf = epoll();
        add(leafHolder, leaf, EPOLLIN, 0);
        assertThat(errno(() -> add(chain.get(0), leafHolder, EPOLLIN, 0))).as("4 above + this + 2 below").isEqualTo(Errno.ELOOP);
        assertThat(errno(() -> add(chain.get(1), leaf, EPOLLIN, 0))).as("a leaf epoll at depth 5 is fine").isNull();
        // readiness still propagates through all five levels
        write(p[1], 1);
        assertThat(count(top)).isEqualTo(1);
    }

    /** LTP epoll_ctl05: loops of any length give ELOOP. */
    @Test
    void epoll_ctl05_loopsAreRefused() {
        int a = epoll();
        int b = epoll();
        int d = epoll();
        add(a, b, EPOLLIN, 0);
        add(b, d, EPOLLIN, 0);
        assertThat(errno(() -> add(d, a, EPOLLIN, 0))).isEqualTo(Errno.ELOOP);
        assertThat(errno(() -> add(d, b, EPOLLIN, 0))).isEqualTo(Errno.ELOOP);
        assertThat(errno(() -> add(a, d, EPOLLIN, 0))).as("a diamond is not a loop").isNull();
    }

    @Test
    void epollExclusiveRules() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        int inner = epoll();
        assertThat(errno(() -> add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> add(ep, p[0], EPOLLPRI | EPOLLEXCLUSIVE, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> add(ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 0))).as("epoll target").isEqualTo(Errno.EINVAL);
        add(ep, p[0], EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET | EPOLLWAKEUP | EPOLLEXCLUSIVE, 0);
        assertThat(errno(() -> mod(ep, p[0], EPOLLIN, 0))).as("no MOD of an exclusive item").isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0))).isEqualTo(Errno.EINVAL);
        del(ep, p[0]);
    }

    @Test
    void errAndHupAreAlwaysMonitoredAndDataIsTheLatest() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[1], EPOLLIN, 5); // the write end never has IN
        add(ep, p[0], EPOLLOUT, 6); // the read end never has OUT
        assertThat(count(ep)).isZero();
        mod(ep, p[1], EPOLLIN, 7);
        io.jocclum.libos.fs.FileCalls.close(c, p[0]);
        assertThat(poll(ep, 2).toList(1)).containsExactly(new EpollEvent(EPOLLERR, 7));
        int[] q = pipes.pipe(c);
        add(ep, q[0], EPOLLOUT, 8);
        io.jocclum.libos.fs.FileCalls.close(c, q[1]);
        assertThat(poll(ep, 2).toList(2)).contains(new EpollEvent(EPOLLHUP, 8));
    }

    /** Lock hygiene: an epoll mutex left held fails the quiescent check. */
    @Test
    void aLeakedEpollMutexFailsTheQuiescentCheck() {
        int ep = epolls.epollCreate1(c, 0);
        EpollFile f = (EpollFile) c.files().get(ep);
        f.mtx.lock();
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.jocclum.libos.fs.FileInvariants.check(tables(), true))
                    .hasMessage(f + ": epoll mutex still held after quiescence");
        } finally {
            f.mtx.unlock();
        }
    }
}
