package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.Falloc;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Rlimit;
import io.jocclum.api.Socket;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * getuid/geteuid/getgid/getegid/setuid/setgid (credentials(7): every process is root),
 * getrlimit/setrlimit/prlimit64 (getrlimit(2), kernel/sys.c do_prlimit) and fdatasync(2) and
 * fallocate(2) (fs/open.c vfs_fallocate) through the guest API, with Linux's errnos.
 */
class IdentityLimitsTest extends OsTestBase {

    @Test
    void everyProcessIsRootAndCannotBecomeAnotherUser() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            assertThat(List.of(sys.getuid(), sys.geteuid(), sys.getgid(), sys.getegid())).containsOnly(0);
            sys.setuid(0);
            sys.setgid(0);
            assertErrno(() -> sys.setuid(-1), Errno.EINVAL);
            assertErrno(() -> sys.setgid(-1), Errno.EINVAL);
            assertErrno(() -> sys.setuid(1000), Errno.EPERM);
            assertErrno(() -> sys.setgid(1000), Errno.EPERM);
            assertThat(sys.getuid()).as("a refused setuid changes nothing").isZero();
            return 0;
        }).assertOk();
    }

    @Test
    void limitsStartFromTheConfigurationAndFollowLinuxRules() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            Rlimit nofile = sys.getrlimit(Rlimit.RLIMIT_NOFILE);
            assertThat(nofile).isEqualTo(new Rlimit(1024, 4096));
            Rlimit stack = sys.getrlimit(Rlimit.RLIMIT_STACK);
            assertThat(stack.cur()).as("the configured default_stack_size").isPositive().isEqualTo(stack.cur() / 4096 * 4096);
            assertThat(stack.max()).isEqualTo(Rlimit.RLIM_INFINITY);
            Rlimit as = sys.getrlimit(Rlimit.RLIMIT_AS);
            assertThat(as.cur()).as("the user space").isGreaterThan(stack.cur());
            assertThat(sys.getrlimit(Rlimit.RLIMIT_CPU)).isEqualTo(Rlimit.of(Rlimit.RLIM_INFINITY));
            assertErrno(() -> sys.getrlimit(Rlimit.RLIM_NLIMITS), Errno.EINVAL);
            assertErrno(() -> sys.getrlimit(-1), Errno.EINVAL);
            assertErrno(() -> sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(10, 5)), Errno.EINVAL);
            assertErrno(() -> sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(5, Rlimit.RLIM_INFINITY)), Errno.EPERM);
            assertErrno(() -> sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(5, (1 << 20) + 1)), Errno.EPERM);
            assertErrno(() -> sys.setrlimit(Rlimit.RLIMIT_NOFILE, null), Errno.EFAULT);
            assertErrno(() -> sys.setrlimit(99, new Rlimit(1, 1)), Errno.EINVAL);
            assertThat(sys.getrlimit(Rlimit.RLIMIT_NOFILE)).as("failed calls change nothing").isEqualTo(nofile);
            // unsigned comparison: RLIM_INFINITY is the largest value, not -1
            sys.setrlimit(Rlimit.RLIMIT_CPU, new Rlimit(100, Rlimit.RLIM_INFINITY));
            assertThat(sys.getrlimit(Rlimit.RLIMIT_CPU)).isEqualTo(new Rlimit(100, Rlimit.RLIM_INFINITY));
            assertErrno(() -> sys.setrlimit(Rlimit.RLIMIT_CPU, new Rlimit(Rlimit.RLIM_INFINITY, 100)), Errno.EINVAL);

            // RLIMIT_NOFILE is enforced by the descriptor table
            sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(8, 4096));
            List<Integer> fds = new ArrayList<>();
            try {
                for (;;) {
                    fds.add(sys.open("/dev/null", OpenFlags.O_RDONLY, 0));
                }
            } catch (io.jocclum.api.ErrnoException e) {
                assertThat(e.errno()).isEqualTo(Errno.EMFILE);
            }
            assertThat(fds.getLast()).as("the highest descriptor is below the limit").isEqualTo(7);
            assertErrno(() -> sys.dup2(0, 8), Errno.EBADF);
            sys.close(fds.getLast());
            assertErrno(() -> sys.pipe(), Errno.EMFILE);
            assertErrno(() -> sys.socketpair(Socket.AF_UNIX, Socket.SOCK_STREAM, 0), Errno.EMFILE);
            assertThat(sys.dup(0)).as("a failed pair leaves the one free slot free").isEqualTo(7);
            sys.close(7);
            sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(1024, 4096));
            for (int fd : fds.subList(0, fds.size() - 1)) {
                sys.close(fd);
            }

            // prlimit64: the caller (0 or its pid), a child, ESRCH
            assertThat(sys.prlimit(0, Rlimit.RLIMIT_CPU, null)).isEqualTo(new Rlimit(100, Rlimit.RLIM_INFINITY));
            Rlimit old = sys.prlimit(sys.getpid(), Rlimit.RLIMIT_CPU, new Rlimit(50, 60));
            assertThat(old).isEqualTo(new Rlimit(100, Rlimit.RLIM_INFINITY));
            assertThat(sys.getrlimit(Rlimit.RLIMIT_CPU)).isEqualTo(new Rlimit(50, 60));
            assertErrno(() -> sys.prlimit(4242, Rlimit.RLIMIT_CPU, null), Errno.ESRCH);
            assertErrno(() -> sys.prlimit(-3, Rlimit.RLIMIT_CPU, null), Errno.ESRCH);
            assertErrno(() -> sys.prlimit(0, 77, null), Errno.EINVAL);
            return 0;
        }).assertOk();
    }

    @Test
    void childrenInheritLimitsAndPrlimitReachesThem() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        os.program("child", (sys, argv, envp) -> {
            Rlimit nofile = sys.getrlimit(Rlimit.RLIMIT_NOFILE);
            // wait for the parent's prlimit on us: it writes a byte when done
            long b = Libc.alloc(sys, 8);
            assertThat(sys.read(0, b, 1)).isEqualTo(1);
            Rlimit core = sys.getrlimit(Rlimit.RLIMIT_CORE);
            return nofile.cur() == 64 && core.cur() == 4096 ? 0 : 1;
        });
        os.run((sys, argv, envp) -> {
            sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(64, 4096));
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int child = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(p[0], 0)), new String[]{"child"}, null);
            Rlimit old = sys.prlimit(child, Rlimit.RLIMIT_CORE, new Rlimit(4096, 4096));
            assertThat(old.cur()).isZero();
            assertThat(sys.getrlimit(Rlimit.RLIMIT_CORE).cur()).as("the parent's own limit is unchanged").isZero();
            long b = Libc.alloc(sys, 8);
            sys.storeByte(b, (byte) 1);
            sys.write(p[1], b, 1);
            assertThat(sys.wait4(child, 0).status()).isEqualTo(Wait.exited(0));
            assertErrno(() -> sys.prlimit(child, Rlimit.RLIMIT_CORE, null), Errno.ESRCH);
            sys.setrlimit(Rlimit.RLIMIT_NOFILE, new Rlimit(1024, 4096));
            return 0;
        }).assertOk();
    }

    @Test
    void fallocateAndFdatasyncFollowVfsFallocate() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int fd = sys.open("/tmp/falloc", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.fallocate(fd, 0, 0, 10_000);
            assertThat(sys.fstat(fd).size()).as("mode 0 grows the file").isEqualTo(10_000);
            sys.fallocate(fd, 0, 100, 200);
            assertThat(sys.fstat(fd).size()).as("never shrinks").isEqualTo(10_000);
            sys.fallocate(fd, Falloc.FALLOC_FL_KEEP_SIZE, 0, 50_000);
            assertThat(sys.fstat(fd).size()).as("KEEP_SIZE").isEqualTo(10_000);
            long b = Libc.alloc(sys, 4096);
            assertThat(sys.pread(fd, b, 4096, 5000)).isEqualTo(4096);
            assertThat(sys.loadLong(b)).as("allocated bytes read as zeros").isZero();
            sys.fdatasync(fd);

            assertErrno(() -> sys.fallocate(fd, 0, -1, 10), Errno.EINVAL);
            assertErrno(() -> sys.fallocate(fd, 0, 0, 0), Errno.EINVAL);
            assertErrno(() -> sys.fallocate(fd, 0x80, 0, 10), Errno.EOPNOTSUPP);
            assertErrno(() -> sys.fallocate(fd, Falloc.FALLOC_FL_PUNCH_HOLE, 0, 10), Errno.EOPNOTSUPP);
            assertErrno(() -> sys.fallocate(fd, Falloc.FALLOC_FL_COLLAPSE_RANGE | Falloc.FALLOC_FL_KEEP_SIZE, 0, 4096), Errno.EINVAL);
            assertErrno(() -> sys.fallocate(fd, Falloc.FALLOC_FL_INSERT_RANGE | Falloc.FALLOC_FL_KEEP_SIZE, 0, 4096), Errno.EINVAL);
            assertErrno(() -> sys.fallocate(fd, Falloc.FALLOC_FL_UNSHARE_RANGE | Falloc.FALLOC_FL_ZERO_RANGE, 0, 4096), Errno.EINVAL);
            assertErrno(() -> sys.fallocate(fd, Falloc.FALLOC_FL_ZERO_RANGE, 0, 4096), Errno.EOPNOTSUPP);
            assertErrno(() -> sys.fallocate(fd, 0, Long.MAX_VALUE, 10), Errno.EFBIG);
            assertErrno(() -> sys.fallocate(99, 0, 0, 10), Errno.EBADF);
            int ro = sys.open("/tmp/falloc", OpenFlags.O_RDONLY, 0);
            assertErrno(() -> sys.fallocate(ro, 0, 0, 10), Errno.EBADF);
            int[] p = sys.pipe();
            assertErrno(() -> sys.fallocate(p[1], 0, 0, 10), Errno.ESPIPE);
            assertErrno(() -> sys.fallocate(p[0], 0, 0, 10), Errno.EBADF);
            int efd = sys.eventfd(0, 0);
            assertErrno(() -> sys.fallocate(efd, 0, 0, 10), Errno.ENODEV);
            int nul = sys.open("/dev/null", OpenFlags.O_WRONLY, 0);
            assertErrno(() -> sys.fallocate(nul, 0, 0, 10), Errno.ENODEV);
            assertErrno(() -> sys.fdatasync(p[0]), Errno.EINVAL);
            assertErrno(() -> sys.fdatasync(99), Errno.EBADF);
            for (int f : new int[] {fd, ro, p[0], p[1], efd, nul}) {
                sys.close(f);
            }
            return 0;
        }).assertOk();
    }
}
