package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Stat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file system backed by a host directory: the instance's image snapshot (mounted read-only at
 * "/") and hostfs mounts (read-write).
 *
 * <p>Design: inodes are made on demand from the host path and {@code lstat}-like attributes
 * (the JDK "unix" view); host symbolic links are never followed by the host — the LibOS path
 * walker resolves them inside the LibOS namespace — and names never contain "/" or "..", so a
 * lookup cannot leave the mount's host directory. Inode numbers are LibOS numbers assigned per
 * host (dev, ino) pair, stable for the life of the mount. Every host failure becomes a Linux
 * errno through {@link HostErrors}; files are reported as owned by root, as Occlum shows them.
 */
final class HostFs extends GuestFileSystem {
    private static final String ATTRS = "unix:mode,ino,dev,nlink,size,rdev,lastModifiedTime,lastAccessTime,ctime";
    /** st_blksize of a host file: the usual file-system block size (the host's own is not asked for). */
    private static final int HOST_BLKSIZE = 4096;

    private final Path hostRoot;
    private final String name;
    /** Host (dev, ino) → LibOS ino. */
    private final Map<List<Long>, Long> inos = new ConcurrentHashMap<>();
    /** LibOS ino → lock serialising O_APPEND writes through different descriptions. */
    private final Map<Long, Object> appendLocks = new ConcurrentHashMap<>();
    private final AtomicLong nextIno = new AtomicLong(2);
    private final HostDir root;

    HostFs(long dev, Path hostRoot, boolean readOnly, String name, InstantSource clock) {
        super(dev, readOnly, clock);
        if (!Files.isDirectory(hostRoot)) {
            throw new IllegalArgumentException(name + " host directory " + hostRoot + " does not exist or is not a directory");
        }
        this.hostRoot = hostRoot.toAbsolutePath().normalize();
        this.name = name;
        Inode r = node(this.hostRoot);
        if (!(r instanceof HostDir d)) {
            throw new IllegalArgumentException(name + " host directory " + hostRoot + " is not a directory");
        }
        this.root = d;
    }

    @Override
    Inode.Dir root() {
        return root;
    }

    @Override
    String type() {
        return name;
    }

    Path hostRoot() {
        return hostRoot;
    }

    private Map<String, Object> attrs(Path p) throws IOException {
        return Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
    }

    /** The inode for a host path, or null when it does not exist. */
    Inode node(Path p) {
        Map<String, Object> a;
        try {
            a = attrs(p);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw HostErrors.exception(e);
        }
        int mode = (Integer) a.get("mode");
        long ino = libosIno((Long) a.get("dev"), (Long) a.get("ino"));
        return switch (mode & FileMode.S_IFMT) {
            case FileMode.S_IFDIR -> new HostDir(p, ino);
            case FileMode.S_IFREG -> new HostFile(p, ino);
            case FileMode.S_IFLNK -> new HostSymlink(p, ino, mode);
            default -> new HostSpecial(p, ino);
        };
    }

    private long libosIno(long hostDev, long hostIno) {
        return inos.computeIfAbsent(List.of(hostDev, hostIno), k -> nextIno.getAndIncrement());
    }

    private Stat stat(Path p, long ino) {
        try {
            Map<String, Object> a = attrs(p);
            int mode = (Integer) a.get("mode");
            long size = (Long) a.get("size");
            return new Stat(dev, ino, mode, ((Integer) a.get("nlink")).longValue(), 0, 0, (Long) a.get("rdev"), size,
                    HOST_BLKSIZE, (size + 511) / 512, nanos(a.get("lastAccessTime")), nanos(a.get("lastModifiedTime")),
                    nanos(a.get("ctime")));
        } catch (IOException e) {
            throw HostErrors.exception(e);
        }
    }

    private static long nanos(Object t) {
        if (!(t instanceof FileTime ft)) {
            return 0;
        }
        var i = ft.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private int modeOf(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw HostErrors.exception(e);
        }
    }

