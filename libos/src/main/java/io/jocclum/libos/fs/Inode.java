package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.Stat;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A file-system object (Linux {@code struct inode}): directory, regular file, device or symbolic
 * link, belonging to one {@link GuestFileSystem}. Names live in directories, not here, so a regular
 * file stays usable through open descriptors after it is unlinked.
 */
abstract sealed class Inode permits Inode.Dir, Inode.Regular, Inode.Device, Inode.Symlink {
    final GuestFileSystem fs;

    Inode(GuestFileSystem fs) {
        this.fs = fs;
    }

    /** Inode number, unique within the file system. */
    abstract long ino();

    /** Type and permission bits. */
    abstract int mode();

    int uid() {
        return 0;
    }

    int gid() {
        return 0;
    }

    abstract Stat stat();

    final InodeId id() {
        return new InodeId(fs.dev, ino());
    }

    final boolean isDir() {
        return this instanceof Dir;
    }

    /** Unix permission check for {@code mask} (4 read, 2 write, 1 execute/search). */
    final boolean permits(Credentials c, int mask) {
        int m = mode();
        if (c.privileged()) {
            // CAP_DAC_OVERRIDE: everything but executing a file nobody may execute
            return (mask & 1) == 0 || isDir() || (m & 0111) != 0;
        }
        int bits = c.uid() == uid() ? (m >>> 6) & 7 : c.gid() == gid() ? (m >>> 3) & 7 : m & 7;
        return (bits & mask) == mask;
    }

    /** A directory. Mutations throw ErrnoException with Linux's errno. */
    abstract static non-sealed class Dir extends Inode {
        Dir(GuestFileSystem fs) {
            super(fs);
        }

        /** The child called {@code name}, or null. */
        abstract Inode lookup(String name);

        /** Creates an empty regular file; EEXIST when the name exists. */
        abstract Regular createFile(String name, int mode, Credentials c);

        /** Creates a directory; EEXIST when the name exists. */
        abstract void mkdir(String name, int mode, Credentials c);

        /** Removes a non-directory entry: ENOENT, EISDIR. */
        abstract void unlink(String name);

        /** Removes an empty directory: ENOENT, ENOTDIR, ENOTEMPTY. */
        abstract void rmdir(String name);

        /**
         * Creates the socket file of an AF_UNIX bind naming {@code endpoint}; EEXIST when the name
         * exists. A file system without socket files answers EPERM, as Linux's {@code vfs_mknod}
         * does for a directory without {@code mknod}.
         */
        SocketInode mksock(String name, int perm, Credentials c, Object endpoint) {
            throw Errno.EPERM.exception(fs.type() + " cannot hold socket files");
        }

        /** The entries, without "." and "..". */
        abstract List<Entry> list();

        /** A directory entry: name and the child's inode. */
        record Entry(String name, Inode inode) {
        }
    }

    /** A regular file: positional I/O through {@link FileIo}s. */
    abstract static non-sealed class Regular extends Inode {
        Regular(GuestFileSystem fs) {
            super(fs);
        }

        /** Opens an I/O channel for an open file description. */
        abstract FileIo open(boolean read, boolean write);

        /** The current length. */
        abstract long size();
    }

    /** A character device (/dev/null, /dev/zero, /dev/urandom). */
    abstract static non-sealed class Device extends Inode {
        Device(GuestFileSystem fs) {
            super(fs);
        }

        /** A new open file for this device. */
        abstract OpenFile open(int flags, String path);
    }

    /** A symbolic link (found in host directories). */
    abstract static non-sealed class Symlink extends Inode {
        Symlink(GuestFileSystem fs) {
            super(fs);
        }

        abstract String target();
    }

    /** Positional I/O on a regular file, one per open description. */
    interface FileIo {
        /** Reads from {@code pos} into {@code dst}; 0 at or after the end. */
        int read(ByteBuffer dst, long pos);

        /** Writes {@code src} at {@code pos}, growing the file as needed. */
        int write(ByteBuffer src, long pos);

        /** Writes {@code src} at the end, atomically; returns the end offset afterwards. */
        long append(ByteBuffer src);

        long size();

        void truncate(long length);

        /** Releases host resources. */
        void close();
    }

    /** Linux's {@code new_encode_dev}: the {@code st_rdev} value of (major, minor). */
    static long makedev(int major, int minor) {
        return (minor & 0xffL) | ((long) major << 8) | ((long) (minor & ~0xff) << 12);
    }
}
