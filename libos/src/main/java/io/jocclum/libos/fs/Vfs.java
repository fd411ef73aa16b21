package io.jocclum.libos.fs;

import io.jocclum.api.DirEntry;
import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Limits;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The LibOS file-system namespace: a mount table and path resolution, and the path-based
 * syscalls (open, openat, stat, lstat, mkdir, rmdir, unlink, chdir, getcwd, readlink).
 *
 * <p>Design: the mount table maps canonical LibOS paths to {@link GuestFileSystem}s: "/" is the
 * image (read-only: writes give EROFS), {@code /dev} the devices, plus tmpfs and hostfs mounts.
 * Resolution walks one component at a time keeping a stack of (canonical path, inode) frames,
 * so {@code ..} is exact across mount points and symbolic links found in host directories are
 * resolved inside the LibOS namespace (at most 40, then ELOOP), never by the host — a hostfs
 * mount cannot be escaped. Errnos follow Linux's {@code path_openat}/{@code may_open} order:
 * ENAMETOOLONG, ENOENT, ENOTDIR, ELOOP, EEXIST, EISDIR, EROFS (before EACCES), EACCES.
 */
public final class Vfs {
    /** MAXSYMLINKS (include/linux/namei.h). */
    static final int MAX_SYMLINKS = 40;

    private final Map<String, GuestFileSystem> mounts;
    private final GuestFileSystem rootFs;
    /** Parent path → names of mount points directly below it (for listings). */
    private final Map<String, List<String>> mountChildren = new HashMap<>();