    private static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }

    final class HostDir extends Inode.Dir {
        private final Path path;
        private final long ino;

        HostDir(Path path, long ino) {
            super(HostFs.this);
            this.path = path;
            this.ino = ino;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return modeOf(path);
        }

        @Override
        Stat stat() {
            return HostFs.this.stat(path, ino);
        }

        @Override
        Inode lookup(String child) {
            return node(path.resolve(child));
        }

        @Override
        Regular createFile(String child, int mode, Credentials c) {
            requireWritable();
            Path p = path.resolve(child);
            try {
                Files.createFile(p, PosixFilePermissions.asFileAttribute(perms(mode)));
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
            if (!(node(p) instanceof Regular r)) {
                throw Errno.ENOENT.exception(child + " vanished after creation");
            }
            return r;
        }

        @Override
        void mkdir(String child, int mode, Credentials c) {
            requireWritable();
            try {
                Files.createDirectory(path.resolve(child), PosixFilePermissions.asFileAttribute(perms(mode)));
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        void unlink(String child) {
            Inode i = lookup(child);
            if (i == null) {
                throw Errno.ENOENT.exception(child);
            }
            requireWritable();
            if (i.isDir()) {
                throw Errno.EISDIR.exception(child);
            }
            try {
                Files.delete(path.resolve(child));
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        void rmdir(String child) {
            Inode i = lookup(child);
            if (i == null) {
                throw Errno.ENOENT.exception(child);
            }
            requireWritable();
            if (!i.isDir()) {
                throw Errno.ENOTDIR.exception(child);
            }
            try {
                Files.delete(path.resolve(child));
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        void rename(String oldName, Inode.Dir newDir, String newName) {
            requireWritable();
            Path from = path.resolve(oldName);
            Path to = ((HostDir) newDir).path.resolve(newName);
            Inode src = lookup(oldName);
            Inode dst = newDir.lookup(newName);
            if (src == null) {
                throw Errno.ENOENT.exception(oldName);
            }
            if (dst != null && src.isDir() != dst.isDir()) {
                throw src.isDir() ? Errno.ENOTDIR.exception(newName) : Errno.EISDIR.exception(newName);
            }
            try {
                Files.move(from, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        List<Entry> list() {
            List<Entry> l = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
                for (Path p : ds) {
                    Inode i = node(p);
                    if (i != null) {
                        l.add(new Entry(p.getFileName().toString(), i));
                    }
                }
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
            l.sort((x, y) -> x.name().compareTo(y.name()));
            return l;
        }
    }

    final class HostFile extends Inode.Regular {
        private final Path path;
        private final long ino;

        HostFile(Path path, long ino) {
            super(HostFs.this);
            this.path = path;
            this.ino = ino;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return modeOf(path);
        }

        @Override
        Stat stat() {
            return HostFs.this.stat(path, ino);
        }

        @Override
        long size() {
            try {
                return Files.size(path);
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        FileIo open(boolean read, boolean write) {
            Set<OpenOption> opts = new java.util.HashSet<>();
            opts.add(LinkOption.NOFOLLOW_LINKS);
            if (read || !write) {
                opts.add(StandardOpenOption.READ);
            }
            if (write) {
                opts.add(StandardOpenOption.WRITE);
            }
            try {
                return new ChannelIo(FileChannel.open(path, opts), appendLocks.computeIfAbsent(ino, k -> new Object()));
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }
    }

    final class HostSymlink extends Inode.Symlink {
        private final Path path;
        private final long ino;
        private final int mode;

        HostSymlink(Path path, long ino, int mode) {
            super(HostFs.this);
            this.path = path;
            this.ino = ino;
            this.mode = mode;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return mode;
        }

        @Override
        Stat stat() {
            return HostFs.this.stat(path, ino);
        }

        @Override
        String target() {
            try {
                return Files.readSymbolicLink(path).toString();
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }
    }

    /** A host FIFO, socket or device node: visible, but not openable from the LibOS. */
    final class HostSpecial extends Inode.Device {
        private final Path path;
        private final long ino;

        HostSpecial(Path path, long ino) {
            super(HostFs.this);
            this.path = path;
            this.ino = ino;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return modeOf(path);
        }

        @Override
        Stat stat() {
            return HostFs.this.stat(path, ino);
        }

        @Override
        OpenFile open(int flags, String p) {
            throw Errno.ENXIO.exception("host special file " + p + " cannot be opened in the LibOS");
        }
    }

    /** Positional I/O on a host FileChannel. */
    private static final class ChannelIo implements Inode.FileIo {
        private final FileChannel ch;
        private final Object appendLock;

        ChannelIo(FileChannel ch, Object appendLock) {
            this.ch = ch;
            this.appendLock = appendLock;
        }

        @Override
        public int read(ByteBuffer dst, long pos) {
            try {
                int total = 0;
                while (dst.hasRemaining()) {
                    int n = ch.read(dst, pos + total);
                    if (n <= 0) {
                        break;
                    }
                    total += n;
                }
                return total;
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        public int write(ByteBuffer src, long pos) {
            try {
                int total = 0;
                while (src.hasRemaining()) {
                    total += ch.write(src, pos + total);
                }
                return total;
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        public long append(ByteBuffer src) {
            synchronized (appendLock) {
                try {
                    long at = ch.size();
                    return at + write(src, at);
                } catch (IOException e) {
                    throw HostErrors.exception(e);
                }
            }
        }

        @Override
        public long size() {
            try {
                return ch.size();
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        public void truncate(long length) {
            try {
                long cur = ch.size();
                if (length < cur) {
                    ch.truncate(length);
                } else if (length > cur) {
                    // FileChannel.truncate never grows: extend with one zero byte at the new end
                    ch.write(ByteBuffer.allocate(1), length - 1);
                }
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException e) {
                throw HostErrors.exception(e);
            }
        }
    }
}
