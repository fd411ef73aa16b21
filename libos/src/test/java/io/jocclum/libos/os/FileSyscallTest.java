package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Seek;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The file system calls through a booted LibOS with Linux's errnos (open(2), close(2), read(2),
 * write(2), pread(2), pwrite(2), lseek(2), fstat(2), ftruncate(2), unlink(2), mkdir(2)) over the
 * LibOS file system: the root union (the image plus a writable upper layer), a writable /tmp, /dev/null, /dev/zero,
 * /dev/urandom, and the template's hostfs mount at /host (the instance directory), whose writes
 * the host sees.
 */
class FileSyscallTest extends OsTestBase {
    private static final byte[] MOTD = "hello from the image\n".getBytes(StandardCharsets.UTF_8);

    private Booted withImageFile(Matrix m) {
        return boot("files", m, PLATFORM, b -> b.file("etc/motd", MOTD));
    }

    static String readString(Syscalls sys, int fd, long buf, int max) {
        long n = sys.read(fd, buf, max);
        byte[] b = new byte[(int) n];
        sys.loadBytes(buf, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    static void put(Syscalls sys, long buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        sys.storeBytes(buf, b, 0, b.length);
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void regularFileCallsAndTheirErrnos(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 3 * 4096);
            sys.mkdir("/tmp/d", 0755);
            assertErrno(() -> sys.mkdir("/tmp/d", 0755), Errno.EEXIST);
            assertErrno(() -> sys.mkdir("/tmp/no/such", 0755), Errno.ENOENT);
            assertErrno(() -> sys.open("/tmp/d/f", OpenFlags.O_RDONLY, 0), Errno.ENOENT);
            int fd = sys.open("/tmp/d/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0640);
            assertThat(fd).as("lowest free descriptor").isEqualTo(3);
            assertErrno(() -> sys.open("/tmp/d/f", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0640), Errno.EEXIST);
            assertErrno(() -> sys.open("/tmp/d/f/x", OpenFlags.O_RDONLY, 0), Errno.ENOTDIR);
            assertErrno(() -> sys.mkdir("/tmp/d/f/x", 0755), Errno.ENOTDIR);
            assertErrno(() -> sys.open("/tmp/d", OpenFlags.O_WRONLY, 0), Errno.EISDIR);
            assertErrno(() -> sys.open("/tmp/d/f", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0), Errno.ENOTDIR);
            Stat st = sys.fstat(fd);
            assertThat(st.isRegular()).isTrue();
            assertThat(st.permissions()).isEqualTo(0640 & ~sysUmask());
            assertThat(st.size()).isZero();

            // write, read back, the file position
            put(sys, buf, "0123456789");
            assertThat(sys.write(fd, buf, 10)).isEqualTo(10);
            assertThat(sys.lseek(fd, 0, Seek.SEEK_CUR)).isEqualTo(10);
            assertThat(sys.read(fd, buf, 10)).as("at end of file").isZero();
            assertThat(sys.lseek(fd, 2, Seek.SEEK_SET)).isEqualTo(2);
            assertThat(readString(sys, fd, buf, 3)).isEqualTo("234");
            assertThat(sys.lseek(fd, -1, Seek.SEEK_END)).isEqualTo(9);
            assertThat(readString(sys, fd, buf, 100)).isEqualTo("9");
            assertErrno(() -> sys.lseek(fd, -11, Seek.SEEK_END), Errno.EINVAL);
            assertErrno(() -> sys.lseek(fd, 0, 17), Errno.EINVAL);
            assertThat(sys.lseek(fd, 0, Seek.SEEK_CUR)).as("a failed lseek leaves the position").isEqualTo(10);
            // pread/pwrite do not move the position
            put(sys, buf, "AB");
            assertThat(sys.pwrite(fd, buf, 2, 4)).isEqualTo(2);
            assertThat(sys.pread(fd, buf, 10, 0)).isEqualTo(10);
            assertThat(sys.lseek(fd, 0, Seek.SEEK_CUR)).isEqualTo(10);
            byte[] b = new byte[10];
            sys.loadBytes(buf, b, 0, 10);
            assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("0123AB6789");
            assertErrno(() -> sys.pread(fd, buf, 1, -1), Errno.EINVAL);
            assertErrno(() -> sys.pwrite(fd, buf, 1, -1), Errno.EINVAL);
            assertThat(sys.pread(fd, buf, 10, 100)).as("pread past the end").isZero();
            // a write beyond the end leaves a hole that reads as zeros
            sys.fillBytes(buf, 8, (byte) 'z');
            assertThat(sys.pwrite(fd, buf, 1, 5000)).isEqualTo(1);
            assertThat(sys.fstat(fd).size()).isEqualTo(5001);
            sys.fillBytes(buf, 4096, (byte) 1);
            assertThat(sys.pread(fd, buf, 4096, 10)).isEqualTo(4096);
            VmSyscallTest.assertZero(sys, buf, 4096, "hole");
            // ftruncate shrinks and grows (with zeros); EINVAL for negative lengths and read-only descriptors
            sys.ftruncate(fd, 3);
            assertThat(sys.fstat(fd).size()).isEqualTo(3);
            sys.ftruncate(fd, 4096);
            sys.fillBytes(buf, 16, (byte) 1);
            assertThat(sys.pread(fd, buf, 16, 0)).isEqualTo(16);
            assertThat(sys.loadByte(buf + 2)).isEqualTo((byte) '2');
            assertThat(sys.loadLong(buf + 3)).as("grown by ftruncate").isZero();
            assertErrno(() -> sys.ftruncate(fd, -1), Errno.EINVAL);
            int ro = sys.open("/tmp/d/f", OpenFlags.O_RDONLY, 0);
            assertErrno(() -> sys.ftruncate(ro, 0), Errno.EINVAL);
            assertErrno(() -> sys.write(ro, buf, 1), Errno.EBADF);
            int wo = sys.open("/tmp/d/f", OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0);
            assertErrno(() -> sys.read(wo, buf, 1), Errno.EBADF);
            assertThat(sys.write(wo, buf, 4)).isEqualTo(4);
            assertThat(sys.fstat(fd).size()).as("O_APPEND writes at the end").isEqualTo(4100);
            int dir = sys.open("/tmp/d", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
            assertErrno(() -> sys.read(dir, buf, 1), Errno.EISDIR);
            assertErrno(() -> sys.ftruncate(dir, 0), Errno.EINVAL);
            // O_TRUNC
            int tr = sys.open("/tmp/d/f", OpenFlags.O_RDWR | OpenFlags.O_TRUNC, 0);
            assertThat(sys.fstat(fd).size()).isZero();
            // unlink: the name goes, open descriptors keep the file
            put(sys, buf, "still here");
            sys.write(tr, buf, 10);
            sys.unlink("/tmp/d/f");
            assertErrno(() -> sys.stat("/tmp/d/f"), Errno.ENOENT);
            assertErrno(() -> sys.unlink("/tmp/d/f"), Errno.ENOENT);
            assertErrno(() -> sys.unlink("/tmp/d"), Errno.EISDIR);
            assertThat(sys.pread(fd, buf, 10, 0)).isEqualTo(10);
            assertThat(sys.fstat(fd).nlink()).isZero();
            // close: EBADF the second time and for fds never opened
            for (int f : new int[]{fd, ro, wo, dir, tr}) {
                sys.close(f);
            }
            assertErrno(() -> sys.close(fd), Errno.EBADF);
            assertErrno(() -> sys.close(-1), Errno.EBADF);
            assertErrno(() -> sys.read(fd, buf, 1), Errno.EBADF);
            assertErrno(() -> sys.fstat(1000), Errno.EBADF);
            assertErrno(() -> sys.lseek(fd, 0, Seek.SEEK_SET), Errno.EBADF);
            // lseek on a pipe, pread on a pipe: ESPIPE
            int[] p = sys.pipe();
            assertErrno(() -> sys.lseek(p[0], 0, Seek.SEEK_SET), Errno.ESPIPE);
            assertErrno(() -> sys.pread(p[0], buf, 1, 0), Errno.ESPIPE);
            assertErrno(() -> sys.pwrite(p[1], buf, 1, 0), Errno.ESPIPE);
            sys.close(p[0]);
            sys.close(p[1]);
            sys.rmdir("/tmp/d");
            return 0;
        }).assertOk();
    }

    /** The process umask (022 unless changed: Linux's default for init). */
    private static int sysUmask() {
        return 022;
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void theImageIsWritableThroughTheUnionAndTmpIsWritable(Matrix m) throws Exception {
        Booted os = withImageFile(m);
        os.run((sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 4096);
            int fd = sys.open("/etc/motd", OpenFlags.O_RDONLY, 0);
            assertThat(readString(sys, fd, buf, 4096)).isEqualTo(new String(MOTD, StandardCharsets.UTF_8));
            assertThat(sys.fstat(fd).size()).isEqualTo(MOTD.length);
            // Occlum's root is a union: writing copies the image file up into the upper layer
            int w = sys.open("/etc/motd", OpenFlags.O_WRONLY, 0);
            sys.close(w);
            sys.close(sys.open("/etc/new", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0644));
            // an existing file with O_CREAT but without write access is fine (nothing is created)
            sys.close(sys.open("/etc/motd", OpenFlags.O_RDONLY | OpenFlags.O_CREAT, 0644));
            assertErrno(() -> sys.open("/etc/nope", OpenFlags.O_RDONLY, 0), Errno.ENOENT);
            sys.mkdir("/etc/x", 0755);
            sys.rmdir("/etc/x");
            assertErrno(() -> sys.mkdir("/etc", 0755), Errno.EEXIST);
            sys.unlink("/etc/new");
            assertErrno(() -> sys.unlink("/etc/nope"), Errno.ENOENT);
            assertErrno(() -> sys.ftruncate(fd, 0), Errno.EINVAL);
            assertErrno(() -> sys.write(fd, buf, 1), Errno.EBADF);
            // the image can be mapped privately and written in memory, never in the file
            long a = sys.mmap(0, 4096, io.jocclum.api.Mman.PROT_READ | io.jocclum.api.Mman.PROT_WRITE,
                    io.jocclum.api.Mman.MAP_PRIVATE, fd, 0);
            assertThat(sys.loadByte(a)).isEqualTo((byte) 'h');
            sys.storeByte(a, (byte) 'J');
            sys.munmap(a, 4096);
            assertThat(sys.pread(fd, buf, 1, 0)).isEqualTo(1);
            assertThat(sys.loadByte(buf)).isEqualTo((byte) 'h');
            sys.close(fd);
            // /tmp is writable
            int t = sys.open("/tmp/x", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
            put(sys, buf, "tmp");
            assertThat(sys.write(t, buf, 3)).isEqualTo(3);
            sys.close(t);
            assertThat(sys.stat("/tmp/x").size()).isEqualTo(3);
            sys.unlink("/tmp/x");
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void devNullZeroAndUrandom(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 8192);
            int nul = sys.open("/dev/null", OpenFlags.O_RDWR, 0);
            assertThat(sys.read(nul, buf, 100)).isZero();
            assertThat(sys.write(nul, buf, 8192)).isEqualTo(8192);
            assertThat(sys.fstat(nul).type()).isEqualTo(FileMode.S_IFCHR);
            // write_null never reads the buffer: no EFAULT for a bad one (/dev/zero writes the same way)
            assertThat(sys.write(nul, 16, 100)).isEqualTo(100);
            assertThat(sys.pwrite(nul, 16, 100, 5)).isEqualTo(100);
            int zero = sys.open("/dev/zero", OpenFlags.O_RDONLY, 0);
            assertErrno(() -> sys.write(zero, buf, 1), Errno.EBADF);
            int zw = sys.open("/dev/zero", OpenFlags.O_WRONLY, 0);
            assertThat(sys.write(zw, 16, 4096)).isEqualTo(4096);
            sys.close(zw);
            sys.fillBytes(buf, 8192, (byte) 0x77);
            assertThat(sys.read(zero, buf, 8000)).isEqualTo(8000);
            VmSyscallTest.assertZero(sys, buf, 8000, "/dev/zero");
            assertThat(sys.loadByte(buf + 8000)).as("no more than asked").isEqualTo((byte) 0x77);
            int ur = sys.open("/dev/urandom", OpenFlags.O_RDONLY, 0);
            sys.fillBytes(buf, 8192, (byte) 0);
            assertThat(sys.read(ur, buf, 64)).isEqualTo(64);
            assertThat(sys.read(ur, buf + 64, 64)).isEqualTo(64);
            byte[] b = new byte[128];
            sys.loadBytes(buf, b, 0, 128);
            assertThat(java.util.Arrays.copyOf(b, 64)).as("random bytes").isNotEqualTo(new byte[64])
                    .isNotEqualTo(java.util.Arrays.copyOfRange(b, 64, 128));
            for (int f : new int[]{nul, zero, ur}) {
                sys.close(f);
            }
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aBufferThatEndsInAnInaccessiblePageGivesAShortCountNotEfault(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long page = 4096;
            int fd = sys.open("/tmp/short", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            long buf = sys.mmap(0, 4 * page, io.jocclum.api.Mman.PROT_READ | io.jocclum.api.Mman.PROT_WRITE,
                    io.jocclum.api.Mman.MAP_PRIVATE | io.jocclum.api.Mman.MAP_ANONYMOUS, -1, 0);
            for (long i = 0; i < 4 * page; i += 8) {
                sys.storeLong(buf + i, i);
            }
            assertThat(sys.write(fd, buf, 4 * page)).isEqualTo(4 * page);
            sys.mprotect(buf + 2 * page, 2 * page, io.jocclum.api.Mman.PROT_NONE);
            // write(2): copy_from_user stops at the PROT_NONE page; the bytes before it are written
            sys.lseek(fd, 0, Seek.SEEK_SET);
            assertThat(sys.write(fd, buf + 8, 4 * page)).isEqualTo(2 * page - 8);
            assertThat(sys.lseek(fd, 0, Seek.SEEK_CUR)).isEqualTo(2 * page - 8);
            assertErrno(() -> sys.write(fd, buf + 2 * page, 8), Errno.EFAULT);
            assertThat(sys.lseek(fd, 0, Seek.SEEK_CUR)).as("a failed write moves nothing").isEqualTo(2 * page - 8);
            // read(2): the bytes copied before the bad page are returned and the position moves by them only
            sys.mprotect(buf + 2 * page, 2 * page, io.jocclum.api.Mman.PROT_READ);
            sys.lseek(fd, 0, Seek.SEEK_SET);
            assertThat(sys.read(fd, buf + page, 3 * page)).isEqualTo(page);
            assertThat(sys.lseek(fd, 0, Seek.SEEK_CUR)).as("position after a short read").isEqualTo(page);
            assertThat(sys.loadLong(buf + page)).as("file offset 0 (written from buf + 8)").isEqualTo(8);
            assertThat(sys.read(fd, buf + page, 8)).isEqualTo(8);
            assertThat(sys.loadLong(buf + page)).as("the next read continues where the short one ended").isEqualTo(page + 8);
            assertThat(sys.pread(fd, buf + page + 8, 2 * page, 0)).isEqualTo(page - 8);
            assertErrno(() -> sys.read(fd, buf + 2 * page, 8), Errno.EFAULT);
            // /dev/zero likewise
            int zero = sys.open("/dev/zero", OpenFlags.O_RDONLY, 0);
            assertThat(sys.read(zero, buf + page + 16, 2 * page)).isEqualTo(page - 16);
            assertThat(sys.loadLong(buf + 2 * page - 8)).isZero();
            sys.close(zero);
            sys.munmap(buf, 4 * page);
            sys.close(fd);
            sys.unlink("/tmp/short");
            return 0;
        }).assertOk();
    }

    @Test
    void hostfsMountWritesAreVisibleOnTheHost() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        Path root = os.os.built().paths().root();
        Files.writeString(root.resolve("from-host.txt"), "written by the host");
        os.run((sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 4096);
            int in = sys.open("/host/from-host.txt", OpenFlags.O_RDONLY, 0);
            assertThat(readString(sys, in, buf, 4096)).isEqualTo("written by the host");
            sys.close(in);
            sys.mkdir("/host/out", 0755);
            int fd = sys.open("/host/out/result.txt", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
            put(sys, buf, "written by the guest");
            assertThat(sys.write(fd, buf, 20)).isEqualTo(20);
            sys.close(fd);
            sys.unlink("/host/from-host.txt");
            return 0;
        }).assertOk();
        assertThat(Files.readString(root.resolve("out/result.txt"))).isEqualTo("written by the guest");
        assertThat(root.resolve("from-host.txt")).doesNotExist();
    }
}
