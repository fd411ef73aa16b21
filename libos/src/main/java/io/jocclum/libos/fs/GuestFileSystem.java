package io.jocclum.libos.fs;

import io.jocclum.api.Errno;

import java.time.InstantSource;

/**
 * One mounted file system: a device number, read-only or not, and a root directory.
 * Implementations: {@link MemFs} (tmpfs), {@link HostFs} (hostfs mounts, backed by a host
 * directory), {@link UnionFs} (the root union and sefs mounts) and {@link DevFs}.
 */
abstract class GuestFileSystem {
    final long dev;
    final boolean readOnly;
    final InstantSource wallClock;

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
}
