package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Ioctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.support.FileLayerTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FdTableTest extends FileLayerTest {

    private static void assertErrno(Runnable r, Errno e) {
        assertThatThrownBy(r::run).isInstanceOf(ErrnoException.class)
                .satisfies(x -> assertThat(((ErrnoException) x).errno()).isEqualTo(e));
    }

    private int open(String path) {
        return vfs.open(c, path, OpenFlags.O_RDONLY, 0);
    }

    @Test
    void allocatesTheLowestFreeDescriptor() {
        int a = open("/etc/hostname");
        int b = open("/etc/hostname");
        int d = open("/etc/hostname");
        assertThat(List.of(a, b, d)).containsExactly(0, 1, 2);
        FileCalls.close(c, b);
        assertThat(open("/etc/hostname")).isEqualTo(1);
        FileCalls.close(c, a);
        FileCalls.close(c, d);
        assertThat(open("/etc/hostname")).isEqualTo(0);
        assertThat(open("/etc/hostname")).isEqualTo(2);
    }

    @Test
    void closeOfAClosedOrNegativeDescriptorIsEbadf() {
        assertErrno(() -> FileCalls.close(c, 5), Errno.EBADF);
        assertErrno(() -> FileCalls.close(c, -1), Errno.EBADF);
        int fd = open("/etc/hostname");
        FileCalls.close(c, fd);
        assertErrno(() -> FileCalls.close(c, fd), Errno.EBADF);
    }

    @Test
    void dupSharesTheOpenFileDescriptionAndItsOffset() {
        int fd = open("/etc/hostname");
        int d = FileCalls.dup(c, fd);
        assertThat(c.files().get(d)).isSameAs(c.files().get(fd));
        assertThat(c.files().get(fd).refCount()).isEqualTo(2);
        ByteBuffer b = ByteBuffer.allocate(3);
        FileCalls.read(c, fd, b);
        assertThat(FileCalls.lseek(c, d, 0, io.jocclum.api.Seek.SEEK_CUR)).as("shared offset").isEqualTo(3);
        FileCalls.close(c, fd);
        assertThat(c.files().get(d).isReleased()).isFalse();
        assertThat(c.files().get(d).refCount()).isEqualTo(1);
    }

    @Test
    void dup2AndDup3Semantics() {
        int fd = open("/etc/hostname");
        assertThat(FileCalls.dup2(c, fd, fd)).as("dup2 onto itself returns it").isEqualTo(fd);
        assertErrno(() -> FileCalls.dup2(c, 7, 7), Errno.EBADF);
        assertErrno(() -> FileCalls.dup3(c, fd, fd, 0), Errno.EINVAL);
        assertErrno(() -> FileCalls.dup3(c, fd, 9, OpenFlags.O_NONBLOCK), Errno.EINVAL);
        assertErrno(() -> FileCalls.dup2(c, fd, -1), Errno.EBADF);
        assertErrno(() -> FileCalls.dup2(c, fd, c.files().limit()), Errno.EBADF);
        assertErrno(() -> FileCalls.dup2(c, 33, 3), Errno.EBADF);
        int other = open("/bin/hello");
        OpenFile replaced = c.files().get(other);
        assertThat(FileCalls.dup3(c, fd, other, OpenFlags.O_CLOEXEC)).isEqualTo(other);
        assertThat(replaced.isReleased()).as("dup2 silently closes the target").isTrue();
        assertThat(FileCalls.fcntl(c, other, Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_GETFD, 0)).as("dup3 flag is per descriptor").isZero();
        assertThat(FileCalls.dup2(c, fd, 200)).isEqualTo(200);
        assertThat(c.files().capacity()).as("table grew in powers of two").isEqualTo(256);
    }

    @Test
    void fDupfdTakesTheLowestAtOrAboveTheMinimum() {
        int fd = open("/etc/hostname");
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_DUPFD, 10)).isEqualTo(10);
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_DUPFD, 10)).isEqualTo(11);
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_DUPFD_CLOEXEC, 5)).isEqualTo(5);
        assertThat(c.files().isCloexec(5)).isTrue();
        assertErrno(() -> FileCalls.fcntl(c, fd, Fcntl.F_DUPFD, c.files().limit()), Errno.EINVAL);
        assertErrno(() -> FileCalls.fcntl(c, fd, Fcntl.F_DUPFD, -1), Errno.EINVAL);
        assertThat(open("/etc/hostname")).as("the hint still finds 1").isEqualTo(1);
    }

    @Test
    void rlimitNofileGivesEmfileAndNothingLeaks() {
        c.files().setLimit(4);
        for (int i = 0; i < 4; i++) {
            open("/etc/hostname");
        }
        assertErrno(() -> open("/etc/hostname"), Errno.EMFILE);
        assertErrno(() -> FileCalls.dup(c, 0), Errno.EMFILE);
        assertErrno(() -> pipes.pipe(c), Errno.EMFILE);
        assertErrno(() -> epolls.epollCreate1(c, 0), Errno.EMFILE);
        FileCalls.close(c, 3);
        // one slot left: pipe needs two; the read end installed first is closed again
        assertErrno(() -> pipes.pipe(c), Errno.EMFILE);
        assertThat(c.files().openCount()).isEqualTo(3);
    }

    @Test
    void fcntlFlagsAreSharedByDupsButFdCloexecIsNot() {
        int fd = vfs.open(c, "/tmp/f", OpenFlags.O_CREAT | OpenFlags.O_WRONLY | OpenFlags.O_CLOEXEC, 0644);
        int d = FileCalls.dup(c, fd);
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_GETFD, 0)).isEqualTo(Fcntl.FD_CLOEXEC);
        assertThat(FileCalls.fcntl(c, d, Fcntl.F_GETFD, 0)).isZero();
        FileCalls.fcntl(c, fd, Fcntl.F_SETFL, OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_RDWR);
        long fl = FileCalls.fcntl(c, d, Fcntl.F_GETFL, 0);
        assertThat(fl & OpenFlags.O_APPEND).isNotZero();
        assertThat(fl & OpenFlags.O_NONBLOCK).isNotZero();
        assertThat(fl & OpenFlags.O_ACCMODE).as("F_SETFL cannot change the access mode").isEqualTo(OpenFlags.O_WRONLY);
        FileCalls.ioctl(c, d, Ioctls.FIOCLEX, null);
        assertThat(c.files().isCloexec(d)).isTrue();
        FileCalls.ioctl(c, d, Ioctls.FIONCLEX, null);
        assertThat(c.files().isCloexec(d)).isFalse();
        ByteBuffer zero = ByteBuffer.allocate(4);
        FileCalls.ioctl(c, d, Ioctls.FIONBIO, zero);
        assertThat(FileCalls.fcntl(c, fd, Fcntl.F_GETFL, 0) & OpenFlags.O_NONBLOCK).isZero();
        assertErrno(() -> FileCalls.fcntl(c, fd, 9999, 0), Errno.EINVAL);
        assertErrno(() -> FileCalls.fcntl(c, 77, 9999, 0), Errno.EBADF);
        assertErrno(() -> FileCalls.fcntl(c, fd, Fcntl.F_GETPIPE_SZ, 0), Errno.EBADF);
    }

    // ------------------------------------------------------------------ spawn

    @Test
    void spawnInheritsEverythingButCloexecDescriptors() {
        int keep = open("/etc/hostname");
        int drop = vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        FdTable child = track(c.files().spawnChild(List.of(), vfs.opener(c)));
        assertThat(child.getOrNull(keep)).isSameAs(c.files().get(keep));
        assertThat(child.getOrNull(drop)).isNull();
        assertThat(c.files().get(keep).refCount()).isEqualTo(2);
        assertThat(c.files().get(drop).refCount()).isEqualTo(1);
    }

    @Test
    void spawnFileActionsApplyInOrderGivingTheChildAPipeAsStdout() {
        for (int i = 0; i < 3; i++) {
            open("/dev/null"); // stdin, stdout, stderr
        }
        int[] p = pipes.pipe2(c, OpenFlags.O_CLOEXEC);
        assertThat(p).containsExactly(3, 4);
        List<SpawnFileAction> actions = List.of(
                new SpawnFileAction.Dup2(p[1], 1),   // write end as stdout (dup2 clears FD_CLOEXEC)
                new SpawnFileAction.Close(p[0]),     // already CLOEXEC: closing is harmless
                new SpawnFileAction.Open(0, "/etc/hostname", OpenFlags.O_RDONLY, 0),
                new SpawnFileAction.Close(55));      // not open: ignored, as glibc does
        FdTable child = track(c.files().spawnChild(actions, vfs.opener(c)));
        Caller kid = process(child);
        assertThat(child.getOrNull(p[0])).isNull();
        assertThat(child.getOrNull(p[1])).as("the CLOEXEC original is closed at exec").isNull();
        assertThat(child.get(1)).isSameAs(c.files().get(p[1]));
        assertThat(child.isCloexec(1)).isFalse();
        FileCalls.write(kid, 1, bytes("hi"));
        ByteBuffer in = ByteBuffer.allocate(8);
        assertThat(FileCalls.read(c, p[0], in)).isEqualTo(2);
        assertThat(string(in, 2)).isEqualTo("hi");
        ByteBuffer h = ByteBuffer.allocate(32);
        assertThat(string(h, FileCalls.read(kid, 0, h))).isEqualTo("jocclum\n");
    }

    @Test
    void spawnActionOnAnOpenTargetReplacesItAndOpenKeepsCloexecOnlyWhenItLandsThere() {
        int a = open("/etc/hostname"); // 0
        List<SpawnFileAction> actions = List.of(
                new SpawnFileAction.Open(a, "/bin/hello", OpenFlags.O_RDONLY, 0),
                new SpawnFileAction.Open(4, "/bin/hello", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0),
                new SpawnFileAction.Open(1, "/bin/hello", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0));
        FdTable child = track(c.files().spawnChild(actions, vfs.opener(c)));
        assertThat(child.get(0)).isNotSameAs(c.files().get(a));
        assertThat(child.get(0).toString()).contains("/bin/hello");
        assertThat(child.getOrNull(4)).as("opened at 1 then dup2'd to 4: FD_CLOEXEC cleared").isNotNull();
        assertThat(child.getOrNull(1)).as("opened right at 1 with O_CLOEXEC: closed at exec").isNull();
    }

    @Test
    void failingSpawnActionReturnsItsErrnoAndLeavesNothingBehind() {
        int fd = open("/etc/hostname");
        OpenFile f = c.files().get(fd);
        assertErrno(() -> c.files().spawnChild(List.of(
                new SpawnFileAction.Dup2(fd, 3),
                new SpawnFileAction.Open(5, "/nope", OpenFlags.O_RDONLY, 0)), vfs.opener(c)), Errno.ENOENT);
        assertThat(f.refCount()).as("the partial child's references were dropped").isEqualTo(1);
        assertErrno(() -> c.files().spawnChild(List.of(new SpawnFileAction.Dup2(9, 3)), vfs.opener(c)), Errno.EBADF);
        assertErrno(() -> c.files().spawnChild(List.of(new SpawnFileAction.Close(c.files().limit())), vfs.opener(c)),
                Errno.EBADF);
        assertErrno(() -> new SpawnFileAction.Close(-1), Errno.EBADF);
        assertErrno(() -> c.files().spawnChild(List.of(new SpawnFileAction.Dup2(8, 8)), vfs.opener(c)), Errno.EBADF);
        assertThat(f.refCount()).isEqualTo(1);
    }

    @Test
    void dup2OntoItselfInASpawnClearsCloexec() {
        int fd = vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        FdTable child = track(c.files().spawnChild(List.of(new SpawnFileAction.Dup2(fd, fd)), vfs.opener(c)));
        assertThat(child.getOrNull(fd)).isSameAs(c.files().get(fd));
    }

    @Test
    void closingTheLastDescriptorInAnyProcessReleasesTheFile() {
        int[] p = pipes.pipe(c);
        FdTable child = track(c.files().spawnChild(List.of(), vfs.opener(c)));
        OpenFile w = c.files().get(p[1]);
        FileCalls.close(c, p[1]);
        assertThat(w.isReleased()).isFalse();
        child.close(p[1]);
        assertThat(w.isReleased()).isTrue();
        ByteBuffer b = ByteBuffer.allocate(1);
        assertThat(FileCalls.read(c, p[0], b)).as("EOF once every write end is gone").isZero();
    }
}
