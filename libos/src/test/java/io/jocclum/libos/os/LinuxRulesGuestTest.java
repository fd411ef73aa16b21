package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.EventFd;
import io.jocclum.api.Fcntl;
import io.jocclum.api.Limits;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Socket;
import org.junit.jupiter.api.Test;

import static io.jocclum.libos.os.GuestOps.errno;
import static io.jocclum.libos.os.GuestOps.fionread;
import static io.jocclum.libos.os.GuestOps.read;
import static io.jocclum.libos.os.GuestOps.write;
import static org.assertj.core.api.Assertions.assertThat;

/** Linux rules the guest API follows, judged against fs/open.c, fs/fcntl.c and fs/pipe.c. */
class LinuxRulesGuestTest extends OsTestBase {

    /**
     * fcntl(F_GETFL): O_LARGEFILE is set by open/openat only ({@code force_o_largefile()} in
     * {@code do_sys_openat2}); pipe2, eventfd2, socket and epoll_create1 make files without it.
     */
    @Test
    void oLargefileOnlyOnFilesOpenedWithOpen() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int f = sys.open("/tmp/largefile", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0644);
            assertThat(sys.fcntl(f, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDWR | OpenFlags.O_LARGEFILE);
            int g = sys.openat(OpenFlags.AT_FDCWD, "/tmp/largefile", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0);
            assertThat(sys.fcntl(g, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_NONBLOCK | OpenFlags.O_LARGEFILE);
            int[] p = sys.pipe2(OpenFlags.O_NONBLOCK);
            assertThat(sys.fcntl(p[0], Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK);
            assertThat(sys.fcntl(p[1], Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK);
            int e = sys.eventfd(0, EventFd.EFD_NONBLOCK);
            assertThat(sys.fcntl(e, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK);
            int ep = sys.epollCreate1(0);
            assertThat(sys.fcntl(ep, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDWR);
            int s = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
            assertThat(sys.fcntl(s, Fcntl.F_GETFL, 0)).isEqualTo(OpenFlags.O_RDWR);
            sys.fcntl(p[0], Fcntl.F_SETFL, OpenFlags.O_LARGEFILE);
            assertThat(sys.fcntl(p[0], Fcntl.F_GETFL, 0)).as("F_SETFL cannot set O_LARGEFILE").isEqualTo(OpenFlags.O_RDONLY);
            return 0;
        }).assertOk();
    }

    /**
     * pipe_write (fs/pipe.c): a non-blocking write of more than PIPE_BUF bytes into a pipe with
     * some room, less than PIPE_BUF, stores what fits and returns that count; EAGAIN only when full;
     * a write of at most PIPE_BUF bytes stays all or nothing.
     */
    @Test
    void aLargeNonBlockingWriteFillsTheLastRoomOfAPipe() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_NONBLOCK);
            int cap = (int) sys.fcntl(p[1], Fcntl.F_GETPIPE_SZ, 0);
            int room = 100;
            assertThat(write(sys, p[1], cap - room, (byte) 1)).isEqualTo(cap - room);
            assertThat(errno(() -> write(sys, p[1], Limits.PIPE_BUF, (byte) 2))).as("PIPE_BUF write: atomic").isEqualTo(Errno.EAGAIN);
            assertThat(write(sys, p[1], 2 * Limits.PIPE_BUF, (byte) 3)).as("what fits").isEqualTo(room);
            assertThat(fionread(sys, p[0])).isEqualTo(cap);
            assertThat(errno(() -> write(sys, p[1], 2 * Limits.PIPE_BUF, (byte) 4))).as("full").isEqualTo(Errno.EAGAIN);
            byte[] all = read(sys, p[0], cap);
            assertThat(all).hasSize(cap);
            assertThat(all[cap - room - 1]).isEqualTo((byte) 1);
            assertThat(all[cap - room]).isEqualTo((byte) 3);
            assertThat(all[cap - 1]).isEqualTo((byte) 3);
            return 0;
        }).assertOk();
    }
}