    private Vfs(Map<String, GuestFileSystem> mounts) {
        this.mounts = Map.copyOf(mounts);
        this.rootFs = mounts.get("/");
        for (String t : mounts.keySet()) {
            if (!t.equals("/")) {
                int slash = t.lastIndexOf('/');
                String parent = slash == 0 ? "/" : t.substring(0, slash);
                mountChildren.computeIfAbsent(parent, k -> new ArrayList<>()).add(t.substring(slash + 1));
            }
        }
        mountChildren.values().forEach(l -> l.sort(null));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a Vfs from mount specs. */
    public static final class Builder {
        private final List<MountSpec> specs = new ArrayList<>();
        private RandomGenerator random;
        private InstantSource wallClock = InstantSource.fixed(Instant.EPOCH);
        private final List<CharDevice> devices = new ArrayList<>();

        public Builder mount(MountSpec spec) {
            specs.add(spec);
            return this;
        }

        public Builder image(java.nio.file.Path hostDir) {
            return mount(new MountSpec.ImageRoot(hostDir));
        }

        public Builder tmpfs(String target, long capacityBytes) {
            return mount(new MountSpec.Tmpfs(target, capacityBytes));
        }

        public Builder hostfs(String target, java.nio.file.Path hostDir, boolean readOnly) {
            return mount(new MountSpec.HostDir(target, hostDir, readOnly));
        }

        /** The generator behind /dev/urandom (required: model code has no unseeded randomness). */
        public Builder random(RandomGenerator r) {
            this.random = r;
            return this;
        }

        /** File timestamps come from here (default: the epoch, for reproducible stats). */
        public Builder wallClock(InstantSource c) {
            this.wallClock = c;
            return this;
        }

        /** Adds a character device to /dev (after null, urandom and zero). */
        public Builder device(CharDevice d) {
            devices.add(d);
            return this;
        }

        public Vfs build() {
            if (random == null) {
                throw new IllegalStateException("Vfs needs a RandomGenerator for /dev/urandom");
            }
            Map<String, GuestFileSystem> m = new LinkedHashMap<>();
            long dev = 1;
            for (MountSpec s : specs) {
                String target = canonicalMountTarget(s.target());
                if (m.containsKey(target)) {
                    throw new IllegalArgumentException("two mounts at " + target);
                }
                GuestFileSystem fs = switch (s) {
                    case MountSpec.ImageRoot r -> new HostFs(dev++, r.hostDir(), true, "image", wallClock);
                    case MountSpec.Tmpfs t -> new MemFs(dev++, t.capacityBytes(), wallClock);
                    case MountSpec.HostDir h -> new HostFs(dev++, h.hostDir(), h.readOnly(), "hostfs", wallClock);
                };
                m.put(target, fs);
            }
            if (!m.containsKey("/")) {
                throw new IllegalArgumentException("no root mount: an ImageRoot (or a mount at /) is required");
            }
            if (!m.containsKey("/dev")) {
                m.put("/dev", new DevFs(dev, random, wallClock, devices));
            }
            return new Vfs(m);
        }

        private static String canonicalMountTarget(String t) {
            if (t == null || !t.startsWith("/")) {
                throw new IllegalArgumentException("mount target must be an absolute path: " + t);
            }
            List<String> parts = new ArrayList<>();
            for (String c : t.split("/")) {
                if (c.isEmpty() || c.equals(".")) {
                    continue;
                }
                if (c.equals("..")) {
                    throw new IllegalArgumentException("mount target must not contain '..': " + t);
                }
                parts.add(c);
            }
            return "/" + String.join("/", parts);
        }
    }

    /** The mount targets, for listings and tests. */
    public List<String> mountTargets() {
        return List.copyOf(mounts.keySet());
    }

    // ====================================================================== resolution

    private record Frame(String path, Inode inode) {
    }

    /** What a walk found: the final inode (null when the last component is missing). */
    private record Walk(Frame parent, String name, Inode inode, String path, boolean trailingSlash, boolean dotLast) {
        boolean exists() {
            return inode != null;
        }
    }

    private static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    private String startPath(Caller c, int dirfd, String path) {
        if (path.startsWith("/")) {
            return "/";
        }
        if (dirfd == OpenFlags.AT_FDCWD) {
            return c.fs().cwd();
        }
        OpenFile f = c.files().get(dirfd);
        if (!(f instanceof DirectoryFile d)) {
            throw Errno.ENOTDIR.exception("dirfd " + dirfd + " is not a directory");
        }
        return d.path();
    }

    private Walk walk(Caller c, int dirfd, String path, boolean followLast) {
        if (path == null) {
            throw Errno.EFAULT.exception("null path");
        }
        if (path.isEmpty()) {
            throw Errno.ENOENT.exception("empty path");
        }
        if (path.length() >= Limits.PATH_MAX) {
            throw Errno.ENAMETOOLONG.exception("path of " + path.length() + " bytes");
        }
        boolean trailingSlash = path.endsWith("/");
        Deque<String> comps = new ArrayDeque<>();
        String start = startPath(c, dirfd, path);
        split(start, comps);
        split(path, comps);
        List<Frame> stack = new ArrayList<>();
        stack.add(new Frame("/", rootFs.root()));
        int links = 0;
        boolean dotLast = false;
        while (!comps.isEmpty()) {
            String name = comps.pollFirst();
            boolean last = comps.isEmpty();
            Frame top = stack.getLast();
            if (!(top.inode instanceof Inode.Dir dir)) {
                throw Errno.ENOTDIR.exception(top.path);
            }
            if (name.length() > Limits.NAME_MAX) {
                throw Errno.ENAMETOOLONG.exception("component of " + name.length() + " bytes");
            }
            if (!dir.permits(c.credentials(), 1)) {
                throw Errno.EACCES.exception("search permission on " + top.path);
            }
            if (name.equals(".") || name.equals("..")) {
                if (name.equals("..") && stack.size() > 1) {
                    stack.removeLast();
                }
                dotLast = last;
                continue;
            }
            dotLast = false;
            String childPath = child(top.path, name);
            GuestFileSystem m = mounts.get(childPath);
            Inode childInode = m != null ? m.root() : dir.lookup(name);
            if (childInode == null) {
                if (last) {
                    return new Walk(top, name, null, childPath, trailingSlash, false);
                }
                throw Errno.ENOENT.exception(childPath);
            }
            if (childInode instanceof Inode.Symlink link && (!last || followLast || trailingSlash)) {
                if (++links > MAX_SYMLINKS) {
                    throw Errno.ELOOP.exception("more than " + MAX_SYMLINKS + " symbolic links");
                }
                String target = link.target();
                if (target.isEmpty()) {
                    throw Errno.ENOENT.exception("empty symbolic link " + childPath);
                }
                Deque<String> t = new ArrayDeque<>();
                split(target, t);
                while (!t.isEmpty()) {
                    comps.addFirst(t.pollLast());
                }
                if (target.startsWith("/")) {
                    stack.subList(1, stack.size()).clear();
                }
                if (comps.isEmpty()) {
                    dotLast = true; // the link pointed at "/"
                }
                continue;
            }
            stack.add(new Frame(childPath, childInode));
        }
        Frame top = stack.getLast();
        Frame parent = stack.size() > 1 ? stack.get(stack.size() - 2) : top;
        String name = top.path.equals("/") ? "/" : top.path.substring(top.path.lastIndexOf('/') + 1);
        if (trailingSlash && !(top.inode instanceof Inode.Dir) && !(top.inode instanceof Inode.Symlink)) {
            throw Errno.ENOTDIR.exception(top.path);
        }
        return new Walk(parent, name, top.inode, top.path, trailingSlash, dotLast || top.path.equals("/"));
    }

    private static void split(String p, Deque<String> out) {
        int i = 0;
        int n = p.length();
        while (i < n) {
            while (i < n && p.charAt(i) == '/') {
                i++;
            }
            int j = i;
            while (j < n && p.charAt(j) != '/') {
                j++;
            }
            if (j > i) {
                out.addLast(p.substring(i, j));
            }
            i = j;
        }
    }

    // ====================================================================== open

    /** {@code open(2)}: returns the new descriptor. */
    public int open(Caller c, String path, int flags, int mode) {
        return openat(c, OpenFlags.AT_FDCWD, path, flags, mode);
    }

    /** {@code openat(2)}. */
    public int openat(Caller c, int dirfd, String path, int flags, int mode) {
        OpenFile f = openFile(c, dirfd, path, flags, mode);
        try {
            return c.files().install(f, (flags & OpenFlags.O_CLOEXEC) != 0);
        } finally {
            if (f.refCount() == 0) {
                // install failed (EMFILE): release what open made
                f.retain();
                f.unref();
            }
        }
    }

    /** An opener for spawn file actions, resolving paths as {@code parent} would. */
    public FileOpener opener(Caller parent) {
        return (p, fl, m) -> openFile(parent, OpenFlags.AT_FDCWD, p, fl, m);
    }

    /**
     * Opens {@code path} and returns the open file without installing a descriptor (for spawn
     * file actions and the VM). The caller must install it or release it.
     */
    public OpenFile openFile(Caller c, int dirfd, String path, int flags, int mode) {
        int acc = flags & OpenFlags.O_ACCMODE;
        if ((flags & OpenFlags.O_TMPFILE) == OpenFlags.O_TMPFILE) {
            throw Errno.EOPNOTSUPP.exception("O_TMPFILE is not supported");
        }
        if ((flags & OpenFlags.O_PATH) != 0) {
            throw Errno.EOPNOTSUPP.exception("O_PATH is not supported");
        }
        if ((flags & OpenFlags.O_CREAT) != 0 && (flags & OpenFlags.O_DIRECTORY) != 0) {
            throw Errno.EINVAL.exception("O_CREAT with O_DIRECTORY (Linux >= 6.4)");
        }
        boolean creat = (flags & OpenFlags.O_CREAT) != 0;
        boolean excl = creat && (flags & OpenFlags.O_EXCL) != 0;
        boolean follow = (flags & OpenFlags.O_NOFOLLOW) == 0 && !excl;
        Walk w = walk(c, dirfd, path, follow);
        Inode inode = w.inode;
        boolean created = false;
        if (inode == null) {
            if (!creat) {
                throw Errno.ENOENT.exception(w.path);
            }
            if (w.trailingSlash) {
                throw Errno.EISDIR.exception(w.path);
            }
            Inode.Dir parent = (Inode.Dir) w.parent.inode;
            parent.fs.requireWritable();
            if (!parent.permits(c.credentials(), 3)) {
                throw Errno.EACCES.exception("write permission on " + w.parent.path);
            }
            try {
                inode = parent.createFile(w.name, mode & ~c.fs().umask() & 07777, c.credentials());
                created = true;
            } catch (io.jocclum.api.ErrnoException e) {
                if (e.errno() != Errno.EEXIST || excl) {
                    throw e;
                }
                inode = parent.lookup(w.name); // lost a creation race: open what the winner made
                if (inode == null) {
                    throw Errno.ENOENT.exception(w.path);
                }
            }
        } else {
            if (excl) {
                throw Errno.EEXIST.exception(w.path);
            }
            if (inode instanceof Inode.Symlink) {
                throw Errno.ELOOP.exception("O_NOFOLLOW on symbolic link " + w.path);
            }
        }
        boolean trunc = (flags & OpenFlags.O_TRUNC) != 0;
        if (inode instanceof Inode.Dir) {
            if (creat) {
                throw Errno.EISDIR.exception(w.path);
            }
            if (acc != OpenFlags.O_RDONLY || trunc) {
                throw Errno.EISDIR.exception(w.path);
            }
        } else if ((flags & OpenFlags.O_DIRECTORY) != 0) {
            throw Errno.ENOTDIR.exception(w.path);
        }
        if (!created) {
            boolean wantWrite = acc == OpenFlags.O_WRONLY || acc == OpenFlags.O_RDWR || acc == OpenFlags.O_ACCMODE || trunc;
            boolean wantRead = acc == OpenFlags.O_RDONLY || acc == OpenFlags.O_RDWR || acc == OpenFlags.O_ACCMODE;
            if (wantWrite && !(inode instanceof Inode.Device) && inode.fs.readOnly) {
                throw Errno.EROFS.exception(w.path);
            }
            int need = (wantRead ? 4 : 0) | (wantWrite ? 2 : 0);
            if (!inode.permits(c.credentials(), need)) {
                throw Errno.EACCES.exception(w.path);
            }
        }
        return switch (inode) {
            case Inode.Dir d -> new DirectoryFile(this, d, flags, w.path);
            case Inode.Device d -> d.open(flags, w.path);
            case Inode.Regular r -> {
                boolean read = acc == OpenFlags.O_RDONLY || acc == OpenFlags.O_RDWR;
                boolean write = acc == OpenFlags.O_WRONLY || acc == OpenFlags.O_RDWR;
                Inode.FileIo io = r.open(read, write || trunc);
                if (trunc && !created) {
                    try {
                        io.truncate(0);
                    } catch (RuntimeException e) {
                        io.close();
                        throw e;
                    }
                }
                yield new RegularFile(r, io, flags, w.path);
            }
            case Inode.Symlink s -> throw Errno.ELOOP.exception(w.path);
        };
    }

    // ====================================================================== other path calls

    /** {@code stat(2)} (follows a final symbolic link). */
    public Stat stat(Caller c, String path) {
        return require(walk(c, OpenFlags.AT_FDCWD, path, true)).stat();
    }

    /** {@code lstat(2)}. */
    public Stat lstat(Caller c, String path) {
        return require(walk(c, OpenFlags.AT_FDCWD, path, false)).stat();
    }

    /** {@code fstatat(2)} with {@code AT_SYMLINK_NOFOLLOW} and {@code AT_EMPTY_PATH}. */
    public Stat fstatat(Caller c, int dirfd, String path, int flags) {
        if (path.isEmpty() && (flags & OpenFlags.AT_EMPTY_PATH) != 0) {
            return c.files().get(dirfd).fstat();
        }
        return require(walk(c, dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0)).stat();
    }

    private static Inode require(Walk w) {
        if (w.inode == null) {
            throw Errno.ENOENT.exception(w.path);
        }
        return w.inode;
    }

    /** {@code readlink(2)}: EINVAL when not a symbolic link. */
    public String readlink(Caller c, String path) {
        Inode i = require(walk(c, OpenFlags.AT_FDCWD, path, false));
        if (!(i instanceof Inode.Symlink s)) {
            throw Errno.EINVAL.exception(path + " is not a symbolic link");
        }
        return s.target();
    }

    /** {@code mkdir(2)}. */
    public void mkdir(Caller c, String path, int mode) {
        mkdirat(c, OpenFlags.AT_FDCWD, path, mode);
    }

    /** {@code mkdirat(2)}. */
    public void mkdirat(Caller c, int dirfd, String path, int mode) {
        Walk w = walk(c, dirfd, path, false);
        if (w.exists()) {
            throw Errno.EEXIST.exception(w.path);
        }
        Inode.Dir parent = (Inode.Dir) w.parent.inode;
        parent.fs.requireWritable();
        if (!parent.permits(c.credentials(), 3)) {
            throw Errno.EACCES.exception("write permission on " + w.parent.path);
        }
        parent.mkdir(w.name, mode & ~c.fs().umask() & 07777, c.credentials());
    }

    /** {@code unlink(2)}. */
    public void unlink(Caller c, String path) {
        unlinkat(c, OpenFlags.AT_FDCWD, path, 0);
    }

    /** {@code rmdir(2)}. */
    public void rmdir(Caller c, String path) {
        unlinkat(c, OpenFlags.AT_FDCWD, path, OpenFlags.AT_REMOVEDIR);
    }

    /** {@code unlinkat(2)}; {@code AT_REMOVEDIR} makes it rmdir. */
    public void unlinkat(Caller c, int dirfd, String path, int flags) {
        if ((flags & ~OpenFlags.AT_REMOVEDIR) != 0) {
            throw Errno.EINVAL.exception("unlinkat flags 0x" + Integer.toHexString(flags));
        }
        boolean rmdir = (flags & OpenFlags.AT_REMOVEDIR) != 0;
        Walk w = walk(c, dirfd, path, false);
        if (rmdir) {
            if (w.dotLast) {
                String last = lastComponent(path);
                if (w.path.equals("/") && !last.equals("..") && !last.equals(".")) {
                    throw Errno.EBUSY.exception("/");
                }
                throw last.equals("..") ? Errno.ENOTEMPTY.exception(path) : Errno.EINVAL.exception(path + " ends in '.'");
            }
        } else if (w.dotLast) {
            throw Errno.EISDIR.exception(path);
        }
        if (!w.exists()) {
            throw Errno.ENOENT.exception(w.path);
        }
        if (mounts.containsKey(w.path)) {
            throw Errno.EBUSY.exception(w.path + " is a mount point");
        }
        if (!rmdir && w.inode.isDir()) {
            throw Errno.EISDIR.exception(w.path);
        }
        if (rmdir && !w.inode.isDir()) {
            throw Errno.ENOTDIR.exception(w.path);
        }
        Inode.Dir parent = (Inode.Dir) w.parent.inode;
        parent.fs.requireWritable();
        if (!parent.permits(c.credentials(), 3)) {
            throw Errno.EACCES.exception("write permission on " + w.parent.path);
        }
        if (rmdir) {
            parent.rmdir(w.name);
        } else {
            parent.unlink(w.name);
        }
    }

    private static String lastComponent(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** {@code chdir(2)}. */
    public void chdir(Caller c, String path) {
        Walk w = walk(c, OpenFlags.AT_FDCWD, path, true);
        Inode i = require(w);
        if (!(i instanceof Inode.Dir)) {
            throw Errno.ENOTDIR.exception(w.path);
        }
        if (!i.permits(c.credentials(), 1)) {
            throw Errno.EACCES.exception(w.path);
        }
        c.fs().setCwd(w.path);
    }

    /** {@code fchdir(2)}. */
    public void fchdir(Caller c, int fd) {
        OpenFile f = c.files().get(fd);
        if (!(f instanceof DirectoryFile d)) {
            throw Errno.ENOTDIR.exception("fd " + fd);
        }
        c.fs().setCwd(d.path());
    }

    /** {@code getcwd(2)}. */
    public String getcwd(Caller c) {
        return c.fs().cwd();
    }

    /** {@code truncate(2)}. */
    public void truncate(Caller c, String path, long length) {
        if (length < 0) {
            throw Errno.EINVAL.exception("negative length");
        }
        Inode i = require(walk(c, OpenFlags.AT_FDCWD, path, true));
        if (i.isDir()) {
            throw Errno.EISDIR.exception(path);
        }
        if (!(i instanceof Inode.Regular r)) {
            throw Errno.EINVAL.exception(path + " is not a regular file");
        }
        i.fs.requireWritable();
        if (!i.permits(c.credentials(), 2)) {
            throw Errno.EACCES.exception(path);
        }
        Inode.FileIo io = r.open(false, true);
        try {
            io.truncate(length);
        } finally {
            io.close();
        }
    }

    // ====================================================================== AF_UNIX socket files

    /**
     * Creates the socket file of an AF_UNIX {@code bind} at {@code path} (the final symbolic link
     * is not followed), naming {@code endpoint}, with mode 0777 less the umask. Errnos as Linux's
     * {@code unix_bind_bsd}: EADDRINUSE when the name exists, ENOENT, ENOTDIR, EROFS, EACCES (no
     * write permission on the directory), EPERM (a file system without socket files). Returns
     * what unbinds it when the socket is closed (the file stays).
     */
    public Runnable bindSocket(Caller c, String path, Object endpoint) {
        Walk w = walk(c, OpenFlags.AT_FDCWD, path, false);
        if (w.exists() || w.dotLast) {
            throw Errno.EADDRINUSE.exception(w.path + " exists");
        }
        if (w.trailingSlash) {
            throw Errno.ENOENT.exception(w.path);
        }
        Inode.Dir parent = (Inode.Dir) w.parent.inode;
        parent.fs.requireWritable();
        if (!parent.permits(c.credentials(), 3)) {
            throw Errno.EACCES.exception("write permission on " + w.parent.path);
        }
        SocketInode s;
        try {
            s = parent.mksock(w.name, 0777 & ~c.fs().umask(), c.credentials(), endpoint);
        } catch (io.jocclum.api.ErrnoException e) {
            throw e.errno() == Errno.EEXIST ? Errno.EADDRINUSE.exception(w.path + " exists") : e;
        }
        return s::unbind;
    }

    /**
     * The endpoint an AF_UNIX {@code connect} or {@code sendto} to {@code path} reaches (Linux
     * {@code unix_find_bsd}): ENOENT, ENOTDIR, EACCES (no write permission on the socket file),
     * ECONNREFUSED when the file is not a socket or its socket was closed.
     */
    public Object findSocket(Caller c, String path) {
        Inode i = require(walk(c, OpenFlags.AT_FDCWD, path, true));
        if (!i.permits(c.credentials(), 2)) {
            throw Errno.EACCES.exception("write permission on " + path);
        }
        if (!(i instanceof SocketInode s)) {
            throw Errno.ECONNREFUSED.exception(path + " is not a socket");
        }
        Object e = s.endpoint();
        if (e == null) {
            throw Errno.ECONNREFUSED.exception("no socket is bound to " + path);
        }
        return e;
    }

    // ====================================================================== listings

    List<DirEntry> listDirectory(Inode.Dir dir, String path) {
        List<DirEntry> out = new ArrayList<>();
        out.add(new DirEntry(dir.ino(), FileMode.DT_DIR, "."));
        String parentPath = path.equals("/") ? "/" : path.substring(0, Math.max(1, path.lastIndexOf('/')));
        long parentIno = path.equals("/") ? dir.ino() : inodeOfCanonical(parentPath).ino();
        out.add(new DirEntry(parentIno, FileMode.DT_DIR, ".."));
        List<String> seen = new ArrayList<>();
        for (Inode.Dir.Entry e : dir.list()) {
            GuestFileSystem m = mounts.get(child(path, e.name()));
            Inode i = m != null ? m.root() : e.inode();
            out.add(new DirEntry(i.ino(), DirectoryFile.dtype(i), e.name()));
            seen.add(e.name());
        }
        for (String mp : mountChildren.getOrDefault(path, List.of())) {
            if (!seen.contains(mp)) {
                out.add(new DirEntry(mounts.get(child(path, mp)).root().ino(), FileMode.DT_DIR, mp));
            }
        }
        return out;
    }

    private Inode inodeOfCanonical(String path) {
        Walk w = walk(Caller.of(new FdTable(0)), OpenFlags.AT_FDCWD, path, true);
        return require(w);
    }
}
