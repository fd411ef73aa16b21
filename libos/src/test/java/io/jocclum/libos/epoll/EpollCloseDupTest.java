package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileCalls;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.jocclum.api.Epoll.EPOLLIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * epoll(7) close and dup semantics: a registration belongs to an (open file, fd number) pair
 * and lives until the last descriptor of the open file is closed (Occlum keys by fd number and
 * drops the registration at the first close: W8, W9; issues #1682 and ngo#48).
 */
class EpollCloseDupTest extends EpollTesting {

    @Test
    void registrationOutlivesTheClosedNumberWhileADupKeepsTheFileOpen() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 77);
        int d = FileCalls.dup(c, p[0]);
        FileCalls.close(c, p[0]);
        write(p[1], 1);
        assertThat(poll(ep, 2).toList(1)).as("still reported, with the data of the closed number's registration")
                .containsExactly(new EpollEvent(EPOLLIN, 77));
        assertThat(errno(() -> del(ep, p[0]))).as("DEL of the closed number").isEqualTo(Errno.EBADF);
        assertThat(errno(() -> del(ep, d))).as("the dup was never registered").isEqualTo(Errno.ENOENT);
        FileCalls.close(c, d);
        assertThat(epollFile(ep).size()).as("last descriptor closed: registration gone").isZero();
    }

    @Test
    void dupsRegisterSeparatelyAndDelOfOneLeavesTheOther() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        int d = FileCalls.dup(c, p[0]);
        add(ep, p[0], EPOLLIN, 1);
        add(ep, d, EPOLLIN, 2);
        write(p[1], 1);
        assertThat(poll(ep, 4).toList(2)).containsExactlyInAnyOrder(new EpollEvent(EPOLLIN, 1), new EpollEvent(EPOLLIN, 2));
        del(ep, p[0]);
        assertThat(poll(ep, 4).toList(1)).containsExactly(new EpollEvent(EPOLLIN, 2));
    }

    /** Occlum #1682 / ngo#48: a reused fd number can be added again once the old file is gone. */
    @Test
    void reusedNumberOfAFullyClosedFileCanBeAddedAgain() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 1);
        FileCalls.close(c, p[0]);
        int[] q = pipes.pipe(c);
        assertThat(q[0]).isEqualTo(p[0]);
        add(ep, q[0], EPOLLIN, 2);
        write(q[1], 1);
        assertThat(poll(ep, 2).toList(1)).containsExactly(new EpollEvent(EPOLLIN, 2));
    }

    @Test
    void numberReusedWhileTheOldFileLivesIsANewRegistration() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 1);
        int keep = FileCalls.dup(c, p[0]);
        FileCalls.close(c, p[0]);
        int[] q = pipes.pipe(c);
        assertThat(q[0]).isEqualTo(p[0]);
        add(ep, q[0], EPOLLIN, 2); // (q file, same number) is a different pair: no EEXIST
        assertThat(epollFile(ep).size()).isEqualTo(2);
        del(ep, q[0]);
        write(p[1], 1);
        assertThat(poll(ep, 2).toList(1)).containsExactly(new EpollEvent(EPOLLIN, 1));
        assertThat(keep).isPositive();
    }

    /** W9: an epoll inherited by a child is not affected by the child's closes while the parent keeps the file. */
    @Test
    void inheritedEpollAndFilesFollowOpenFilesAcrossProcesses() {
        int[] p = pipes.pipe(c);
        int ep = epoll();
        add(ep, p[0], EPOLLIN, 5);
        FdTable child = track(c.files().spawnChild(List.of(), vfs.opener(c)));
        Caller kid = process(child);
        FileCalls.close(kid, p[0]);
        write(p[1], 1);
        assertThat(epolls.epollWait(kid, ep, new EpollEvents(1), 1, 0)).as("the child's epoll copy still reports").isEqualTo(1);
        FileCalls.close(c, p[0]);
        assertThat(epollFile(ep).size()).as("every descriptor closed: gone").isZero();
    }
}
