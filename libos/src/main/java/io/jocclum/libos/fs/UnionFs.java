package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Stat;
import io.jocclum.libos.fs.sefs.SefsStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Occlum's root file system: a union of a read-only lower SEFS (the image) and a writable upper
 * SEFS (the container layer, {@code run/mount/__ROOT}), with the semantics of Occlum's
 * {@code rcore-fs-unionfs}; without a lower layer it is a plain {@code sefs} mount.
 *
 * <ul>
 *   <li>Lookup: the upper layer first; a lower entry shows unless the upper directory holds the
 *   whiteout {@code .ufs.wh.NAME}; a directory present in both is merged unless the upper
 *   directory is opaque (its parent holds {@code .ufs.opq.NAME}; children of an opaque
 *   directory see no lower layer at all).</li>
 *   <li>Copy-up on the first change (open for writing, truncate, a new or removed entry, rename):
 *   missing parent directories are made in the upper layer with their lower modes, a file is
 *   copied whole, a link with its target, a directory empty.</li>
 *   <li>unlink/rmdir remove the upper entry and leave a whiteout when the lower layer has the
 *   name; mkdir over a whiteout turns it into an opaque marker; a file created over it removes
 *   it.</li>
 *   <li>rename: EXDEV for a directory present in the lower layer (no overlayfs redirect_dir); the
 *   target is removed through the union, the source copied up and moved in the upper layer,
 *   whiteouts left and taken as for unlink and create.</li>
 *   <li>Names beginning {@code .ufs.} are hidden and cannot be created (EINVAL); the upper root's
 *   {@code .ufs.mac} holds the lower layer's root MAC, so an upper layer made against another
 *   image is refused (EINVAL).</li>
 *   <li>readdir lists the merged names sorted by bytes; st_ino are union numbers (root 2, others
 *   from 3, per boot).</li>
 *   <li>An AF_UNIX bind makes its socket file in the upper layer (a SEFS inode of type
 *   {@link SefsStore#SOCKET}, no content), kept across boots as Linux keeps one on disk; the
 *   socket bound to it lives only as long as the boot.</li>
 * </ul>
 * One lock (the file system) guards every operation.
 */
final class UnionFs extends GuestFileSystem {
    static final String MAC_FILE = ".ufs.mac";
    static final String WHITEOUT = ".ufs.wh.";
    static final String OPAQUE = ".ufs.opq.";
    private static final String RESERVED = ".ufs.";

    private final SefsStore lower;
    private final SefsStore upper;
    private final String typeName;
    private long nextIno = 3;
    private final UDir root;

    /**
     * A union of {@code lower} (may be null: a plain SEFS) and {@code upper}. EINVAL when the
     * upper layer was made against another lower layer.
     */
    UnionFs(long dev, SefsStore lower, SefsStore upper, String typeName, InstantSource clock) {
        super(dev, upper.readOnly(), clock);
        this.lower = lower;
        this.upper = upper;
        this.typeName = typeName;
        this.root = new UDir(new Pos(null, "/", upper.root(), lower == null ? null : lower.root(), 2));
        if (lower != null) {
            bindLayers();
        }
    }

    private void bindLayers() {
        byte[] mac = lower.rootMac();
        SefsStore.Node f = upper.lookup(upper.root(), MAC_FILE);
        if (f != null) {
            if (!MessageDigest.isEqual(upper.content(f), mac)) {
                throw Errno.EINVAL.exception("the upper layer was made for another image (" + MAC_FILE + " differs)");
            }
        } else if (!upper.readOnly()) {
            SefsStore.Node n = upper.create(upper.root(), MAC_FILE, SefsStore.FILE, 0777, 0, 0, null, nowNanos());
            upper.write(n, ByteBuffer.wrap(mac), 0, nowNanos());
        }
    }

    @Override
    Inode.Dir root() {
        return root;
    }

    @Override
    String type() {
        return typeName;
    }

    @Override
    synchronized void sync() {
        upper.sync();
    }

    // ============================================================================ nodes

    /** Where a union object lives: its parent and name, and its inode in each layer (null when absent). */
    private static final class Pos {
        UDir parent;
        String name;
        SefsStore.Node up;
        SefsStore.Node low;
        final long ino;

        Pos(UDir parent, String name, SefsStore.Node up, SefsStore.Node low, long ino) {
            this.parent = parent;
            this.name = name;
            this.up = up;
            this.low = low;
            this.ino = ino;
        }

        SefsStore.Node top() {
            return up != null ? up : low;
        }
    }

    private interface UNode {
        Pos pos();
    }

    private static Pos posOf(Inode i) {
        return ((UNode) i).pos();
    }

    private Stat stat(Pos p) {
        synchronized (this) {
            SefsStore.Node n = p.top();
            int type = switch (n.type()) {
                case SefsStore.DIR -> FileMode.S_IFDIR;
                case SefsStore.SYMLINK -> FileMode.S_IFLNK;
                case SefsStore.SOCKET -> FileMode.S_IFSOCK;
                default -> FileMode.S_IFREG;
            };
            long size = n.size();
            return new Stat(dev, p.ino, type | n.mode(), n.nlink(), n.uid(), n.gid(), 0, size, 4096, (size + 511) / 512,
                    n.atime(), n.mtime(), n.ctime());
        }
    }

    private static boolean reserved(String name) {
        return name.startsWith(RESERVED);
    }

    private Inode make(UDir parent, String name, SefsStore.Node up, SefsStore.Node low) {
        Pos p = new Pos(parent, name, up, low, nextIno++);
        SefsStore.Node top = up != null ? up : low;
        return switch (top.type()) {
            case SefsStore.DIR -> new UDir(p);
            case SefsStore.SYMLINK -> new ULink(p);
            case SefsStore.SOCKET -> new USock(p, top, null); // kept from an earlier boot: no socket is bound to it
            default -> new UFile(p);
        };
    }

    /** Makes {@code i} (and its parents) exist in the upper layer. */
    private void copyUp(Pos p) {
        if (p.up != null) {
            return;
        }
        if (p.parent == null) {
            throw Errno.ENOENT.exception(p.name + " was removed");
        }
        Pos parent = p.parent.p;
        copyUp(parent);
        SefsStore.Node l = p.low;
        long now = nowNanos();
        switch (l.type()) {
            case SefsStore.DIR -> p.up = upper.create(parent.up, p.name, SefsStore.DIR, l.mode(), l.uid(), l.gid(), null, now);
            case SefsStore.SYMLINK -> p.up = upper.create(parent.up, p.name, SefsStore.SYMLINK, l.mode(), l.uid(), l.gid(),
                    lower.readlink(l), now);
            default -> {
                byte[] content = lower.content(l);
                SefsStore.Node n = upper.create(parent.up, p.name, SefsStore.FILE, l.mode(), l.uid(), l.gid(), null, now);
                try {
                    upper.write(n, ByteBuffer.wrap(content), 0, now);
                } catch (RuntimeException e) {
                    upper.remove(parent.up, p.name, now);
                    throw e;
                }
                p.up = n;
            }
        }
    }

    final class UDir extends Inode.Dir implements UNode {
        final Pos p;
        /** Union nodes handed out, by name (so a name keeps its node and st_ino). */
        private final Map<String, Inode> children = new HashMap<>();

        UDir(Pos p) {
            super(UnionFs.this);
            this.p = p;
        }

        @Override
        public Pos pos() {
            return p;
        }

        @Override
        long ino() {
            return p.ino;
        }

        @Override
        int mode() {
            synchronized (UnionFs.this) {
                return FileMode.S_IFDIR | p.top().mode();
            }
        }

        @Override
        int uid() {
            return p.top().uid();
        }

        @Override
        int gid() {
            return p.top().gid();
        }

        @Override
        Stat stat() {
            return UnionFs.this.stat(p);
        }

        private boolean upperHas(String name) {
            return p.up != null && upper.lookup(p.up, name) != null;
        }

        private boolean lowerHas(String name) {
            return p.low != null && lower.lookup(p.low, name) != null;
        }

        @Override
        Inode lookup(String name) {
            synchronized (UnionFs.this) {
                if (reserved(name)) {
                    return null;
                }
                Inode cached = children.get(name);
                if (cached != null) {
                    return cached;
                }
                SefsStore.Node up = p.up == null ? null : upper.lookup(p.up, name);
                SefsStore.Node low = null;
                if (p.low != null && (up == null || up.isDir())) {
                    if (up == null && upperHas(WHITEOUT + name)) {
                        return null;
                    }
                    SefsStore.Node l = lower.lookup(p.low, name);
                    if (up == null || (l != null && l.isDir() && !upperHas(OPAQUE + name))) {
                        low = l;
                    }
                }
                if (up == null && low == null) {
                    return null;
                }
                Inode i = make(this, name, up, low);
                children.put(name, i);
                return i;
            }
        }

        @Override
        Regular createFile(String name, int mode, Credentials c) {
            synchronized (UnionFs.this) {
                UFile f = (UFile) make(this, name, createUpper(name, SefsStore.FILE, mode, c), null);
                children.put(name, f);
                return f;
            }
        }

        /**
         * The socket file of an AF_UNIX bind, in the upper layer like a new regular file (a whiteout
         * of the name goes), kept across boots as Linux keeps it on disk; EEXIST when the name shows.
         */
        @Override
        SocketInode mksock(String name, int perm, Credentials c, Object endpoint) {
            synchronized (UnionFs.this) {
                SefsStore.Node n = createUpper(name, SefsStore.SOCKET, perm, c);
                USock s = new USock(new Pos(this, name, n, null, nextIno++), n, endpoint);
                children.put(name, s);
                return s;
            }
        }

        /** A new non-directory entry {@code name} in the upper layer, over a whiteout of it if there is one. */
        private SefsStore.Node createUpper(String name, int type, int mode, Credentials c) {
            requireFree(name);
            copyUp(p);
            if (upperHas(WHITEOUT + name)) {
                upper.remove(p.up, WHITEOUT + name, nowNanos());
            }
            return upper.create(p.up, name, type, mode, c.uid(), c.gid(), null, nowNanos());
        }

        @Override
        void mkdir(String name, int mode, Credentials c) {
            synchronized (UnionFs.this) {
                requireFree(name);
                copyUp(p);
                long now = nowNanos();
                if (upperHas(WHITEOUT + name)) {
                    upper.rename(p.up, WHITEOUT + name, p.up, OPAQUE + name, now);
                }
                SefsStore.Node n = upper.create(p.up, name, SefsStore.DIR, mode, c.uid(), c.gid(), null, now);
                children.put(name, make(this, name, n, null));
            }
        }

        private void requireFree(String name) {
            if (lookup(name) != null) {
                throw Errno.EEXIST.exception(name);
            }
            if (reserved(name)) {
                throw Errno.EINVAL.exception("names beginning " + RESERVED + " are reserved by the union file system");
            }
        }

        @Override
        void unlink(String name) {
            synchronized (UnionFs.this) {
                Inode i = lookup(name);
                if (i == null) {
                    throw Errno.ENOENT.exception(name);
                }
                if (i.isDir()) {
                    throw Errno.EISDIR.exception(name);
                }
                removeEntry(name, i);
            }
        }

        @Override
        void rmdir(String name) {
            synchronized (UnionFs.this) {
                Inode i = lookup(name);
                if (i == null) {
                    throw Errno.ENOENT.exception(name);
                }
                if (!(i instanceof UDir d)) {
                    throw Errno.ENOTDIR.exception(name);
                }
                if (!d.list().isEmpty()) {
                    throw Errno.ENOTEMPTY.exception(name);
                }
                removeEntry(name, i);
            }
        }

        /** Removes {@code name} (a non-directory or a union-empty directory) through the union. */
        private void removeEntry(String name, Inode i) {
            Pos c = posOf(i);
            copyUp(p);
            long now = nowNanos();
            if (c.up != null) {
                if (c.up.isDir()) {
                    for (String n : upper.names(c.up)) {
                        upper.remove(c.up, n, now); // whiteouts and opaque markers only: the union saw it empty
                    }
                }
                upper.remove(p.up, name, now);
            }
            if (upperHas(OPAQUE + name)) {
                upper.remove(p.up, OPAQUE + name, now);
            }
            if (lowerHas(name)) {
                upper.create(p.up, WHITEOUT + name, SefsStore.FILE, 0777, 0, 0, null, now);
            }
            children.remove(name);
            c.parent = null;
        }

        @Override
        void rename(String oldName, Inode.Dir newDir, String newName) {
            synchronized (UnionFs.this) {
                Inode src = lookup(oldName);
                if (src == null) {
                    throw Errno.ENOENT.exception(oldName);
                }
                if (reserved(newName)) {
                    throw Errno.EINVAL.exception("names beginning " + RESERVED + " are reserved by the union file system");
                }
                UDir nd = (UDir) newDir;
                Inode dst = nd.lookup(newName);
                if (dst == src) {
                    return;
                }
                Pos s = posOf(src);
                if (src.isDir() && s.low != null) {
                    throw Errno.EXDEV.exception(oldName + " is a directory of the image layer (no redirect_dir)");
                }
                if (dst != null) {
                    if (src.isDir() && !dst.isDir()) {
                        throw Errno.ENOTDIR.exception(newName);
                    }
                    if (!src.isDir() && dst.isDir()) {
                        throw Errno.EISDIR.exception(newName);
                    }
                    if (dst instanceof UDir dd && !dd.list().isEmpty()) {
                        throw Errno.ENOTEMPTY.exception(newName);
                    }
                }
                copyUp(s);
                copyUp(nd.p);
                if (dst != null) {
                    nd.removeEntry(newName, dst);
                }
                long now = nowNanos();
                upper.rename(p.up, oldName, nd.p.up, newName, now);
                if (upperHas(OPAQUE + oldName)) {
                    upper.remove(p.up, OPAQUE + oldName, now); // the marker belonged to the old name
                }
                if (lowerHas(oldName)) {
                    upper.create(p.up, WHITEOUT + oldName, SefsStore.FILE, 0777, 0, 0, null, now);
                }
                if (nd.upperHas(WHITEOUT + newName)) {
                    if (src.isDir()) {
                        upper.rename(nd.p.up, WHITEOUT + newName, nd.p.up, OPAQUE + newName, now);
                    } else {
                        upper.remove(nd.p.up, WHITEOUT + newName, now);
                    }
                }
                children.remove(oldName);
                s.parent = nd;
                s.name = newName;
                nd.children.put(newName, src);
            }
        }

        @Override
        List<Entry> list() {
            synchronized (UnionFs.this) {
                TreeSet<byte[]> names = new TreeSet<>(java.util.Arrays::compareUnsigned);
                if (p.low != null) {
                    for (String n : lower.names(p.low)) {
                        names.add(n.getBytes(StandardCharsets.UTF_8));
                    }
                }
                if (p.up != null) {
                    for (String n : upper.names(p.up)) {
                        if (n.startsWith(WHITEOUT)) {
                            names.remove(n.substring(WHITEOUT.length()).getBytes(StandardCharsets.UTF_8));
                        } else if (!reserved(n)) {
                            names.add(n.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
                List<Entry> out = new ArrayList<>(names.size());
                for (byte[] b : names) {
                    String n = new String(b, StandardCharsets.UTF_8);
                    Inode i = lookup(n);
                    if (i != null) {
                        out.add(new Entry(n, i));
                    }
                }
                return out;
            }
        }
    }

    final class UFile extends Inode.Regular implements UNode {
        final Pos p;

        UFile(Pos p) {
            super(UnionFs.this);
            this.p = p;
        }

        @Override
        public Pos pos() {
            return p;
        }

        @Override
        long ino() {
            return p.ino;
        }

        @Override
        int mode() {
            synchronized (UnionFs.this) {
                return FileMode.S_IFREG | p.top().mode();
            }
        }

        @Override
        int uid() {
            return p.top().uid();
        }

        @Override
        int gid() {
            return p.top().gid();
        }

        @Override
        Stat stat() {
            return UnionFs.this.stat(p);
        }

        @Override
        long size() {
            synchronized (UnionFs.this) {
                return p.top().size();
            }
        }

        @Override
        FileIo open(boolean read, boolean write) {
            synchronized (UnionFs.this) {
                if (write) {
                    copyUp(p);
                }
            }
            return new FileIo() {
                @Override
                public int read(ByteBuffer dst, long pos) {
                    synchronized (UnionFs.this) {
                        return p.up != null ? upper.read(p.up, dst, pos) : lower.read(p.low, dst, pos);
                    }
                }

                @Override
                public int write(ByteBuffer src, long pos) {
                    synchronized (UnionFs.this) {
                        copyUp(p);
                        return upper.write(p.up, src, pos, nowNanos());
                    }
                }

                @Override
                public long append(ByteBuffer src) {
                    synchronized (UnionFs.this) {
                        copyUp(p);
                        long at = p.up.size();
                        return at + upper.write(p.up, src, at, nowNanos());
                    }
                }

                @Override
                public long size() {
                    return UFile.this.size();
                }

                @Override
                public void truncate(long length) {
                    synchronized (UnionFs.this) {
                        copyUp(p);
                        upper.truncate(p.up, length, nowNanos());
                    }
                }

                @Override
                public void close() {
                }
            };
        }
    }

    final class ULink extends Inode.Symlink implements UNode {
        final Pos p;

        ULink(Pos p) {
            super(UnionFs.this);
            this.p = p;
        }

        @Override
        public Pos pos() {
            return p;
        }

        @Override
        long ino() {
            return p.ino;
        }

        @Override
        int mode() {
            return FileMode.S_IFLNK | 0777;
        }

        @Override
        Stat stat() {
            return UnionFs.this.stat(p);
        }

        @Override
        String target() {
            synchronized (UnionFs.this) {
                return p.up != null ? upper.readlink(p.up) : lower.readlink(p.low);
            }
        }
    }

    /** A socket file of the union (always in the upper layer: the image holds none). */
    final class USock extends SocketInode implements UNode {
        final Pos p;

        USock(Pos p, SefsStore.Node n, Object endpoint) {
            super(UnionFs.this, p.ino, n.mode(), n.uid(), n.gid(), endpoint);
            this.p = p;
        }

        @Override
        public Pos pos() {
            return p;
        }

        @Override
        Stat stat() {
            return UnionFs.this.stat(p);
        }
    }
}
