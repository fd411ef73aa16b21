package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Shm;
import io.jocclum.api.ShmidDs;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared memory between processes, black box through the guest API, judged against Linux
 * (mmap(2) MAP_SHARED, shm_open(3), shm_overview(7), shmget(2), shmop(2), shmctl(2)): two
 * processes share bytes through a MAP_SHARED file mapping, a POSIX shared memory object and a
 * System V segment, each store seen by the other at once and by read(2); the errno table of
 * each call.
 */
class SharedMemoryGuestTest extends OsTestBase {
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;

    static void put(Syscalls sys, long addr, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        sys.storeBytes(addr, b, 0, b.length);
    }

    static String get(Syscalls sys, long addr, int n) {
        byte[] b = new byte[n];
        sys.loadBytes(addr, b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    static String pread(Syscalls sys, int fd, long off, int n) {
        long buf = Libc.alloc(sys, 4096);
        try {
            long k = sys.pread(fd, buf, n, off);
            return get(sys, buf, (int) k);
        } finally {
            Libc.free(sys, buf, 4096);
        }
    }

    static void pwrite(Syscalls sys, int fd, long off, String s) {
        long buf = Libc.alloc(sys, 4096);
        try {
            put(sys, buf, s);
            assertThat(sys.pwrite(fd, buf, s.length(), off)).isEqualTo(s.length());
        } finally {
            Libc.free(sys, buf, 4096);
        }
    }

    /** One byte through a pipe: the other process has done its part. */
    static void signal(Syscalls sys, int fd) {
        long buf = Libc.alloc(sys, 4096);
        sys.storeByte(buf, (byte) 1);
        assertThat(sys.write(fd, buf, 1)).isEqualTo(1);
        Libc.free(sys, buf, 4096);
    }

    static void await(Syscalls sys, int fd) {
        long buf = Libc.alloc(sys, 4096);
        assertThat(sys.read(fd, buf, 1)).as("the other process's signal").isEqualTo(1);
        Libc.free(sys, buf, 4096);
    }

    /**
     * The child protocol shared by the three mechanisms: the child gets the memory through
     * {@code attach} (argv[1] names it), sees the parent's bytes, stores its own, signals on fd 1,
     * waits on fd 0, sees the parent's second store, detaches.
     */
    interface Attach {
        long attach(Syscalls sys, String[] argv);
    }

    private void childProtocol(Booted os, Attach attach, Runnable detach) {
        os.program("child", (sys, argv, envp) -> {
            long b = attach.attach(sys, argv);
            assertThat(get(sys, b, 6)).as("the parent's store, seen by the child").isEqualTo("parent");
            put(sys, b + 100, "child");
            signal(sys, 1);
            await(sys, 0);
            assertThat(get(sys, b + 300, 5)).as("the parent's second store, while both map it").isEqualTo("again");
            return 0;
        });
    }

    /** Parent side: spawn the child with pipes, wait for its store, store again, reap it. */
    private static void parentProtocol(Syscalls sys, long a, String[] childArgv, Runnable whileChildWaits) {
        put(sys, a, "parent");
        int[] down = sys.pipe2(OpenFlags.O_CLOEXEC);
        int[] up = sys.pipe2(OpenFlags.O_CLOEXEC);
        int pid = sys.posixSpawn("/bin/child", List.of(SpawnAction.dup2(down[0], 0), SpawnAction.dup2(up[1], 1)), childArgv, null);
        await(sys, up[0]);
        assertThat(get(sys, a + 100, 5)).as("the child's store, seen by the parent at once").isEqualTo("child");
        whileChildWaits.run();
        put(sys, a + 300, "again");
        signal(sys, down[1]);
        assertThat(sys.wait4(pid, 0).status()).as("the child's checks passed").isEqualTo(Wait.exited(0));
        for (int fd : new int[] {down[0], down[1], up[0], up[1]}) {
            sys.close(fd);
        }
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void twoProcessesShareAFileThroughMapShared(Matrix m) throws Exception {
        Booted os = os(m);
        childProtocol(os, (sys, argv) -> {
            int fd = sys.open("/tmp/mapped", OpenFlags.O_RDWR, 0);
            long b = sys.mmap(0, 8192, RW, Mman.MAP_SHARED, fd, 0);
            assertThat(pread(sys, fd, 0, 6)).as("read(2) sees a store not yet written back").isEqualTo("parent");
            pwrite(sys, fd, 200, "write");
            return b;
        }, null);
        os.run((sys, argv, envp) -> {
            int fd = sys.open("/tmp/mapped", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.ftruncate(fd, 8192);
            long a = sys.mmap(0, 8192, RW, Mman.MAP_SHARED, fd, 0);
            parentProtocol(sys, a, new String[] {"child"}, () -> {
                assertThat(get(sys, a + 200, 5)).as("the child's write(2), seen in the parent's mapping").isEqualTo("write");
                assertThat(pread(sys, fd, 100, 5)).as("the child's store, seen by the parent's read(2)").isEqualTo("child");
            });
            // a private mapping reads the shared pages too (the page cache), and does not write to them
            long p = sys.mmap(0, 4096, RW, Mman.MAP_PRIVATE, fd, 0);
            assertThat(get(sys, p + 300, 5)).isEqualTo("again");
            put(sys, p, "PRIVATE");
            assertThat(get(sys, a, 6)).isEqualTo("parent");
            sys.munmap(p, 4096);
            // mprotect of one process's view: its own protection only
            sys.mprotect(a, 4096, Mman.PROT_READ);
            assertThat(get(sys, a + 100, 5)).isEqualTo("child");
            sys.mprotect(a, 4096, RW);
            sys.msync(a, 8192, Mman.MS_SYNC);
            sys.munmap(a, 8192);
            sys.close(fd);
            // the last unmap wrote everything back: a new open reads it from the file
            int again = sys.open("/tmp/mapped", OpenFlags.O_RDONLY, 0);
            assertThat(pread(sys, again, 0, 6) + pread(sys, again, 100, 5) + pread(sys, again, 200, 5) + pread(sys, again, 300, 5))
                    .isEqualTo("parentchildwriteagain");
            assertThat(sys.fstat(again).size()).as("write-back never grows the file").isEqualTo(8192);
            sys.close(again);
            sys.unlink("/tmp/mapped");
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void mappingsOfAHostFileAreCoherentAndWrittenBackOnMsync(Matrix m) throws Exception {
        Booted os = os(m);
        os.run((sys, argv, envp) -> {
            int fd = sys.open("/host/shared.bin", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.ftruncate(fd, 4096);
            long a = sys.mmap(0, 4096, RW, Mman.MAP_SHARED, fd, 0);
            int fd2 = sys.open("/host/shared.bin", OpenFlags.O_RDWR, 0);
            long b = sys.mmap(0, 4096, Mman.PROT_READ, Mman.MAP_SHARED, fd2, 0);
            assertThat(b).as("one file, one set of pages: the same address in a single address space").isEqualTo(a);
            put(sys, a, "stored");
            assertThat(pread(sys, fd2, 0, 6)).isEqualTo("stored");
            sys.msync(a, 4096, Mman.MS_SYNC);
            sys.munmap(a, 4096);
            sys.close(fd);
            sys.close(fd2);
            return 0;
        }).assertOk();
        assertThat(new String(java.nio.file.Files.readAllBytes(os.os.built().paths().root().resolve("shared.bin")), 0, 6, StandardCharsets.UTF_8))
                .as("msync wrote the store to the host file").isEqualTo("stored");
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void twoProcessesShareAPosixSharedMemoryObject(Matrix m) throws Exception {
        Booted os = os(m);
        childProtocol(os, (sys, argv) -> {
            int fd = Libc.shmOpen(sys, "/jocclum-test", OpenFlags.O_RDWR, 0);
            assertThat(sys.fcntl(fd, io.jocclum.api.Fcntl.F_GETFD, 0)).as("FD_CLOEXEC").isEqualTo(io.jocclum.api.Fcntl.FD_CLOEXEC);
            return sys.mmap(0, 4096, RW, Mman.MAP_SHARED, fd, 0);
        }, null);
        os.run((sys, argv, envp) -> {
            Stat dir = sys.stat("/dev/shm");
            assertThat(dir.isDirectory()).isTrue();
            int fd = Libc.shmOpen(sys, "/jocclum-test", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0600);
            assertThat(sys.stat("/dev/shm/jocclum-test").isRegular()).isTrue();
            sys.ftruncate(fd, 4096);
            long a = sys.mmap(0, 4096, RW, Mman.MAP_SHARED, fd, 0);
            parentProtocol(sys, a, new String[] {"child"}, () -> { });
            Libc.shmUnlink(sys, "jocclum-test");
            assertErrno(() -> sys.stat("/dev/shm/jocclum-test"), Errno.ENOENT);
            put(sys, a + 400, "still");
            assertThat(get(sys, a + 400, 5)).as("the mapping outlives the name").isEqualTo("still");
            sys.munmap(a, 4096);
            sys.close(fd);

            // shm_open's and shm_unlink's errnos (glibc sysdeps/posix/shm_open.c, shm-directory.c; open(2))
            assertErrno(() -> Libc.shmOpen(sys, "", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600), Errno.EINVAL);
            assertErrno(() -> Libc.shmOpen(sys, "/", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600), Errno.EINVAL);
            assertErrno(() -> Libc.shmOpen(sys, "/a/b", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600), Errno.EINVAL);
            assertErrno(() -> Libc.shmOpen(sys, "..", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600), Errno.EINVAL);
            assertErrno(() -> Libc.shmOpen(sys, "x".repeat(256), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600), Errno.ENAMETOOLONG);
            assertErrno(() -> Libc.shmOpen(sys, "/missing", OpenFlags.O_RDWR, 0), Errno.ENOENT);
            int x = Libc.shmOpen(sys, "//twice", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
            assertErrno(() -> Libc.shmOpen(sys, "/twice", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0600), Errno.EEXIST);
            sys.close(x);
            Libc.shmUnlink(sys, "/twice");
            assertErrno(() -> Libc.shmUnlink(sys, "/twice"), Errno.ENOENT);
            assertErrno(() -> Libc.shmUnlink(sys, "a/b"), Errno.EINVAL);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void twoProcessesShareASystemVSegmentWhichLivesUntilTheLastDetachAfterRmid(Matrix m) throws Exception {
        Booted os = os(m);
        childProtocol(os, (sys, argv) -> sys.shmat(Integer.parseInt(argv[1]), 0, 0), null);
        os.run((sys, argv, envp) -> {
            int id = sys.shmget(Shm.IPC_PRIVATE, 10000, Shm.IPC_CREAT | 0600);
            long a = sys.shmat(id, 0, 0);
            assertThat(get(sys, a + 9000, 4)).as("a new segment is zero").isEqualTo("\0\0\0\0");
            long ds = Libc.alloc(sys, 4096);
            parentProtocol(sys, a, new String[] {"child", Integer.toString(id)}, () -> {
                sys.shmctl(id, Shm.IPC_STAT, ds);
                assertThat(ShmidDs.load(sys, ds).nattch()).as("both attached").isEqualTo(2);
            });
            sys.shmctl(id, Shm.IPC_STAT | Shm.IPC_64, ds);
            ShmidDs st = ShmidDs.load(sys, ds);
            assertThat(st.segsz()).isEqualTo(10000);
            assertThat(st.nattch()).as("the child's exit detached it").isEqualTo(1);
            assertThat(st.cpid()).isEqualTo(sys.getpid());
            assertThat(st.lpid()).as("the last shmat/shmdt was the child's (exit)").isNotEqualTo(sys.getpid());
            assertThat(st.mode()).isEqualTo(0600);
            assertThat(st.key()).isEqualTo(Shm.IPC_PRIVATE);
            assertThat(st.uid()).isZero();

            // IPC_RMID while attached: marked (SHM_DEST, key private), still usable, gone at the last detach
            int keyed = sys.shmget(4242, 4096, Shm.IPC_CREAT | 0644);
            long k = sys.shmat(keyed, 0, Shm.SHM_RDONLY);
            sys.shmctl(keyed, Shm.IPC_RMID, 0);
            sys.shmctl(keyed, Shm.IPC_STAT, ds);
            ShmidDs marked = ShmidDs.load(sys, ds);
            assertThat(marked.mode() & Shm.SHM_DEST).isEqualTo(Shm.SHM_DEST);
            assertThat(marked.key()).isEqualTo(Shm.IPC_PRIVATE);
            assertErrno(() -> sys.shmget(4242, 4096, 0), Errno.ENOENT);
            assertThat(get(sys, k, 1)).isEqualTo("\0");
            sys.shmdt(k);
            assertErrno(() -> sys.shmctl(keyed, Shm.IPC_STAT, ds), Errno.EINVAL);

            // IPC_SET changes uid, gid and the permission bits, and ctime
            ShmidDs set = new ShmidDs(0, 0, 0, 0, 0, 0640 | 0777000, 0, 0, 0, 0, 0, 0, 0, 0);
            set.store(sys, ds);
            sys.shmctl(id, Shm.IPC_SET, ds);
            sys.shmctl(id, Shm.IPC_STAT, ds);
            assertThat(ShmidDs.load(sys, ds).mode()).as("only the 0777 bits change").isEqualTo(0640);
            sys.shmctl(id, Shm.IPC_RMID, 0);
            sys.shmdt(a);
            assertErrno(() -> sys.shmctl(id, Shm.IPC_STAT, ds), Errno.EINVAL);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void systemVErrnos(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long ds = Libc.alloc(sys, 4096);
            // shmget (ipc/shm.c newseg, shm_more_checks; ipc/util.c ipcget_public)
            assertErrno(() -> sys.shmget(Shm.IPC_PRIVATE, 0, Shm.IPC_CREAT | 0600), Errno.EINVAL);
            assertErrno(() -> sys.shmget(Shm.IPC_PRIVATE, -1L, Shm.IPC_CREAT | 0600), Errno.EINVAL);
            assertErrno(() -> sys.shmget(777, 4096, 0600), Errno.ENOENT);
            int id = sys.shmget(777, 8192, Shm.IPC_CREAT | 0600);
            assertThat(sys.shmget(777, 100, 0)).as("an existing key").isEqualTo(id);
            assertThat(sys.shmget(777, 0, 0)).as("size 0 finds an existing key").isEqualTo(id);
            assertErrno(() -> sys.shmget(777, 8193, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmget(777, 100, Shm.IPC_CREAT | Shm.IPC_EXCL | 0600), Errno.EEXIST);
            assertThat(sys.shmget(Shm.IPC_PRIVATE, 100, 0600)).as("IPC_PRIVATE always creates").isNotEqualTo(id);
            // shmat (ipc/shm.c do_shmat)
            assertErrno(() -> sys.shmat(-1, 0, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmat(id + 1, 0, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmat(id, 4097, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmat(id, 0, Shm.SHM_REMAP), Errno.EINVAL);
            long a = sys.shmat(id, 0, 0);
            assertThat(a % 4096).isZero();
            assertErrno(() -> sys.shmat(id, 0, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmat(id, a + 4096, 0), Errno.EINVAL);
            sys.shmdt(a);
            assertThat(sys.shmat(id, a + 1, Shm.SHM_RND)).as("SHM_RND rounds down").isEqualTo(a);
            // SHM_RDONLY: a store kills with SIGSEGV (checked elsewhere); a load works
            sys.shmdt(a);
            long ro = sys.shmat(id, 0, Shm.SHM_RDONLY);
            assertThat(sys.loadByte(ro)).isZero();
            // shmdt (ipc/shm.c ksys_shmdt)
            assertErrno(() -> sys.shmdt(ro + 1), Errno.EINVAL);
            assertErrno(() -> sys.shmdt(ro + 4096), Errno.EINVAL);
            assertErrno(() -> sys.shmdt(ds), Errno.EINVAL);
            sys.shmdt(ro);
            assertErrno(() -> sys.shmdt(ro), Errno.EINVAL);
            // shmctl (ipc/shm.c ksys_shmctl)
            assertErrno(() -> sys.shmctl(-1, Shm.IPC_STAT, ds), Errno.EINVAL);
            assertErrno(() -> sys.shmctl(id, -1, ds), Errno.EINVAL);
            assertErrno(() -> sys.shmctl(id, 99, ds), Errno.EINVAL);
            assertErrno(() -> sys.shmctl(id + 1, Shm.IPC_STAT, ds), Errno.EINVAL);
            assertErrno(() -> sys.shmctl(id, Shm.IPC_STAT, 0), Errno.EFAULT);
            assertErrno(() -> sys.shmctl(id, Shm.IPC_SET, 0), Errno.EFAULT);
            assertErrno(() -> sys.shmctl(id + 1, Shm.IPC_RMID, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmctl(id, Shm.IPC_INFO, ds), Errno.EINVAL);
            sys.shmctl(id, Shm.IPC_RMID, 0);
            assertErrno(() -> sys.shmat(id, 0, 0), Errno.EINVAL);
            assertErrno(() -> sys.shmctl(id, Shm.IPC_RMID, 0), Errno.EINVAL);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aStoreThroughAReadOnlyViewKillsWithSigsegvWhileOtherViewsWrite(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            long ro = sys.shmat(Integer.parseInt(argv[1]), 0, Shm.SHM_RDONLY);
            assertThat(get(sys, ro, 6)).isEqualTo("parent");
            sys.storeByte(ro, (byte) 'X'); // SIGSEGV: this process's view is read-only
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int id = sys.shmget(Shm.IPC_PRIVATE, 4096, 0600);
            long a = sys.shmat(id, 0, 0);
            put(sys, a, "parent");
            int pid = sys.posixSpawn("/bin/child", List.of(), new String[] {"child", Integer.toString(id)}, null);
            int st = sys.wait4(pid, 0).status();
            assertThat(Wait.WIFSIGNALED(st) && Wait.WTERMSIG(st) == io.jocclum.api.Signal.SIGSEGV).as("status %s", st).isTrue();
            assertThat(get(sys, a, 6)).as("the refused store changed nothing").isEqualTo("parent");
            put(sys, a, "PARENT");
            assertThat(get(sys, a, 6)).isEqualTo("PARENT");
            sys.shmctl(id, Shm.IPC_RMID, 0);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void theSharedPagesOfAFileGrowAtTheirEndAndARangeBeforeThemIsTheProcesssOwnCopy(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int fd = sys.open("/tmp/grow", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.ftruncate(fd, 4 * 4096);
            long a = sys.mmap(0, 4096, RW, Mman.MAP_SHARED, fd, 4096);
            put(sys, a, "first");
            long b = sys.mmap(0, 2 * 4096, RW, Mman.MAP_SHARED, fd, 4096);
            assertThat(b).as("file page 1 stays where it is").isEqualTo(a);
            put(sys, b + 4096, "grown");
            assertThat(pread(sys, fd, 2 * 4096, 5)).as("the grown page is shared with read(2)").isEqualTo("grown");
            pwrite(sys, fd, 2 * 4096 + 8, "write");
            assertThat(get(sys, b + 4096 + 8, 5)).as("write(2) into the grown page").isEqualTo("write");
            // file page 0 lies before the shared pages: this mapping is the process's own copy
            long c = sys.mmap(0, 2 * 4096, RW, Mman.MAP_SHARED, fd, 0);
            assertThat(c + 4096).isNotEqualTo(a);
            assertThat(get(sys, c + 4096, 5)).as("filled from the shared pages").isEqualTo("first");
            put(sys, c, "zero!");
            sys.munmap(c, 2 * 4096);
            assertThat(pread(sys, fd, 0, 5)).as("written back at munmap").isEqualTo("zero!");
            sys.munmap(a, 2 * 4096);
            sys.close(fd);
            sys.unlink("/tmp/grow");
            return 0;
        }).assertOk();
    }
}
