package io.jocclum.libos.fs;

import io.jocclum.api.DirEntry;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.FileMode;
import io.jocclum.api.Ioctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Seek;
import io.jocclum.api.Stat;
import io.jocclum.libos.support.FileLayerTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.SplittableRandom;

import static io.jocclum.api.OpenFlags.O_APPEND;
import static io.jocclum.api.OpenFlags.O_CREAT;
import static io.jocclum.api.OpenFlags.O_DIRECTORY;
import static io.jocclum.api.OpenFlags.O_EXCL;
import static io.jocclum.api.OpenFlags.O_NOFOLLOW;
import static io.jocclum.api.OpenFlags.O_RDONLY;
import static io.jocclum.api.OpenFlags.O_RDWR;
import static io.jocclum.api.OpenFlags.O_TRUNC;
import static io.jocclum.api.OpenFlags.O_WRONLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VfsTest extends FileLayerTest {

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (ErrnoException e) {
            return e.errno();
        }
        return null;
    }

    private static void assertErrno(Runnable r, Errno e) {
        assertThat(errno(r)).isEqualTo(e);
    }

    // ------------------------------------------------------------------ open errno table

    /** open(2) errors, on the read-only image and on /tmp (Linux path_openat/may_open order). */
    @ParameterizedTest(name = "open({0}, {1}) = {2}")
    @CsvSource({
        "/nope,                O_RDONLY,                 ENOENT",
        "/nope/x,              O_RDONLY|O_CREAT,         ENOENT",
        "/etc/hostname/x,      O_RDONLY,                 ENOTDIR",
        "/etc/hostname/,       O_RDONLY,                 ENOTDIR",
        "/etc/hostname,        O_RDONLY|O_DIRECTORY,     ENOTDIR",
        "/etc,                 O_WRONLY,                 EISDIR",
        "/etc,                 O_RDWR,                   EISDIR",
        "/etc,                 O_RDONLY|O_TRUNC,         EISDIR",
        "/etc,                 O_RDONLY|O_CREAT,         EISDIR",
        "/etc/new,             O_WRONLY|O_CREAT,         EROFS",
        "/etc/hostname,        O_WRONLY,                 EROFS",
        "/etc/hostname,        O_RDONLY|O_TRUNC,         EROFS",
        "/etc/hostname,        O_RDONLY|O_CREAT|O_EXCL,  EEXIST",
        "/etc,                 O_RDONLY|O_CREAT|O_EXCL,  EEXIST",
        "/tmp/new/,            O_WRONLY|O_CREAT,         EISDIR",
        "/tmp/d,               O_RDONLY|O_CREAT|O_DIRECTORY, EINVAL",
        "'',                   O_RDONLY,                 ENOENT",
        "/dev/nope,            O_WRONLY|O_CREAT,         EROFS",
    })
    void openErrnos(String path, String flags, String expected) {
        assertErrno(() -> vfs.open(c, path, parse(flags), 0644), Errno.valueOf(expected));
    }

    static int parse(String flags) {
        int f = 0;
        for (String s : flags.split("\\|")) {
            f |= switch (s.trim()) {
                case "O_RDONLY" -> O_RDONLY;
                case "O_WRONLY" -> O_WRONLY;
                case "O_RDWR" -> O_RDWR;
                case "O_CREAT" -> O_CREAT;
                case "O_EXCL" -> O_EXCL;
                case "O_TRUNC" -> O_TRUNC;
                case "O_DIRECTORY" -> O_DIRECTORY;
                default -> throw new IllegalArgumentException(s);
            };
        }
        return f;
    }

    @Test
    void nameTooLong() {
        assertErrno(() -> vfs.open(c, "/tmp/" + "x".repeat(256), O_CREAT | O_WRONLY, 0644), Errno.ENAMETOOLONG);
        assertThat(vfs.open(c, "/tmp/" + "x".repeat(255), O_CREAT | O_WRONLY, 0644)).isNotNegative();
        assertErrno(() -> vfs.open(c, "/tmp/" + "a/".repeat(2048), O_RDONLY, 0), Errno.ENAMETOOLONG);
    }

    @Test
    void readAndWriteRespectTheAccessMode() {
        int r = vfs.open(c, "/etc/hostname", O_RDONLY, 0);
        assertErrno(() -> FileCalls.write(c, r, bytes("x")), Errno.EBADF);
        int w = vfs.open(c, "/tmp/f", O_CREAT | O_WRONLY, 0600);
        assertErrno(() -> FileCalls.read(c, w, ByteBuffer.allocate(1)), Errno.EBADF);
        assertErrno(() -> FileCalls.pread(c, w, ByteBuffer.allocate(1), 0), Errno.EBADF);
        int d = vfs.open(c, "/etc", O_RDONLY, 0);
        assertErrno(() -> FileCalls.read(c, d, ByteBuffer.allocate(1)), Errno.EISDIR);
        assertErrno(() -> FileCalls.ftruncate(c, r, 0), Errno.EINVAL);
        assertErrno(() -> FileCalls.ftruncate(c, w, -1), Errno.EINVAL);
        assertErrno(() -> FileCalls.ftruncate(c, 99, 0), Errno.EBADF);
        assertErrno(() -> FileCalls.ftruncate(c, d, 0), Errno.EINVAL);
    }

    // ------------------------------------------------------------------ regular files on /tmp

    @Test
    void writeReadSeekPreadPwriteAppendTruncateOnTmpfs() {
        int fd = vfs.open(c, "/tmp/data", O_CREAT | O_RDWR, 0640);
        assertThat(FileCalls.write(c, fd, bytes("hello world"))).isEqualTo(11);
        assertThat(FileCalls.lseek(c, fd, 0, Seek.SEEK_CUR)).isEqualTo(11);
        assertThat(FileCalls.lseek(c, fd, 6, Seek.SEEK_SET)).isEqualTo(6);
        ByteBuffer b = ByteBuffer.allocate(32);
        assertThat(string(b, FileCalls.read(c, fd, b))).isEqualTo("world");
        assertThat(FileCalls.read(c, fd, ByteBuffer.allocate(4))).as("EOF").isZero();
        assertThat(FileCalls.pwrite(c, fd, bytes("HELLO"), 0)).isEqualTo(5);
        assertThat(FileCalls.lseek(c, fd, 0, Seek.SEEK_CUR)).as("pwrite leaves the offset").isEqualTo(11);
        ByteBuffer p = ByteBuffer.allocate(5);
        FileCalls.pread(c, fd, p, 0);
        assertThat(string(p, 5)).isEqualTo("HELLO");
        // a hole reads as zeros
        assertThat(FileCalls.lseek(c, fd, 10_000, Seek.SEEK_SET)).isEqualTo(10_000);
        FileCalls.write(c, fd, bytes("!"));
        ByteBuffer hole = ByteBuffer.allocate(100);
        FileCalls.pread(c, fd, hole, 5000);
        assertThat(hole.array()).containsOnly(0);
        assertThat(FileCalls.fstat(c, fd).size()).isEqualTo(10_001);
        FileCalls.ftruncate(c, fd, 3);
        assertThat(FileCalls.fstat(c, fd).size()).isEqualTo(3);
        assertThat(FileCalls.lseek(c, fd, -1, Seek.SEEK_END)).isEqualTo(2);
        assertErrno(() -> FileCalls.lseek(c, fd, -4, Seek.SEEK_END), Errno.EINVAL);
        assertErrno(() -> FileCalls.lseek(c, fd, 0, 7), Errno.EINVAL);
        assertErrno(() -> FileCalls.pread(c, fd, ByteBuffer.allocate(1), -1), Errno.EINVAL);
        FileCalls.ftruncate(c, fd, 8192);
        ByteBuffer tail = ByteBuffer.allocate(8192);
        assertThat(FileCalls.pread(c, fd, tail, 0)).isEqualTo(8192);
        assertThat(tail.get(3)).as("bytes past an earlier truncate read as zero").isZero();
        assertThat(string(tail, 3)).isEqualTo("HEL");
    }

    @Test
    void appendWritesGoToTheEndEvenForPwrite() {
        int a = vfs.open(c, "/tmp/log", O_CREAT | O_WRONLY | O_APPEND, 0600);
        int b = vfs.open(c, "/tmp/log", O_WRONLY, 0);
        FileCalls.write(c, b, bytes("0123456789"));
        FileCalls.write(c, a, bytes("ab"));
        assertThat(FileCalls.lseek(c, a, 0, Seek.SEEK_CUR)).isEqualTo(12);
        FileCalls.pwrite(c, a, bytes("cd"), 0);
        ByteBuffer all = ByteBuffer.allocate(20);
        int n = FileCalls.pread(c, vfs.open(c, "/tmp/log", O_RDONLY, 0), all, 0);
        assertThat(string(all, n)).isEqualTo("0123456789abcd");
    }

    @Test
    void truncOnOpenAndExclusiveCreate() {
        int fd = vfs.open(c, "/tmp/t", O_CREAT | O_EXCL | O_WRONLY, 0600);
        FileCalls.write(c, fd, bytes("abc"));
        assertErrno(() -> vfs.open(c, "/tmp/t", O_CREAT | O_EXCL | O_WRONLY, 0600), Errno.EEXIST);
        vfs.open(c, "/tmp/t", O_WRONLY | O_TRUNC, 0);
        assertThat(vfs.stat(c, "/tmp/t").size()).isZero();
    }

    @Test
    void modeHonoursUmaskAndStatReportsTypeAndOwner() {
        c.fs().setUmask(027);
        vfs.open(c, "/tmp/m", O_CREAT | O_WRONLY, 0777);
        Stat s = vfs.stat(c, "/tmp/m");
        assertThat(s.type()).isEqualTo(FileMode.S_IFREG);
        assertThat(s.permissions()).isEqualTo(0750);
        assertThat(s.nlink()).isEqualTo(1);
        vfs.mkdir(c, "/tmp/dir", 0777);
        assertThat(vfs.stat(c, "/tmp/dir").permissions()).isEqualTo(0750);
        assertThat(vfs.stat(c, "/tmp/dir").isDirectory()).isTrue();
        assertThat(vfs.stat(c, "/tmp/m").ino()).isNotEqualTo(vfs.stat(c, "/tmp/dir").ino());
        assertThat(vfs.stat(c, "/tmp").dev()).isNotEqualTo(vfs.stat(c, "/etc").dev());
    }

    @Test
    void unlinkedFileStaysUsableThroughOpenDescriptors() {
        int fd = vfs.open(c, "/tmp/gone", O_CREAT | O_RDWR, 0600);
        FileCalls.write(c, fd, bytes("still here"));
        vfs.unlink(c, "/tmp/gone");
        assertErrno(() -> vfs.stat(c, "/tmp/gone"), Errno.ENOENT);
        assertThat(FileCalls.fstat(c, fd).nlink()).isZero();
        ByteBuffer b = ByteBuffer.allocate(20);
        assertThat(string(b, FileCalls.pread(c, fd, b, 0))).isEqualTo("still here");
    }

    @Test
    void tmpfsCapacityGivesEnospcAndPartialWrites() {
        Vfs small = Vfs.builder().image(image).tmpfs("/tmp", 8192).random(new SplittableRandom(1)).build();
        int fd = small.open(c, "/tmp/big", O_CREAT | O_WRONLY, 0600);
        assertThat(FileCalls.write(c, fd, ByteBuffer.allocate(10_000))).as("two pages fit").isEqualTo(8192);
        assertErrno(() -> FileCalls.write(c, fd, ByteBuffer.allocate(10)), Errno.ENOSPC);
        small.unlink(c, "/tmp/big");
        FileCalls.close(c, fd);
        int again = small.open(c, "/tmp/again", O_CREAT | O_WRONLY, 0600);
        assertThat(FileCalls.write(c, again, ByteBuffer.allocate(8192))).as("unlinked and closed: space is back").isEqualTo(8192);
    }

    // ------------------------------------------------------------------ directories

    @Test
    void mkdirRmdirUnlinkErrnos() {
        vfs.mkdir(c, "/tmp/a", 0755);
        assertErrno(() -> vfs.mkdir(c, "/tmp/a", 0755), Errno.EEXIST);
        assertErrno(() -> vfs.mkdir(c, "/tmp/x/y", 0755), Errno.ENOENT);
        assertErrno(() -> vfs.mkdir(c, "/etc/new", 0755), Errno.EROFS);
        assertErrno(() -> vfs.mkdir(c, "/etc", 0755), Errno.EEXIST);
        vfs.open(c, "/tmp/a/f", O_CREAT | O_WRONLY, 0644);
        assertErrno(() -> vfs.rmdir(c, "/tmp/a"), Errno.ENOTEMPTY);
        assertErrno(() -> vfs.rmdir(c, "/tmp/a/f"), Errno.ENOTDIR);
        assertErrno(() -> vfs.unlink(c, "/tmp/a"), Errno.EISDIR);
        assertErrno(() -> vfs.unlink(c, "/tmp/a/nope"), Errno.ENOENT);
        assertErrno(() -> vfs.rmdir(c, "/tmp/a/."), Errno.EINVAL);
        assertErrno(() -> vfs.rmdir(c, "/tmp/a/.."), Errno.ENOTEMPTY);
        assertErrno(() -> vfs.rmdir(c, "/tmp"), Errno.EBUSY);
        assertErrno(() -> vfs.rmdir(c, "/"), Errno.EBUSY);
        assertErrno(() -> vfs.unlink(c, "/etc/hostname"), Errno.EROFS);
        assertErrno(() -> vfs.unlink(c, "/etc/none"), Errno.ENOENT);
        assertErrno(() -> vfs.unlink(c, "/dev/null"), Errno.EROFS);
        vfs.unlink(c, "/tmp/a/f");
        vfs.rmdir(c, "/tmp/a");
        assertErrno(() -> vfs.stat(c, "/tmp/a"), Errno.ENOENT);
    }

    @Test
    void dotDotAndMountPointsResolveExactly() {
        assertThat(vfs.stat(c, "/tmp/../etc/./hostname").size()).isEqualTo(8);
        assertThat(vfs.stat(c, "/../../etc/hostname").ino()).isEqualTo(vfs.stat(c, "/etc/hostname").ino());
        assertThat(vfs.stat(c, "//tmp//").dev()).isEqualTo(vfs.stat(c, "/tmp").dev());
        vfs.chdir(c, "/tmp");
        vfs.mkdir(c, "sub", 0755);
        vfs.chdir(c, "sub");
        assertThat(vfs.getcwd(c)).isEqualTo("/tmp/sub");
        assertThat(vfs.stat(c, "../../etc/hostname").size()).isEqualTo(8);
        int fd = vfs.open(c, "rel", O_CREAT | O_WRONLY, 0644);
        assertThat(fd).isNotNegative();
        assertThat(vfs.stat(c, "/tmp/sub/rel").isRegular()).isTrue();
        assertErrno(() -> vfs.chdir(c, "/etc/hostname"), Errno.ENOTDIR);
    }

    @Test
    void openatRelativeToADirectoryDescriptor() {
        vfs.mkdir(c, "/tmp/d", 0755);
        int dfd = vfs.open(c, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
        int fd = vfs.openat(c, dfd, "x", O_CREAT | O_WRONLY, 0644);
        FileCalls.write(c, fd, bytes("at"));
        assertThat(vfs.stat(c, "/tmp/d/x").size()).isEqualTo(2);
        int file = vfs.open(c, "/etc/hostname", O_RDONLY, 0);
        assertErrno(() -> vfs.openat(c, file, "x", O_RDONLY, 0), Errno.ENOTDIR);
        assertThat(vfs.openat(c, file, "/etc/hostname", O_RDONLY, 0)).as("absolute paths ignore dirfd").isNotNegative();
    }

    @Test
    void getdents64ListsDotEntriesFilesAndMountPoints() {
        int fd = vfs.open(c, "/", O_RDONLY | O_DIRECTORY, 0);
        List<DirEntry> all = FileCalls.readdir(c, fd);
        assertThat(all).extracting(DirEntry::name).containsExactly(".", "..", "bin", "etc", "dev", "host", "tmp");
        assertThat(all.get(2).type()).isEqualTo(FileMode.DT_DIR);
        assertThat(FileCalls.readdir(c, fd)).as("at the end").isEmpty();
        FileCalls.lseek(c, fd, 0, Seek.SEEK_SET);
        ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        int n = FileCalls.getdents64(c, fd, buf);
        assertThat(n).isEqualTo(24 + 24); // "." and ".." records of 24 bytes; "bin" does not fit
        assertThat(buf.getShort(16)).isEqualTo((short) 24);
        assertThat(buf.get(18)).isEqualTo((byte) FileMode.DT_DIR);
        assertThat(buf.get(19)).isEqualTo((byte) '.');
        assertThat(buf.getLong(8)).as("d_off of the first entry").isEqualTo(1);
        ByteBuffer tiny = ByteBuffer.allocate(10);
        assertErrno(() -> FileCalls.getdents64(c, fd, tiny), Errno.EINVAL);
        int file = vfs.open(c, "/etc/hostname", O_RDONLY, 0);
        assertErrno(() -> FileCalls.getdents64(c, file, buf), Errno.ENOTDIR);
        int dev = vfs.open(c, "/dev", O_RDONLY, 0);
        assertThat(FileCalls.readdir(c, dev)).extracting(DirEntry::name).containsExactly(".", "..", "null", "urandom", "zero");
    }

    // ------------------------------------------------------------------ devices

    @Test
    void devNullZeroUrandom() {
        int nul = vfs.open(c, "/dev/null", O_RDWR, 0);
        assertThat(FileCalls.read(c, nul, ByteBuffer.allocate(10))).isZero();
        ByteBuffer data = bytes("discard me");
        assertThat(FileCalls.write(c, nul, data)).isEqualTo(10);
        assertThat(data.hasRemaining()).isFalse();
        int zero = vfs.open(c, "/dev/zero", O_RDONLY, 0);
        ByteBuffer z = ByteBuffer.allocateDirect(10_000);
        for (int i = 0; i < z.capacity(); i++) {
            z.put(i, (byte) 7);
        }
        assertThat(FileCalls.read(c, zero, z)).isEqualTo(10_000);
        for (int i = 0; i < z.capacity(); i++) {
            assertThat(z.get(i)).isZero();
        }
        int ur = vfs.open(c, "/dev/urandom", O_RDONLY, 0);
        ByteBuffer r1 = ByteBuffer.allocate(13);
        FileCalls.read(c, ur, r1);
        Vfs same = Vfs.builder().image(image).random(new SplittableRandom(42)).build();
        int ur2 = same.open(c, "/dev/urandom", O_RDONLY, 0);
        ByteBuffer r2 = ByteBuffer.allocate(13);
        FileCalls.read(c, ur2, r2);
        assertThat(r1.array()).as("urandom comes from the injected seeded generator").isEqualTo(r2.array());
        assertThat(r1.array()).isNotEqualTo(new byte[13]);
        Stat s = FileCalls.fstat(c, nul);
        assertThat(s.type()).isEqualTo(FileMode.S_IFCHR);
        assertThat(s.rdev()).isEqualTo(0x103);
        assertThat(FileCalls.lseek(c, zero, 100, Seek.SEEK_SET)).isZero();
        assertThat(c.files().get(nul).isPollable()).as("character devices without poll: epoll gives EPERM").isFalse();
    }

    // ------------------------------------------------------------------ hostfs and image symlinks

    @Test
    void hostfsIsWritableAndBackedByTheHostDirectory() throws IOException {
        int fd = vfs.open(c, "/host/out.txt", O_CREAT | O_WRONLY, 0644);
        FileCalls.write(c, fd, bytes("to the host"));
        assertThat(Files.readString(hostDir.resolve("out.txt"))).isEqualTo("to the host");
        vfs.mkdir(c, "/host/sub", 0755);
        assertThat(Files.isDirectory(hostDir.resolve("sub"))).isTrue();
        Files.writeString(hostDir.resolve("sub/in.txt"), "from the host");
        ByteBuffer b = ByteBuffer.allocate(64);
        assertThat(string(b, FileCalls.read(c, vfs.open(c, "/host/sub/in.txt", O_RDONLY, 0), b))).isEqualTo("from the host");
        assertErrno(() -> vfs.rmdir(c, "/host/sub"), Errno.ENOTEMPTY);
        vfs.unlink(c, "/host/sub/in.txt");
        vfs.rmdir(c, "/host/sub");
        assertThat(Files.exists(hostDir.resolve("sub"))).isFalse();
        FileCalls.ftruncate(c, fd, 100);
        assertThat(Files.size(hostDir.resolve("out.txt"))).isEqualTo(100);
        FileCalls.ftruncate(c, fd, 2);
        assertThat(Files.readString(hostDir.resolve("out.txt"))).isEqualTo("to");
        assertThat(vfs.stat(c, "/host/out.txt").ino()).as("stable inode").isEqualTo(vfs.stat(c, "/host/out.txt").ino());
    }

    @Test
    void symlinksInHostDirectoriesResolveInsideTheLibosNamespace() throws IOException {
        Files.createSymbolicLink(image.resolve("etc/abs"), java.nio.file.Path.of("/etc/hostname"));
        Files.createSymbolicLink(image.resolve("etc/rel"), java.nio.file.Path.of("hostname"));
        Files.createSymbolicLink(image.resolve("etc/up"), java.nio.file.Path.of("../tmp"));
        Files.createSymbolicLink(image.resolve("etc/loop"), java.nio.file.Path.of("loop"));
        Files.createSymbolicLink(hostDir.resolve("escape"), java.nio.file.Path.of("/etc/hostname"));
        assertThat(vfs.stat(c, "/etc/abs").size()).isEqualTo(8);
        assertThat(vfs.stat(c, "/etc/rel").size()).isEqualTo(8);
        assertThat(vfs.lstat(c, "/etc/rel").type()).isEqualTo(FileMode.S_IFLNK);
        assertThat(vfs.readlink(c, "/etc/rel")).isEqualTo("hostname");
        assertThat(vfs.stat(c, "/etc/up").dev()).as("../tmp from /etc is the tmpfs mount").isEqualTo(vfs.stat(c, "/tmp").dev());
        assertErrno(() -> vfs.stat(c, "/etc/loop"), Errno.ELOOP);
        assertErrno(() -> vfs.open(c, "/etc/rel", O_RDONLY | O_NOFOLLOW, 0), Errno.ELOOP);
        assertErrno(() -> vfs.readlink(c, "/etc/hostname"), Errno.EINVAL);
        // a hostfs link to an absolute path means the LibOS path, not the host's /etc
        assertThat(vfs.stat(c, "/host/escape").ino()).isEqualTo(vfs.stat(c, "/etc/hostname").ino());
    }

    // ------------------------------------------------------------------ permissions

    @Test
    void unprivilegedCallersGetEacces() {
        Caller user = c.withCredentials(new Credentials(1000, 1000));
        vfs.open(c, "/tmp/secret", O_CREAT | O_WRONLY, 0600);
        assertErrno(() -> vfs.open(user, "/tmp/secret", O_RDONLY, 0), Errno.EACCES);
        vfs.mkdir(c, "/tmp/closed", 0700);
        assertErrno(() -> vfs.open(user, "/tmp/closed/x", O_CREAT | O_WRONLY, 0644), Errno.EACCES);
        assertErrno(() -> vfs.stat(user, "/tmp/closed/x"), Errno.EACCES);
        int mine = vfs.open(user, "/tmp/mine", O_CREAT | O_RDWR, 0600);
        assertThat(FileCalls.fstat(user, mine).uid()).isEqualTo(1000);
        assertErrno(() -> vfs.open(user, "/etc/hostname", O_WRONLY, 0), Errno.EROFS);
    }

    // ------------------------------------------------------------------ what file-backed mmap uses

    @Test
    void regularFileOffersPositionalIoSizeIdentityAndWritability() {
        int fd = vfs.open(c, "/tmp/map", O_CREAT | O_RDWR, 0600);
        RegularFile f = (RegularFile) c.files().get(fd);
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        page.put(0, "mapped".getBytes(StandardCharsets.UTF_8));
        assertThat(f.writeAt(page, 4096)).isEqualTo(4096);
        assertThat(f.size()).isEqualTo(8192);
        ByteBuffer back = ByteBuffer.allocate(6);
        f.readAt(back, 4096);
        assertThat(string(back, 6)).isEqualTo("mapped");
        assertThat(f.position()).isZero();
        assertThat(f.writable()).isTrue();
        int ro = vfs.open(c, "/tmp/map", O_RDONLY, 0);
        RegularFile g = (RegularFile) c.files().get(ro);
        assertThat(g.id()).isEqualTo(f.id());
        assertThat(g.writable()).isFalse();
        RegularFile img = (RegularFile) c.files().get(vfs.open(c, "/bin/hello", O_RDONLY, 0));
        assertThat(img.writable()).isFalse();
        assertThat(img.id()).isNotEqualTo(f.id());
        ByteBuffer arg = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        FileCalls.ioctl(c, ro, Ioctls.FIONREAD, arg);
        assertThat(arg.getInt(0)).isEqualTo(8192);
    }

    @Test
    void unsupportedOpenFlagsAreRefused() {
        assertErrno(() -> vfs.open(c, "/tmp", OpenFlags.O_TMPFILE | O_RDWR, 0600), Errno.EOPNOTSUPP);
        assertErrno(() -> vfs.open(c, "/tmp", OpenFlags.O_PATH, 0), Errno.EOPNOTSUPP);
        assertThatThrownBy(() -> Vfs.builder().tmpfs("/tmp", 1).random(new SplittableRandom(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("root");
    }
}
