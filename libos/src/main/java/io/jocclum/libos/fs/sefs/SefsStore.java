package io.jocclum.libos.fs.sefs;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Limits;
import io.jocclum.sgx.arch.LittleEndian;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One SEFS on the host (Occlum's {@code rcore-fs-sefs} over SGX protected files): a directory
 * with a sealed {@code metadata} file (the inode table) and one sealed data file per inode
 * (a regular file's bytes, a directory's entries, a symbolic link's target), each sealed by
 * {@link Sealer}.
 *
 * <h2>Integrity chain and rollback</h2>
 * Every inode record in {@code metadata} holds the MAC of the inode's data file, and the data
 * file's name is the inode number and a per-inode write-back counter (16 bytes little-endian, as
 * 32 hex digits; an image's files are all version 0, which is Occlum's 128-bit inode number).
 * The MAC of {@code metadata} is the SEFS's root MAC. So a data file that was changed, swapped
 * with another, or replaced by an older copy of itself does not match its record and reads fail
 * with EIO; a changed {@code metadata} fails its own MAC (EIO), or, when a root MAC is expected,
 * the comparison (EACCES, as Occlum). A data file whose name is missing is EIO too. A directory
 * holding SEFS data files but no {@code metadata} is refused (EIO) instead of being recreated
 * empty, so deleting the inode table alone is noticed. Only a consistent copy of the whole
 * directory taken earlier (metadata with its data files) can replace it unnoticed; catching that
 * needs state outside the host's reach (a monotonic counter), which the platform does not offer.
 *
 * <h2>Write-back</h2>
 * Contents live in memory once read; {@link #sync} writes every changed inode to a new data file
 * (the next version's name), then the new {@code metadata} to a temporary name renamed over the
 * old one (atomic), and only then deletes the superseded files. A crash at any point leaves
 * either the old or the new tree, both complete.
 *
 * <p>Errors are {@link ErrnoException}s with Occlum's errnos: EIO for a file that fails its
 * checks, EINVAL for a directory that is not a SEFS or a key mode that does not match, EACCES for
 * a root-MAC mismatch, ENAMETOOLONG, EEXIST, ENOENT, ENOTEMPTY, EFBIG. Thread-safety: every
 * method is synchronized on the store.
 */
public final class SefsStore implements AutoCloseable {
    /** Superblock magic of SEFS ({@code rcore-fs-sefs}, structs.rs). */
    public static final int MAGIC = 0x2f8dbe2a;
    public static final int FILE = 1;
    public static final int DIR = 2;
    public static final int SYMLINK = 3;
    /** The file an AF_UNIX bind creates (S_IFSOCK): no content, only its inode and name. */
    public static final int SOCKET = 4;
    public static final long ROOT_INO = 2;
    public static final String METADATA = "metadata";
    /** The largest regular file (contents are held in one Java array). */
    public static final long MAX_FILE_SIZE = Integer.MAX_VALUE - 64;
    private static final int VERSION = 1;
    private static final int RECORD = 8 + 4 * 6 + 8 * 5 + 16 + 16;

    private final Path dir;
    private final Sealer sealer;
    private final boolean readOnly;
    /** Linked inodes by number. */
    private final Map<Long, Node> nodes = new HashMap<>();
    /** Host file names to delete once the next metadata is committed. */
    private final Set<String> obsolete = new LinkedHashSet<>();
    private long nextIno = ROOT_INO + 1;
    private byte[] rootMac;
    private boolean metaDirty;
    private boolean closed;

    private SefsStore(Path dir, Sealer sealer, boolean readOnly) {
        this.dir = dir;
        this.sealer = sealer;
        this.readOnly = readOnly;
    }

    /**
     * Opens the SEFS in {@code dir}, or creates an empty one when the directory has no SEFS
     * files at all (Occlum's {@code open_or_create}). A root MAC in {@code key} requires an
     * existing SEFS. {@code ErrnoException} as in the class comment; ENOENT when {@code dir}
     * is not a directory.
     */
    public static SefsStore openOrCreate(Path dir, SefsKey key, boolean readOnly, long nowNanos) {
        if (!Files.isDirectory(dir)) {
            throw Errno.ENOENT.exception("SEFS directory " + dir + " does not exist");
        }
        SefsStore s = new SefsStore(dir, new Sealer(key.key()), readOnly);
        Path meta = dir.resolve(METADATA);
        if (Files.exists(meta)) {
            s.load(meta, key);
        } else if (key.rootMac().isPresent()) {
            throw Errno.EACCES.exception("SEFS " + dir + " has no metadata but a root MAC is expected");
        } else if (s.hasSefsFiles()) {
            throw Errno.EIO.exception("SEFS " + dir + " has data files but no metadata: its inode table was removed");
        } else {
            s.createRoot(0755, nowNanos);
        }
        return s;
    }

    /** Creates an empty SEFS in the empty directory {@code dir} (for building an image). */
    public static SefsStore create(Path dir, SefsKey key, int rootMode, long nowNanos) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new IOException(dir + " is not empty");
            }
        }
        SefsStore st = new SefsStore(dir, new Sealer(key.key()), false);
        st.createRoot(rootMode, nowNanos);
        return st;
    }

    private void createRoot(int mode, long now) {
        Node root = new Node(ROOT_INO, DIR, mode & 07777, 0, 0, now);
        root.nlink = 2;
        root.loaded = true;
        root.entries = new LinkedHashMap<>();
        root.dirty = true;
        nodes.put(ROOT_INO, root);
        metaDirty = true;
    }

    private boolean hasSefsFiles() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().matches("[0-9a-f]{32}"));
        } catch (IOException e) {
            throw Errno.EIO.exception("cannot list " + dir + ": " + e.getMessage());
        }
    }

    // ============================================================================ inodes

    /** An inode (Occlum's {@code DiskInode} plus the cached contents). */
    public static final class Node {
        final long ino;
        final int type;
        int mode;
        int nlink;
        final int uid;
        final int gid;
        long atime;
        long mtime;
        long ctime;
        long size;
        /** The next write-back's version. */
        long version;
        /** The data file's name (32 hex digits), null before the first write-back. */
        String diskName;
        byte[] mac;
        boolean loaded;
        boolean dirty;
        byte[] data;
        LinkedHashMap<String, Long> entries;
        String target;

        Node(long ino, int type, int mode, int uid, int gid, long now) {
            this.ino = ino;
            this.type = type;
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            this.atime = now;
            this.mtime = now;
            this.ctime = now;
        }

        public long ino() {
            return ino;
        }

        public int type() {
            return type;
        }

        public boolean isDir() {
            return type == DIR;
        }

        /** Permission bits. */
        public int mode() {
            return mode;
        }

        public int nlink() {
            return nlink;
        }

        public int uid() {
            return uid;
        }

        public int gid() {
            return gid;
        }

        /** Bytes of a file or link target; the entry count of a directory (as Occlum's SEFS). */
        public long size() {
            return type == DIR && entries != null ? entries.size() : size;
        }

        public long atime() {
            return atime;
        }

        public long mtime() {
            return mtime;
        }

        public long ctime() {
            return ctime;
        }
    }

    public synchronized Node root() {
        return nodes.get(ROOT_INO);
    }

    /** Whether changes are refused (EROFS). */
    public boolean readOnly() {
        return readOnly;
    }

    /** The child {@code name} of {@code dir}, or null. */
    public synchronized Node lookup(Node dir, String name) {
        loadData(dir);
        Long ino = dir.entries.get(name);
        return ino == null ? null : node(ino);
    }

    /** The names in {@code dir} (insertion order), without "." and "..". */
    public synchronized List<String> names(Node dir) {
        loadData(dir);
        return new ArrayList<>(dir.entries.keySet());
    }

    /** Creates {@code name} in {@code dir}: a regular file, a directory, a symbolic link ({@code target}) or a socket. */
    public synchronized Node create(Node dir, String name, int type, int mode, int uid, int gid, String target, long now) {
        writable();
        checkName(name);
        loadData(dir);
        if (dir.entries.containsKey(name)) {
            throw Errno.EEXIST.exception(name);
        }
        Node n = new Node(nextIno++, type, mode & 07777, uid, gid, now);
        n.loaded = true;
        n.dirty = true;
        n.nlink = type == DIR ? 2 : 1;
        switch (type) {
            case DIR -> n.entries = new LinkedHashMap<>();
            case SYMLINK -> {
                n.target = target;
                n.size = target.getBytes(StandardCharsets.UTF_8).length;
            }
            default -> n.data = new byte[0];
        }
        nodes.put(n.ino, n);
        dir.entries.put(name, n.ino);
        if (type == DIR) {
            dir.nlink++;
        }
        touch(dir, now);
        return n;
    }

    /** Removes the entry {@code name} of {@code dir} (a directory must be empty: ENOTEMPTY). */
    public synchronized void remove(Node dir, String name, long now) {
        writable();
        loadData(dir);
        Long ino = dir.entries.get(name);
        if (ino == null) {
            throw Errno.ENOENT.exception(name);
        }
        Node n = node(ino);
        if (n.type == DIR) {
            loadData(n);
            if (!n.entries.isEmpty()) {
                throw Errno.ENOTEMPTY.exception(name);
            }
            n.nlink = 0;
            dir.nlink--;
        } else {
            n.nlink--;
        }
        dir.entries.remove(name);
        n.ctime = now;
        if (n.nlink == 0) {
            nodes.remove(n.ino);
            if (n.diskName != null) {
                obsolete.add(n.diskName);
            }
        }
        touch(dir, now);
    }

    /** Moves {@code from} in {@code fromDir} to the free name {@code to} in {@code toDir}. */
    public synchronized void rename(Node fromDir, String from, Node toDir, String to, long now) {
        writable();
        checkName(to);
        loadData(fromDir);
        loadData(toDir);
        Long ino = fromDir.entries.get(from);
        if (ino == null) {
            throw Errno.ENOENT.exception(from);
        }
        if (toDir.entries.containsKey(to)) {
            throw Errno.EEXIST.exception(to);
        }
        Node n = node(ino);
        fromDir.entries.remove(from);
        toDir.entries.put(to, ino);
        if (n.type == DIR && fromDir != toDir) {
            fromDir.nlink--;
            toDir.nlink++;
        }
        n.ctime = now;
        touch(fromDir, now);
        touch(toDir, now);
    }

    /** Reads from {@code pos}; 0 at or after the end. */
    public synchronized int read(Node f, ByteBuffer dst, long pos) {
        loadData(f);
        if (pos >= f.size) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), f.size - pos);
        int have = (int) Math.max(0, Math.min(n, f.data.length - pos));
        if (have > 0) {
            dst.put(f.data, (int) pos, have);
        }
        for (int i = have; i < n; i++) {
            dst.put((byte) 0);
        }
        return n;
    }

    /** Writes at {@code pos}, growing the file; EFBIG past {@link #MAX_FILE_SIZE}. */
    public synchronized int write(Node f, ByteBuffer src, long pos, long now) {
        writable();
        loadData(f);
        int n = src.remaining();
        if (n == 0) {
            return 0; // a zero-length write changes nothing, not even the size
        }
        if (pos + n > MAX_FILE_SIZE || pos < 0) {
            throw Errno.EFBIG.exception("SEFS files are at most " + MAX_FILE_SIZE + " bytes");
        }
        int end = (int) (pos + n);
        if (end > f.data.length) {
            f.data = Arrays.copyOf(f.data, Math.max(end, (int) Math.min(MAX_FILE_SIZE, f.data.length * 2L)));
        }
        src.get(f.data, (int) pos, n);
        f.size = Math.max(f.size, end);
        f.mtime = now;
        f.ctime = now;
        f.dirty = true;
        return n;
    }

    /** Sets the length (shrinking zeroes what lies beyond). */
    public synchronized void truncate(Node f, long length, long now) {
        writable();
        loadData(f);
        if (length > MAX_FILE_SIZE) {
            throw Errno.EFBIG.exception("SEFS files are at most " + MAX_FILE_SIZE + " bytes");
        }
        if (length < f.data.length) {
            Arrays.fill(f.data, (int) length, f.data.length, (byte) 0);
        }
        f.size = length;
        f.mtime = now;
        f.ctime = now;
        f.dirty = true;
    }

    /** A symbolic link's target. */
    public synchronized String readlink(Node l) {
        loadData(l);
        return l.target;
    }

    /** The content of a regular file, whole (for copy-up). */
    public synchronized byte[] content(Node f) {
        loadData(f);
        return Arrays.copyOf(f.data, (int) f.size);
    }

    private void touch(Node dir, long now) {
        dir.mtime = now;
        dir.ctime = now;
        dir.dirty = true;
    }

    private void writable() {
        if (readOnly) {
            throw Errno.EROFS.exception("SEFS " + dir + " is read-only");
        }
        if (closed) {
            throw Errno.EIO.exception("SEFS " + dir + " is closed");
        }
        metaDirty = true;
    }

    private static void checkName(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length > Limits.NAME_MAX) {
            throw Errno.ENAMETOOLONG.exception("SEFS names are at most " + Limits.NAME_MAX + " bytes");
        }
    }

    private Node node(long ino) {
        Node n = nodes.get(ino);
        if (n == null) {
            throw Errno.EIO.exception("SEFS " + dir + ": a directory names inode " + ino + ", which the inode table lacks");
        }
        return n;
    }

    // ============================================================================ loading

    private void load(Path meta, SefsKey key) {
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(meta);
        } catch (IOException e) {
            throw Errno.EIO.exception("cannot read " + meta + ": " + e.getMessage());
        }
        if (key.rootMac().isPresent() && !Sealer.sameMac(Sealer.macOf(sealed), key.rootMac().get())) {
            throw Errno.EACCES.exception("MAC validation for the metadata file of " + dir + " failed");
        }
        byte[] plain;
        try {
            plain = sealer.open(METADATA, sealed);
        } catch (Sealer.BrokenFile e) {
            throw switch (e.failure()) {
                case FORMAT, MODE -> Errno.EINVAL.exception("SEFS " + dir + ": " + e.getMessage());
                case MAC -> Errno.EIO.exception("SEFS " + dir + ": " + e.getMessage() + " (changed on the host or another key)");
            };
        }
        try {
            parseMetadata(ByteBuffer.wrap(plain).order(java.nio.ByteOrder.LITTLE_ENDIAN));
        } catch (RuntimeException e) {
            if (e instanceof ErrnoException ee) {
                throw ee;
            }
            throw Errno.EIO.exception("SEFS " + dir + ": the inode table is malformed");
        }
        rootMac = Sealer.macOf(sealed);
    }

    private void parseMetadata(ByteBuffer b) {
        if (b.getInt() != MAGIC) {
            throw Errno.EINVAL.exception("SEFS " + dir + ": wrong superblock magic");
        }
        if (b.getInt() != VERSION) {
            throw Errno.EINVAL.exception("SEFS " + dir + ": unknown format version");
        }
        nextIno = b.getLong();
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            long ino = b.getLong();
            int type = b.getInt();
            int mode = b.getInt();
            int nlink = b.getInt();
            int uid = b.getInt();
            int gid = b.getInt();
            b.getInt();
            Node n = new Node(ino, type, mode, uid, gid, 0);
            n.nlink = nlink;
            n.size = b.getLong();
            n.atime = b.getLong();
            n.mtime = b.getLong();
            n.ctime = b.getLong();
            n.version = b.getLong();
            byte[] name = new byte[16];
            b.get(name);
            n.diskName = HexFormat.of().formatHex(name);
            n.mac = new byte[16];
            b.get(n.mac);
            if (type < FILE || type > SOCKET || ino >= nextIno) {
                throw Errno.EIO.exception("SEFS " + dir + ": inode " + ino + " is malformed");
            }
            nodes.put(ino, n);
        }
        if (!nodes.containsKey(ROOT_INO) || nodes.get(ROOT_INO).type != DIR) {
            throw Errno.EIO.exception("SEFS " + dir + ": no root directory");
        }
    }

    private void loadData(Node n) {
        if (n.loaded) {
            return;
        }
        Path file = dir.resolve(n.diskName);
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw Errno.EIO.exception("SEFS " + dir + ": the data file of inode " + n.ino + " is missing");
        } catch (IOException e) {
            throw Errno.EIO.exception("SEFS " + dir + ": cannot read the data file of inode " + n.ino);
        }
        if (!Sealer.sameMac(Sealer.macOf(sealed), n.mac)) {
            throw Errno.EIO.exception("SEFS " + dir + ": the data file of inode " + n.ino
                    + " does not match its MAC in the inode table (changed, replaced or rolled back on the host)");
        }
        byte[] plain;
        try {
            plain = sealer.open(n.diskName, sealed);
        } catch (Sealer.BrokenFile e) {
            throw Errno.EIO.exception("SEFS " + dir + ": inode " + n.ino + ": " + e.getMessage());
        }
        try {
            switch (n.type) {
                case DIR -> n.entries = parseDir(plain);
                case SYMLINK -> n.target = new String(plain, StandardCharsets.UTF_8);
                default -> {
                    if (plain.length != n.size) {
                        throw Errno.EIO.exception("SEFS " + dir + ": inode " + n.ino + " has the wrong length");
                    }
                    n.data = plain;
                }
            }
        } catch (RuntimeException e) {
            if (e instanceof ErrnoException ee) {
                throw ee;
            }
            throw Errno.EIO.exception("SEFS " + dir + ": directory inode " + n.ino + " is malformed");
        }
        n.loaded = true;
    }

    private static LinkedHashMap<String, Long> parseDir(byte[] plain) {
        ByteBuffer b = ByteBuffer.wrap(plain).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int count = b.getInt();
        LinkedHashMap<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long ino = b.getLong();
            byte[] name = new byte[b.getShort() & 0xffff];
            b.get(name);
            m.put(new String(name, StandardCharsets.UTF_8), ino);
        }
        return m;
    }

    // ============================================================================ write-back

    /** The MAC of the committed {@code metadata} (null before the first {@link #sync}). */
    public synchronized byte[] rootMac() {
        return rootMac == null ? null : rootMac.clone();
    }

    /** Writes every change to the host as described in the class comment; EIO when the host refuses. */
    public synchronized void sync() {
        if (readOnly || closed) {
            return;
        }
        boolean any = metaDirty || !obsolete.isEmpty();
        try {
            for (Node n : nodes.values()) {
                if (!n.dirty) {
                    continue;
                }
                any = true;
                byte[] content = encode(n);
                String name = diskName(n.ino, n.version);
                byte[] sealed = sealer.seal(name, content, content.length);
                Files.write(dir.resolve(name), sealed);
                if (n.diskName != null) {
                    obsolete.add(n.diskName);
                }
                n.diskName = name;
                n.version++;
                n.mac = Sealer.macOf(sealed);
                n.dirty = false;
            }
            if (!any) {
                return;
            }
            byte[] meta = metadata();
            byte[] sealed = sealer.seal(METADATA, meta, meta.length);
            Path tmp = dir.resolve(METADATA + ".new");
            Files.write(tmp, sealed);
            Files.move(tmp, dir.resolve(METADATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            rootMac = Sealer.macOf(sealed);
            metaDirty = false;
            for (String o : obsolete) {
                Files.deleteIfExists(dir.resolve(o));
            }
            obsolete.clear();
        } catch (IOException e) {
            throw Errno.EIO.exception("cannot write SEFS " + dir + ": " + e.getMessage());
        }
    }

    static String diskName(long ino, long version) {
        return HexFormat.of().formatHex(LittleEndian.bytes(ino, version));
    }

    private static byte[] encode(Node n) {
        return switch (n.type) {
            case DIR -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] head = new byte[4];
                LittleEndian.putInt(head, 0, n.entries.size());
                out.writeBytes(head);
                for (Map.Entry<String, Long> e : n.entries.entrySet()) {
                    byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                    byte[] rec = new byte[10];
                    LittleEndian.putLong(rec, 0, e.getValue());
                    LittleEndian.putShort(rec, 8, name.length);
                    out.writeBytes(rec);
                    out.writeBytes(name);
                }
                yield out.toByteArray();
            }
            case SYMLINK -> n.target.getBytes(StandardCharsets.UTF_8);
            default -> Arrays.copyOf(n.data, (int) n.size);
        };
    }

    private byte[] metadata() {
        List<Node> all = new ArrayList<>(nodes.values());
        all.sort((a, b) -> Long.compare(a.ino, b.ino));
        ByteBuffer b = ByteBuffer.allocate(20 + all.size() * RECORD).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putLong(nextIno).putInt(all.size());
        for (Node n : all) {
            b.putLong(n.ino).putInt(n.type).putInt(n.mode).putInt(n.nlink).putInt(n.uid).putInt(n.gid).putInt(0);
            b.putLong(n.size()).putLong(n.atime).putLong(n.mtime).putLong(n.ctime).putLong(n.version);
            b.put(HexFormat.of().parseHex(n.diskName));
            b.put(n.mac);
        }
        return b.array();
    }

    /** Syncs and refuses further use. */
    @Override
    public synchronized void close() {
        sync();
        closed = true;
    }
}
