package io.jocclum.libos.fs;

import io.jocclum.api.DirEntry;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.config.ImageDigest;
import io.jocclum.libos.fs.sefs.SefsImage;
import io.jocclum.libos.fs.sefs.SefsKey;
import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded model-based test of the root union over SEFS: random writes, truncates, reads,
 * unlinks, mkdirs, rmdirs, renames and restarts (write-back, then every SEFS opened afresh from
 * the host) on the union, and the same operations on a plain host directory that started as a
 * copy of the image, with Linux's rules; every outcome (the errno, or the bytes read) and, every
 * 40 steps and after every restart, the whole tree (names, types, sizes, contents) must agree. The
 * one expected difference is Occlum's: renaming a directory of the image is EXDEV (it then stays
 * where it is in the reference too). {@code -Djocclum.seed=N} replays a run.
 */
class UnionSefsModelTest {
    private static final String[] NAMES = {"a", "b", "c", "d"};

    @TempDir
    Path tmp;

    private Path ref;
    private Path lowerDir;
    private Path upperDir;
    private SefsKey lowerKey;
    private SefsKey upperKey;
    private Vfs vfs;
    private Caller c;
    /** Directories of the image still at their place in the union (renaming them is EXDEV). */
    private final Set<String> lowerDirs = new HashSet<>();

