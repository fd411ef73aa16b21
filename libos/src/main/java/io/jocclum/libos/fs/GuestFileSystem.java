package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.FileCache;

import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One mounted file system: a device number, read-only or not, and a root directory.
 * Implementations: {@link MemFs} (tmpfs), {@link HostFs} (hostfs mounts, backed by a host
 * directory), {@link UnionFs} (the root union and sefs mounts) and {@link DevFs}.
 */
abstract class GuestFileSystem {
    final long dev;
    final boolean readOnly;
    final InstantSource wallClock;
    /** The page caches of files mapped MAP_SHARED, by inode number (attached by the VM). */
    private final ConcurrentHashMap<Long, FileCache> caches = new ConcurrentHashMap<>();

    GuestFileSystem(long dev, boolean readOnly, InstantSource wallClock) {
        this.dev = dev;
        this.readOnly = readOnly;
        this.wallClock = wallClock;
    }

    abstract Inode.Dir root();

    /** The type name shown by mount listings ("hostfs", "tmpfs", "devfs"). */
    abstract String type();

    long nowNanos() {
        var i = wallClock.instant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** Writes what is cached in memory to the host (SEFS); nothing for the others. */
    void sync() {
    }

    /** EROFS unless writable. */
    void requireWritable() {
        if (readOnly) {
            throw Errno.EROFS.exception(type() + " mount is read-only");
        }
    }

    /** Attaches (or detaches) the page cache of inode {@code ino}. */
    void attachCache(long ino, FileCache c, boolean attach) {
        if (attach) {
            caches.put(ino, c);
        } else {
            caches.remove(ino, c);
        }
    }

    /** After {@code n} bytes of inode {@code ino} at {@code pos} were read into {@code dst} at {@code at}: the cached bytes win. */
    void afterRead(long ino, long pos, ByteBuffer dst, int at, int n) {
        FileCache c = caches.isEmpty() || n <= 0 ? null : caches.get(ino);
        if (c != null) {
            c.overlay(pos, dst, at, n);
        }
    }

    /** After {@code n} bytes of {@code src} at {@code at} were written to inode {@code ino} at {@code pos}: the cache gets them too. */
    void afterWrite(long ino, long pos, ByteBuffer src, int at, int n) {
        FileCache c = caches.isEmpty() || n <= 0 ? null : caches.get(ino);
        if (c != null) {
            c.store(pos, src, at, n);
        }
    }

    /** After inode {@code ino} was truncated to {@code size}. */
    void afterTruncate(long ino, long size) {
        FileCache c = caches.isEmpty() ? null : caches.get(ino);
        if (c != null) {
            c.truncated(size);
        }
    }
}
