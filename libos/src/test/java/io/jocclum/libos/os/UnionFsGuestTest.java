package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SockAddrUn;
import io.jocclum.api.Socket;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.layout.BuiltEnclave;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Occlum's root file system seen by a guest: the image under a writable upper layer (copy-up,
 * whiteouts, opaque directories, renames, one tree in stat and getdents; Occlum's
 * {@code rcore-fs-unionfs} and Linux overlayfs, Documentation/filesystems/overlayfs.rst), kept
 * across boots in an encrypted SEFS, and what a host that changes or rolls back SEFS files gets:
 * EIO for the guest, never a crash.
 */
class UnionFsGuestTest extends OsTestBase {
    private static final Matrix M = Matrix.PLAIN_ON_SGX2;
    private static final InstantSource WALL = InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z"));

    @TempDir
    Path tmp;

    private BuiltEnclave image() {
        return instance("union", false, b -> b.file("etc/motd", bytes("hello from the image\n"))
                .file("etc/conf/a.conf", bytes("a=1\n")).file("etc/conf/b.conf", bytes("b=2\n"))
                .file("var/lib/data", bytes("data\n")));
    }

    private Booted bootWith(Path upper) {
        return Booted.boot(image(), M, PLATFORM, WALL, upper);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String cat(Syscalls sys, String path) {
        int fd = sys.open(path, OpenFlags.O_RDONLY, 0);
        try {
            return Libc.readAll(sys, fd);
        } finally {
            sys.close(fd);
        }
    }

    static void write(Syscalls sys, String path, int flags, String text) {
        int fd = sys.open(path, OpenFlags.O_WRONLY | flags, 0644);
        try {
            byte[] b = bytes(text);
            long buf = Libc.alloc(sys, Math.max(1, b.length));
            sys.storeBytes(buf, b, 0, b.length);
            assertThat(Libc.writeFully(sys, fd, buf, b.length)).isEqualTo(b.length);
            Libc.free(sys, buf, Math.max(1, b.length));
        } finally {
            sys.close(fd);
        }
    }

    /** The names getdents64 lists in {@code path}, "." and ".." included. */
    static List<String> ls(Syscalls sys, String path) {
        int fd = sys.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        int size = 1 << 16;
        long buf = Libc.alloc(sys, size);
        List<String> names = new ArrayList<>();
        try {
            for (;;) {
                int n = (int) sys.getdents64(fd, buf, size);
                if (n == 0) {
                    return names;
                }
                byte[] b = new byte[n];
                sys.loadBytes(buf, b, 0, n);
                int at = 0;
                while (at < n) {
                    int reclen = (b[at + 16] & 0xff) | (b[at + 17] & 0xff) << 8;
                    int end = at + 19;
                    while (b[end] != 0) {
                        end++;
                    }
                    names.add(new String(b, at + 19, end - at - 19, StandardCharsets.UTF_8));
                    at += reclen;
                }
            }
        } finally {
            Libc.free(sys, buf, size);
            sys.close(fd);
        }
    }

    @Test
    void guestsWriteAnywhereAndSeeOneTree() throws Exception {
        try (Booted os = bootWith(Files.createDirectories(tmp.resolve("upper")))) {
            os.run((sys, argv, envp) -> {
                // new files and directories anywhere, as on Linux
                sys.mkdir("/root", 0700);
                write(sys, "/root/notes", OpenFlags.O_CREAT, "mine\n");
                sys.mkdir("/var/log", 0755);
                write(sys, "/var/log/app.log", OpenFlags.O_CREAT | OpenFlags.O_APPEND, "one\n");
                write(sys, "/var/log/app.log", OpenFlags.O_APPEND, "two\n");
                assertThat(cat(sys, "/var/log/app.log")).isEqualTo("one\ntwo\n");
                // copy-up: the image file changes for the guest only
                write(sys, "/etc/motd", OpenFlags.O_TRUNC, "changed\n");
                assertThat(cat(sys, "/etc/motd")).isEqualTo("changed\n");
                assertThat(sys.stat("/etc/motd").size()).isEqualTo(8);
                assertThat(sys.stat("/etc/motd").permissions()).as("copy-up keeps the mode").isEqualTo(0644);
                // merged directories: image entries and new ones, sorted, hidden markers never shown
                write(sys, "/etc/conf/c.conf", OpenFlags.O_CREAT, "c=3\n");
                assertThat(ls(sys, "/etc/conf")).containsExactly(".", "..", "a.conf", "b.conf", "c.conf");
                assertThat(ls(sys, "/")).contains("bin", "etc", "root", "var").noneMatch(n -> n.startsWith(".ufs."));
                assertThat(ls(sys, "/var")).containsExactly(".", "..", "lib", "log");
                // st_ino stays with the file; stat and fstat agree
                int fd = sys.open("/etc/conf/a.conf", OpenFlags.O_RDONLY, 0);
                assertThat(sys.fstat(fd).ino()).isEqualTo(sys.stat("/etc/conf/a.conf").ino());
                sys.close(fd);
                // the union's reserved names cannot be made
                assertErrno(() -> sys.open("/etc/.ufs.wh.motd", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0644), Errno.EINVAL);
                assertErrno(() -> sys.mkdir("/.ufs.opq.x", 0755), Errno.EINVAL);
                assertErrno(() -> sys.open("/.ufs.mac", OpenFlags.O_RDONLY, 0), Errno.ENOENT);
                return 0;
            }).assertOk();
        }
    }

    @Test
    void whiteoutsAndOpaqueDirectories() throws Exception {
        try (Booted os = bootWith(Files.createDirectories(tmp.resolve("upper")))) {
            os.run((sys, argv, envp) -> {
                // unlink of an image file leaves a whiteout: the name is gone, a new file starts empty
                sys.unlink("/etc/motd");
                assertErrno(() -> sys.stat("/etc/motd"), Errno.ENOENT);
                assertThat(ls(sys, "/etc")).doesNotContain("motd");
                write(sys, "/etc/motd", OpenFlags.O_CREAT | OpenFlags.O_EXCL, "new\n");
                assertThat(cat(sys, "/etc/motd")).isEqualTo("new\n");
                // an image directory: ENOTEMPTY until emptied through the union, then gone
                assertErrno(() -> sys.rmdir("/etc/conf"), Errno.ENOTEMPTY);
                sys.unlink("/etc/conf/a.conf");
                sys.unlink("/etc/conf/b.conf");
                assertThat(ls(sys, "/etc/conf")).containsExactly(".", "..");
                sys.rmdir("/etc/conf");
                assertErrno(() -> sys.stat("/etc/conf"), Errno.ENOENT);
                // made again it is opaque: the image's entries do not come back
                sys.mkdir("/etc/conf", 0755);
                assertThat(ls(sys, "/etc/conf")).containsExactly(".", "..");
                assertErrno(() -> sys.stat("/etc/conf/a.conf"), Errno.ENOENT);
                write(sys, "/etc/conf/a.conf", OpenFlags.O_CREAT, "mine\n");
                assertThat(cat(sys, "/etc/conf/a.conf")).isEqualTo("mine\n");
                return 0;
            }).assertOk();
        }
    }

    @Test
    void renamesFollowOcclumsUnion() throws Exception {
        try (Booted os = bootWith(Files.createDirectories(tmp.resolve("upper")))) {
            os.run((sys, argv, envp) -> {
                long ino = sys.stat("/etc/motd").ino();
                sys.rename("/etc/motd", "/etc/motd.old");
                assertThat(cat(sys, "/etc/motd.old")).isEqualTo("hello from the image\n");
                assertThat(sys.stat("/etc/motd.old").ino()).as("the inode number follows the file").isEqualTo(ino);
                assertErrno(() -> sys.stat("/etc/motd"), Errno.ENOENT);
                assertThat(ls(sys, "/etc")).contains("motd.old").doesNotContain("motd");
                // replacing an existing (image) file
                sys.rename("/etc/motd.old", "/var/lib/data");
                assertThat(cat(sys, "/var/lib/data")).isEqualTo("hello from the image\n");
                // a directory of the image cannot move (no redirect_dir), a new one can, with its children
                assertErrno(() -> sys.rename("/etc/conf", "/etc/conf2"), Errno.EXDEV);
                sys.mkdir("/srv", 0755);
                sys.mkdir("/srv/a", 0755);
                write(sys, "/srv/a/f", OpenFlags.O_CREAT, "f\n");
                sys.rename("/srv/a", "/srv/b");
                assertThat(cat(sys, "/srv/b/f")).isEqualTo("f\n");
                // Linux's errnos
                assertErrno(() -> sys.rename("/srv/none", "/srv/x"), Errno.ENOENT);
                assertErrno(() -> sys.rename("/srv/b", "/srv/b/c"), Errno.EINVAL);
                assertErrno(() -> sys.rename("/srv/b/f", "/srv"), Errno.EISDIR);
                assertErrno(() -> sys.rename("/srv/b", "/srv/b/f"), Errno.EINVAL);
                sys.mkdir("/srv/c", 0755);
                assertErrno(() -> sys.rename("/srv/c", "/srv/b/f"), Errno.ENOTDIR);
                assertErrno(() -> sys.rename("/srv/c", "/srv"), Errno.ENOTEMPTY); // onto an ancestor, as Linux
                sys.mkdir("/srv/d", 0755);
                write(sys, "/srv/d/g", OpenFlags.O_CREAT, "g\n");
                assertErrno(() -> sys.rename("/srv/c", "/srv/d"), Errno.ENOTEMPTY);
                assertErrno(() -> sys.rename("/srv/.", "/srv/e"), Errno.EBUSY);
                assertErrno(() -> sys.rename("/srv/b/f", "/tmp/f"), Errno.EXDEV);
                sys.rename("/srv/b/f", "/srv/b/f"); // the same file: nothing
                assertThat(cat(sys, "/srv/b/f")).isEqualTo("f\n");
                return 0;
            }).assertOk();
        }
    }

    /** getdents64's d_type of each name in {@code path}. */
    static java.util.Map<String, Integer> types(Syscalls sys, String path) {
        int fd = sys.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        int size = 1 << 16;
        long buf = Libc.alloc(sys, size);
        java.util.Map<String, Integer> types = new java.util.TreeMap<>();
        try {
            for (int n; (n = (int) sys.getdents64(fd, buf, size)) > 0;) {
                byte[] b = new byte[n];
                sys.loadBytes(buf, b, 0, n);
                for (int at = 0; at < n; at += (b[at + 16] & 0xff) | (b[at + 17] & 0xff) << 8) {
                    int end = at + 19;
                    while (b[end] != 0) {
                        end++;
                    }
                    types.put(new String(b, at + 19, end - at - 19, StandardCharsets.UTF_8), (int) b[at + 18]);
                }
            }
            return types;
        } finally {
            Libc.free(sys, buf, size);
            sys.close(fd);
        }
    }

    @Test
    void anAfUnixBindInTheRootMakesASocketFileThatStaysUntilUnlinked() throws Exception {
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        SockAddrUn name = SockAddrUn.path("/etc/conf/srv.sock"); // a directory of the image: copied up
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                sys.bind(l, name);
                sys.listen(l, 4);
                Stat st = sys.stat("/etc/conf/srv.sock");
                assertThat(st.mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFSOCK);
                assertThat(st.size()).isZero();
                assertThat(sys.lstat("/etc/conf/srv.sock").ino()).isEqualTo(st.ino());
                assertThat(types(sys, "/etc/conf")).containsEntry("srv.sock", FileMode.DT_SOCK)
                        .containsEntry("a.conf", FileMode.DT_REG).doesNotContainKey(".ufs.wh.srv.sock");
                assertErrno(() -> sys.open("/etc/conf/srv.sock", OpenFlags.O_RDWR, 0), Errno.ENXIO);
                // the name leads to the socket
                int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                sys.connect(c, name);
                int a = sys.accept(l);
                assertThat(GuestOps.write(sys, c, bytes("through the root"))).isEqualTo(16);
                assertThat(new String(GuestOps.read(sys, a, 100), StandardCharsets.UTF_8)).isEqualTo("through the root");
                // a name that exists, a socket or not, in either layer: EADDRINUSE
                int l2 = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                assertErrno(() -> sys.bind(l2, name), Errno.EADDRINUSE);
                assertErrno(() -> sys.bind(l2, SockAddrUn.path("/etc/motd")), Errno.EADDRINUSE);
                assertErrno(() -> sys.bind(l2, SockAddrUn.path("/etc/conf")), Errno.EADDRINUSE);
                // unlink removes the name, not the bound socket; the name is free again
                sys.unlink("/etc/conf/srv.sock");
                assertErrno(() -> sys.stat("/etc/conf/srv.sock"), Errno.ENOENT);
                assertThat(ls(sys, "/etc/conf")).doesNotContain("srv.sock");
                int c2 = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                assertErrno(() -> sys.connect(c2, name), Errno.ENOENT);
                assertThat(GuestOps.write(sys, a, bytes("still"))).isEqualTo(5);
                sys.bind(l2, name);
                // closing the socket leaves the file, which then refuses connections
                sys.close(l2);
                assertThat(sys.stat("/etc/conf/srv.sock").mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFSOCK);
                assertErrno(() -> sys.connect(c2, name), Errno.ECONNREFUSED);
                // a name over a whiteout of an image file, and at the top of the root
                sys.unlink("/etc/motd");
                int l3 = sys.socket(Socket.AF_UNIX, Socket.SOCK_DGRAM, 0);
                sys.bind(l3, SockAddrUn.path("/etc/motd"));
                assertThat(sys.stat("/etc/motd").mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFSOCK);
                int l4 = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                sys.bind(l4, SockAddrUn.path("/top.sock"));
                assertThat(types(sys, "/")).containsEntry("top.sock", FileMode.DT_SOCK);
                return 0;
            }).assertOk();
        }
        // the files are kept across boots, as on a disk; no socket is bound to them any more
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                assertThat(types(sys, "/etc/conf")).containsEntry("srv.sock", FileMode.DT_SOCK);
                assertThat(types(sys, "/etc")).containsEntry("motd", FileMode.DT_SOCK);
                int c = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                assertErrno(() -> sys.connect(c, name), Errno.ECONNREFUSED);
                int l = sys.socket(Socket.AF_UNIX, Socket.SOCK_STREAM, 0);
                assertErrno(() -> sys.bind(l, name), Errno.EADDRINUSE);
                sys.unlink("/etc/conf/srv.sock");
                sys.bind(l, name);
                sys.listen(l, 1);
                sys.connect(c, name);
                sys.unlink("/top.sock");
                assertThat(ls(sys, "/")).doesNotContain("top.sock");
                return 0;
            }).assertOk();
        }
    }

    @Test
    void theUpperLayerPersistsAcrossBootsEncrypted() throws Exception {
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                sys.mkdir("/root", 0700);
                write(sys, "/root/secret", OpenFlags.O_CREAT, "the secret recipe\n");
                sys.unlink("/etc/motd");
                return 0;
            }).assertOk();
        }
        // no host file holds the plaintext: contents and names are encrypted
        try (Stream<Path> files = Files.list(upper)) {
            for (Path f : files.toList()) {
                String host = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertThat(host).doesNotContain("secret recipe").doesNotContain("secret").doesNotContain("motd");
            }
        }
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                assertThat(cat(sys, "/root/secret")).isEqualTo("the secret recipe\n");
                assertErrno(() -> sys.stat("/etc/motd"), Errno.ENOENT);
                return 0;
            }).assertOk();
        }
    }

    @Test
    void twoBootsCannotShareAnUpperLayer() throws Exception {
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        try (Booted os = bootWith(upper)) {
            assertThatThrownBy(() -> bootWith(upper)).isInstanceOf(BootException.class).hasMessageContaining("another run");
            os.run((sys, argv, envp) -> 0).assertOk();
        }
        bootWith(upper).close(); // free again once the first has closed
    }

    /** The SEFS data files of a host directory (32 hex digits each). */
    private static List<Path> dataFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{32}")).sorted().toList();
        }
    }

    @Test
    void aByteChangedOnTheHostIsEioForTheGuestNeverACrash() throws Exception {
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                write(sys, "/etc/motd", OpenFlags.O_TRUNC, "upper copy\n");
                return 0;
            }).assertOk();
        }
        // flip one byte of motd's data file (header 29 bytes + 11 + tag 16, the only one of that size)
        List<Path> motd = dataFiles(upper).stream().filter(f -> f.toFile().length() == 29 + 11 + 16).toList();
        assertThat(motd).hasSize(1);
        byte[] b = Files.readAllBytes(motd.getFirst());
        b[33] ^= 0x01;
        Files.write(motd.getFirst(), b);
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                assertErrno(() -> cat(sys, "/etc/motd"), Errno.EIO);
                assertThat(cat(sys, "/etc/conf/a.conf")).as("other files are fine").isEqualTo("a=1\n");
                return 0;
            }).assertOk();
            os.os.checkInvariants(); // no internal error: every failure was an errno
        }
        // a changed metadata file: the boot refuses with one sentence naming EIO
        Path meta = upper.resolve("metadata");
        byte[] m = Files.readAllBytes(meta);
        m[40] ^= 0x01;
        Files.write(meta, m);
        assertThatThrownBy(() -> bootWith(upper)).isInstanceOf(BootException.class).hasMessageContaining("EIO");
    }

    @Test
    void aChangedImageFileIsEioAndAChangedImageMetadataIsEacces() throws Exception {
        BuiltEnclave built = instance("union-tamper", false, b -> b.file("etc/motd", bytes("hello from the image\n")));
        Path image = built.paths().imageSnapshot();
        for (Path f : dataFiles(image)) {
            if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains("hello from the image")) {
                byte[] b = Files.readAllBytes(f);
                int at = new String(b, StandardCharsets.ISO_8859_1).indexOf("hello");
                b[at] = 'J';
                Files.write(f, b);
            }
        }
        try (Booted os = Booted.boot(built, M, PLATFORM, WALL, Files.createDirectories(tmp.resolve("u1")))) {
            os.run((sys, argv, envp) -> {
                assertErrno(() -> cat(sys, "/etc/motd"), Errno.EIO);
                assertThat(ls(sys, "/etc")).contains("motd");
                return 0;
            }).assertOk();
            os.os.checkInvariants();
        }
        Path meta = image.resolve("metadata");
        byte[] m = Files.readAllBytes(meta);
        m[m.length - 1] ^= 0x01;
        Files.write(meta, m);
        assertThatThrownBy(() -> Booted.boot(built, M, PLATFORM, WALL, Files.createDirectories(tmp.resolve("u2"))))
                .isInstanceOf(BootException.class).hasMessageContaining("EACCES");
    }

    @Test
    void aFileRolledBackOnTheHostIsDetected() throws Exception {
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                write(sys, "/etc/motd", OpenFlags.O_TRUNC, "version 1\n");
                return 0;
            }).assertOk();
        }
        Path old = tmp.resolve("old");
        Files.createDirectories(old);
        for (Path f : dataFiles(upper)) {
            Files.copy(f, old.resolve(f.getFileName()));
        }
        Files.copy(upper.resolve("metadata"), old.resolve("metadata"));
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                write(sys, "/etc/motd", OpenFlags.O_TRUNC, "version 2\n");
                return 0;
            }).assertOk();
        }
        // the host puts the older copy of motd's data file in place of the current one
        List<Path> now = dataFiles(upper);
        List<Path> before = dataFiles(old);
        Path current = now.stream().filter(p -> !Files.exists(old.resolve(p.getFileName()))).findFirst().orElseThrow();
        Path older = before.stream().filter(p -> !Files.exists(upper.resolve(p.getFileName()))).findFirst().orElseThrow();
        Files.copy(older, current, StandardCopyOption.REPLACE_EXISTING);
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                assertErrno(() -> cat(sys, "/etc/motd"), Errno.EIO);
                return 0;
            }).assertOk();
        }
        // the older inode table with the current data files: the files it names are gone (EIO)
        Files.copy(old.resolve("metadata"), upper.resolve("metadata"), StandardCopyOption.REPLACE_EXISTING);
        try (Booted os = bootWith(upper)) {
            os.run((sys, argv, envp) -> {
                assertErrno(() -> cat(sys, "/etc/motd"), Errno.EIO);
                return 0;
            }).assertOk();
        }
    }
}