    @Test
    void randomOperationsMatchAPlainHostDirectory() throws IOException {
        long seed = Seeds.seed("UnionSefsModelTest");
        SplittableRandom rnd = new SplittableRandom(seed);
        Path image = Files.createDirectories(tmp.resolve("image"));
        fill(rnd, image, "", 0);
        ref = tmp.resolve("ref");
        copyTree(image, ref);
        lowerDir = tmp.resolve("lower");
        List<SefsImage.Entry> entries = new ArrayList<>();
        for (ImageDigest.Entry e : ImageDigest.entries(image)) {
            entries.add(new SefsImage.Entry(e.relative(), e.path()));
            if (Files.isDirectory(e.path())) {
                lowerDirs.add("/" + e.relative());
            }
        }
        lowerKey = SefsKey.integrityOnly(SefsImage.zip(entries, lowerDir, null));
        byte[] key = new byte[16];
        rnd.nextBytes(key);
        upperKey = SefsKey.encrypted(key);
        upperDir = Files.createDirectories(tmp.resolve("upper"));
        mount();
        int restarts = 0;
        for (int step = 0; step < 1500; step++) {
            String what = "seed " + seed + " step " + step;
            String p = path(rnd);
            String outcomeUnion;
            String outcomeRef;
            switch (rnd.nextInt(20)) {
                case 0, 1, 2, 3, 4 -> {
                    long size = exists(p) && Files.isRegularFile(host(p)) ? Files.size(host(p)) : 0;
                    long at = rnd.nextLong(size + 100);
                    byte[] data = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(9000) : rnd.nextInt(200)];
                    rnd.nextBytes(data);
                    outcomeUnion = union(() -> {
                        int fd = vfs.open(c, p, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0644);
                        try {
                            return "wrote " + FileCalls.pwrite(c, fd, ByteBuffer.wrap(data), at);
                        } finally {
                            FileCalls.close(c, fd);
                        }
                    });
                    outcomeRef = reference(() -> {
                        require(walk(p, false));
                        if (Files.isDirectory(host(p))) {
                            throw Errno.EISDIR.exception(p);
                        }
                        try (RandomAccessFile f = new RandomAccessFile(host(p).toFile(), "rw")) {
                            f.seek(at);
                            f.write(data);
                        }
                        return "wrote " + data.length;
                    });
                }
                case 5, 6 -> {
                    long len = rnd.nextInt(3000);
                    outcomeUnion = union(() -> {
                        vfs.truncate(c, p, len);
                        return "ok";
                    });
                    outcomeRef = reference(() -> {
                        require(walk(p, true));
                        if (Files.isDirectory(host(p))) {
                            throw Errno.EISDIR.exception(p);
                        }
                        try (RandomAccessFile f = new RandomAccessFile(host(p).toFile(), "rw")) {
                            f.setLength(len);
                        }
                        return "ok";
                    });
                }
                case 7, 8, 9 -> {
                    outcomeUnion = union(() -> {
                        int fd = vfs.open(c, p, OpenFlags.O_RDONLY, 0);
                        try {
                            ByteBuffer b = ByteBuffer.allocate(20_000);
                            int n = FileCalls.pread(c, fd, b, 0);
                            return "read " + java.util.HexFormat.of().formatHex(b.array(), 0, n);
                        } finally {
                            FileCalls.close(c, fd);
                        }
                    });
                    outcomeRef = reference(() -> {
                        require(walk(p, true));
                        if (Files.isDirectory(host(p))) {
                            throw Errno.EISDIR.exception(p);
                        }
                        return "read " + java.util.HexFormat.of().formatHex(Files.readAllBytes(host(p)));
                    });
                }
                case 10, 11 -> {
                    outcomeUnion = union(() -> {
                        vfs.unlink(c, p);
                        return "ok";
                    });
                    outcomeRef = reference(() -> {
                        require(walk(p, true));
                        if (Files.isDirectory(host(p))) {
                            throw Errno.EISDIR.exception(p);
                        }
                        Files.delete(host(p));
                        return "ok";
                    });
                }
                case 12, 13 -> {
                    outcomeUnion = union(() -> {
                        vfs.mkdir(c, p, 0755);
                        return "ok";
                    });
                    outcomeRef = reference(() -> {
                        require(walk(p, false));
                        if (Files.exists(host(p))) {
                            throw Errno.EEXIST.exception(p);
                        }
                        Files.createDirectory(host(p));
                        return "ok";
                    });
                }
                case 14, 15 -> {
                    outcomeUnion = union(() -> {
                        vfs.rmdir(c, p);
                        return "ok";
                    });
                    outcomeRef = reference(() -> {
                        require(walk(p, true));
                        if (!Files.isDirectory(host(p))) {
                            throw Errno.ENOTDIR.exception(p);
                        }
                        try (Stream<Path> s = Files.list(host(p))) {
                            if (s.findAny().isPresent()) {
                                throw Errno.ENOTEMPTY.exception(p);
                            }
                        }
                        Files.delete(host(p));
                        forgetLower(p);
                        return "ok";
                    });
                }
                case 16, 17, 18 -> {
                    String q = path(rnd);
                    outcomeUnion = union(() -> {
                        vfs.rename(c, p, q);
                        return "ok";
                    });
                    outcomeRef = reference(() -> renameReference(p, q));
                    what += " rename " + p + " -> " + q;
                }
                default -> {
                    vfs.sync();
                    mount();
                    restarts++;
                    outcomeUnion = "restart";
                    outcomeRef = "restart";
                }
            }
            if (Boolean.getBoolean("jocclum.trace")) {
                System.out.println(what + " " + p + " -> " + (outcomeRef.length() > 40 ? outcomeRef.substring(0, 40) : outcomeRef));
            }
            assertThat(outcomeUnion).as(what + " " + p).isEqualTo(outcomeRef);
            if (step % 40 == 0 || outcomeUnion.equals("restart")) {
                compareTrees(what, "/");
            }
        }
        vfs.sync();
        mount();
        compareTrees("seed " + seed + " at the end", "/");
        assertThat(restarts).as("the run restarted the file system").isPositive();
    }

    private void mount() {
        vfs = Vfs.builder().mount(new MountSpec.RootUnion(lowerDir, lowerKey, upperDir, upperKey))
                .random(new SplittableRandom(1)).build();
        c = Caller.of(new FdTable());
    }

    private static String path(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        int depth = 1 + rnd.nextInt(3);
        for (int i = 0; i < depth; i++) {
            b.append('/').append(NAMES[rnd.nextInt(NAMES.length)]);
        }
        return b.toString();
    }

    private static void fill(SplittableRandom rnd, Path dir, String rel, int depth) throws IOException {
        for (String n : NAMES) {
            int r = rnd.nextInt(4);
            Path p = dir.resolve(n);
            if (r == 0 && depth < 2) {
                Files.createDirectory(p);
                fill(rnd, p, rel + "/" + n, depth + 1);
            } else if (r == 1) {
                byte[] b = new byte[rnd.nextInt(3000)];
                rnd.nextBytes(b);
                Files.write(p, b);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    // ============================================================================ the reference

    private Path host(String p) {
        return ref.resolve(p.substring(1));
    }

    private boolean exists(String p) {
        return walk(p, true) == null;
    }

    /** Linux's path walk on the reference: ENOENT for a missing component, ENOTDIR for a non-directory one. */
    private Errno walk(String p, boolean last) {
        String[] parts = p.substring(1).split("/");
        Path cur = ref;
        for (int i = 0; i < parts.length; i++) {
            if (!Files.isDirectory(cur)) {
                return Errno.ENOTDIR;
            }
            cur = cur.resolve(parts[i]);
            if (!Files.exists(cur) && (i < parts.length - 1 || last)) {
                return Errno.ENOENT;
            }
        }
        return null;
    }

    private static void require(Errno e) {
        if (e != null) {
            throw e.exception("reference walk");
        }
    }

    private String renameReference(String p, String q) throws IOException {
        require(walk(p, false));
        require(walk(q, false));
        require(walk(p, true));
        boolean dir = Files.isDirectory(host(p));
        if (dir && q.startsWith(p + "/")) {
            throw Errno.EINVAL.exception("below itself");
        }
        if (p.equals(q)) {
            return "ok";
        }
        if (dir && lowerDirs.contains(p)) {
            throw Errno.EXDEV.exception("an image directory");
        }
        if (Files.exists(host(q))) {
            boolean qdir = Files.isDirectory(host(q));
            if (dir && !qdir) {
                throw Errno.ENOTDIR.exception(q);
            }
            if (!dir && qdir) {
                throw Errno.EISDIR.exception(q);
            }
            if (qdir) {
                try (Stream<Path> s = Files.list(host(q))) {
                    if (s.findAny().isPresent()) {
                        throw Errno.ENOTEMPTY.exception(q);
                    }
                }
            }
        }
        Files.move(host(p), host(q), StandardCopyOption.ATOMIC_MOVE);
        if (dir) {
            forgetLower(q);
        }
        return "ok";
    }

    private void forgetLower(String p) {
        lowerDirs.removeIf(d -> d.equals(p) || d.startsWith(p + "/"));
    }

    private interface Op {
        String run() throws IOException;
    }

    private static String reference(Op op) {
        try {
            return op.run();
        } catch (ErrnoException e) {
            return e.errno().name();
        } catch (IOException e) {
            throw new IllegalStateException("the reference directory failed", e);
        }
    }

    private static String union(Supplier<String> op) {
        try {
            return op.get();
        } catch (ErrnoException e) {
            return e.errno().name();
        }
    }

    private void compareTrees(String what, String dir) throws IOException {
        int fd = vfs.open(c, dir, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        List<DirEntry> listed = ((DirectoryFile) c.files().get(fd)).readAll();
        FileCalls.close(c, fd);
        TreeSet<String> names = new TreeSet<>();
        for (DirEntry e : listed) {
            if (!e.name().equals(".") && !e.name().equals("..") && !(dir.equals("/") && e.name().equals("dev"))) {
                names.add(e.name());
            }
        }
        TreeSet<String> expected = new TreeSet<>();
        try (Stream<Path> s = Files.list(dir.equals("/") ? ref : host(dir))) {
            s.forEach(x -> expected.add(x.getFileName().toString()));
        }
        assertThat(names).as(what + ": the names in " + dir).isEqualTo(expected);
        for (String n : names) {
            String p = dir.equals("/") ? "/" + n : dir + "/" + n;
            var st = vfs.lstat(c, p);
            if (Files.isDirectory(host(p))) {
                assertThat(st.isDirectory()).as(what + ": " + p + " is a directory").isTrue();
                compareTrees(what, p);
            } else {
                byte[] want = Files.readAllBytes(host(p));
                assertThat(st.size()).as(what + ": the size of " + p).isEqualTo(want.length);
                int f = vfs.open(c, p, OpenFlags.O_RDONLY, 0);
                ByteBuffer b = ByteBuffer.allocate(want.length + 1);
                int got = FileCalls.pread(c, f, b, 0);
                FileCalls.close(c, f);
                assertThat(java.util.Arrays.copyOf(b.array(), got)).as(what + ": the content of " + p).isEqualTo(want);
            }
        }
    }
}
