package io.jocclum.libos.fs;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Stat;
import io.jocclum.sgx.arch.Pages;

import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An in-memory writable file system (Linux tmpfs; the LibOS's {@code /tmp}).
 *
 * <p>Design: directories are sorted maps of names under one file-system-wide lock for namespace
 * changes; regular files keep their bytes in 4 KiB pages in a hash map keyed by page index
 * (holes read as zeros, so ftruncate to a large size costs nothing), guarded by a per-file
 * read-write lock. Pages count against the mount's capacity: a write that cannot get a page
 * stops there (a partial count) or fails with ENOSPC.
 */
final class MemFs extends GuestFileSystem {
    /** MAX_LFS_FILESIZE on 64-bit (include/linux/fs.h). */
    static final long MAX_FILE_SIZE = Long.MAX_VALUE;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(Pages.SIZE).asReadOnlyBuffer();

    /** Guards every directory's children map (namespace operations). */
    final Object namespaceLock = new Object();
    private final AtomicLong nextIno = new AtomicLong(1);
    private final long capacityBytes;
    /** Bytes of pages in use across all files. */
    private final AtomicLong usedBytes = new AtomicLong();
    private final MemDir root;

    MemFs(long dev, long capacityBytes, InstantSource clock) {
        super(dev, false, clock);
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("tmpfs capacity must be positive: " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
        this.root = new MemDir(FileMode.S_IFDIR | 01777, 0, 0);
    }

    @Override
    Inode.Dir root() {
        return root;
    }

    @Override
    String type() {
        return "tmpfs";
    }

    long usedBytes() {
        return usedBytes.get();
    }

    private boolean reservePage() {
        long u;
        do {
            u = usedBytes.get();
            if (u + Pages.SIZE > capacityBytes) {
                return false;
            }
        } while (!usedBytes.compareAndSet(u, u + Pages.SIZE));
        return true;
    }

    private void releasePages(long n) {
        usedBytes.addAndGet(-n * Pages.SIZE);
    }

    /** Fills {@code n} bytes of {@code dst} with zeros. */
    static void putZeros(ByteBuffer dst, int n) {
        while (n > 0) {
            int k = Math.min(n, Pages.SIZE);
            dst.put(ZEROS.slice(0, k));
            n -= k;
        }
    }

    final class MemDir extends Inode.Dir {
        private final long ino = nextIno.getAndIncrement();
        private final int mode;
        private final int uid;
        private final int gid;
        @GuardedBy("namespaceLock")
        private final TreeMap<String, Inode> children = new TreeMap<>();
        private volatile long mtime = nowNanos();
        private final long ctime = mtime;

        MemDir(int mode, int uid, int gid) {
            super(MemFs.this);
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
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
        int uid() {
            return uid;
        }

        @Override
        int gid() {
            return gid;
        }

        @Override
        Stat stat() {
            int subdirs;
            synchronized (namespaceLock) {
                subdirs = (int) children.values().stream().filter(Inode::isDir).count();
            }
            return new Stat(dev, ino, mode, 2L + subdirs, uid, gid, 0, Pages.SIZE, Pages.SIZE, 8, mtime, mtime, ctime);
        }

        @Override
        Inode lookup(String name) {
            synchronized (namespaceLock) {
                return children.get(name);
            }
        }

        @Override
        Regular createFile(String name, int perm, Credentials c) {
            synchronized (namespaceLock) {
                if (children.containsKey(name)) {
                    throw Errno.EEXIST.exception(name);
                }
                MemFile f = new MemFile(FileMode.S_IFREG | (perm & 07777), c.uid(), c.gid());
                children.put(name, f);
                mtime = nowNanos();
                return f;
            }
        }

        @Override
        SocketInode mksock(String name, int perm, Credentials c, Object endpoint) {
            synchronized (namespaceLock) {
                if (children.containsKey(name)) {
                    throw Errno.EEXIST.exception(name);
                }
                SocketInode s = new SocketInode(MemFs.this, nextIno.getAndIncrement(), perm, c, endpoint);
                children.put(name, s);
                mtime = nowNanos();
                return s;
            }
        }

        @Override
        void mkdir(String name, int perm, Credentials c) {
            synchronized (namespaceLock) {
                if (children.containsKey(name)) {
                    throw Errno.EEXIST.exception(name);
                }
                children.put(name, new MemDir(FileMode.S_IFDIR | (perm & 07777), c.uid(), c.gid()));
                mtime = nowNanos();
            }
        }

        @Override
        void unlink(String name) {
            synchronized (namespaceLock) {
                Inode i = children.get(name);
                if (i == null) {
                    throw Errno.ENOENT.exception(name);
                }
                if (i.isDir()) {
                    throw Errno.EISDIR.exception(name);
                }
                children.remove(name);
                if (i instanceof MemFile f) {
                    f.unlinked();
                }
                mtime = nowNanos();
            }
        }

        @Override
        void rmdir(String name) {
            synchronized (namespaceLock) {
                Inode i = children.get(name);
                if (i == null) {
                    throw Errno.ENOENT.exception(name);
                }
                if (!(i instanceof MemDir d)) {
                    throw Errno.ENOTDIR.exception(name);
                }
                if (!d.children.isEmpty()) {
                    throw Errno.ENOTEMPTY.exception(name);
                }
                children.remove(name);
                mtime = nowNanos();
            }
        }

        @Override
        List<Entry> list() {
            synchronized (namespaceLock) {
                List<Entry> l = new ArrayList<>(children.size());
                children.forEach((n, i) -> l.add(new Entry(n, i)));
                return l;
            }
        }
    }

    final class MemFile extends Inode.Regular implements Inode.FileIo {
        private final long ino = nextIno.getAndIncrement();
        private final int mode;
        private final int uid;
        private final int gid;
        private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
        /** Page index → 4 KiB page. */
        @GuardedBy("rw")
        private final Map<Long, byte[]> pages = new HashMap<>();
        /** Written under the write lock. */
        @GuardedBy("rw")
        private volatile long size;
        private volatile long mtime = nowNanos();
        private volatile long ctime = mtime;
        private volatile int nlink = 1;
        /** Open descriptions using this file. */
        @GuardedBy("rw")
        private int opens;

        MemFile(int mode, int uid, int gid) {
            super(MemFs.this);
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
        }

        void unlinked() {
            rw.writeLock().lock();
            try {
                nlink = 0;
                ctime = nowNanos();
                freeIfUnused();
            } finally {
                rw.writeLock().unlock();
            }
        }

        /** An unlinked file's pages go back to the mount when nobody has it open. */
        private void freeIfUnused() {
            if (nlink == 0 && opens == 0 && !pages.isEmpty()) {
                releasePages(pages.size());
                pages.clear();
            }
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
        int uid() {
            return uid;
        }

        @Override
        int gid() {
            return gid;
        }

        @Override
        Stat stat() {
            rw.readLock().lock();
            try {
                return new Stat(dev, ino, mode, nlink, uid, gid, 0, size, Pages.SIZE, (long) pages.size() * (Pages.SIZE / 512),
                        mtime, mtime, ctime);
            } finally {
                rw.readLock().unlock();
            }
        }

        @Override
        FileIo open(boolean read, boolean write) {
            rw.writeLock().lock();
            try {
                opens++;
            } finally {
                rw.writeLock().unlock();
            }
            return this;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public int read(ByteBuffer dst, long pos) {
            rw.readLock().lock();
            try {
                long sz = size;
                if (pos >= sz) {
                    return 0;
                }
                int n = (int) Math.min(dst.remaining(), sz - pos);
                int done = 0;
                while (done < n) {
                    long p = pos + done;
                    int off = Pages.offset(p);
                    int k = Math.min(n - done, Pages.SIZE - off);
                    byte[] page = pages.get(Pages.index(p));
                    if (page == null) {
                        putZeros(dst, k);
                    } else {
                        dst.put(page, off, k);
                    }
                    done += k;
                }
                return n;
            } finally {
                rw.readLock().unlock();
            }
        }

        @Override
        public int write(ByteBuffer src, long pos) {
            rw.writeLock().lock();
            try {
                return writeLocked(src, pos);
            } finally {
                rw.writeLock().unlock();
            }
        }

        private int writeLocked(ByteBuffer src, long pos) {
            int n = src.remaining();
            if (n == 0) {
                return 0;
            }
            if (pos > MAX_FILE_SIZE - n) {
                throw Errno.EFBIG.exception("write past the maximum file size");
            }
            int done = 0;
            while (done < n) {
                long p = pos + done;
                int off = Pages.offset(p);
                int k = Math.min(n - done, Pages.SIZE - off);
                long idx = Pages.index(p);
                byte[] page = pages.get(idx);
                if (page == null) {
                    if (!reservePage()) {
                        break;
                    }
                    page = new byte[Pages.SIZE];
                    pages.put(idx, page);
                }
                src.get(page, off, k);
                done += k;
            }
            if (done == 0) {
                throw Errno.ENOSPC.exception("tmpfs capacity " + capacityBytes + " bytes is used up");
            }
            if (pos + done > size) {
                size = pos + done;
            }
            mtime = nowNanos();
            ctime = mtime;
            return done;
        }

        @Override
        public long append(ByteBuffer src) {
            rw.writeLock().lock();
            try {
                long at = size;
                int n = writeLocked(src, at);
                return at + n;
            } finally {
                rw.writeLock().unlock();
            }
        }

        @Override
        public void truncate(long length) {
            rw.writeLock().lock();
            try {
                if (length < size) {
                    long firstDropped = Pages.countUp(length);
                    long dropped = 0;
                    var it = pages.entrySet().iterator();
                    while (it.hasNext()) {
                        var e = it.next();
                        if (e.getKey() >= firstDropped) {
                            it.remove();
                            dropped++;
                        }
                    }
                    releasePages(dropped);
                    byte[] last = pages.get(Pages.index(length));
                    if (last != null && !Pages.isAligned(length)) {
                        java.util.Arrays.fill(last, Pages.offset(length), Pages.SIZE, (byte) 0);
                    }
                }
                size = length;
                mtime = nowNanos();
                ctime = mtime;
            } finally {
                rw.writeLock().unlock();
            }
        }

        @Override
        public void close() {
            rw.writeLock().lock();
            try {
                opens--;
                freeIfUnused();
            } finally {
                rw.writeLock().unlock();
            }
        }
    }
}
