package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Stat;

import java.time.InstantSource;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The LibOS {@code /dev}: {@code null}, {@code zero} and {@code urandom} character devices with
 * Linux's device numbers (1:3, 1:5, 1:9, Documentation/admin-guide/devices.txt). The directory
 * itself cannot be changed (EROFS); the devices can be read and written.
 */
final class DevFs extends GuestFileSystem {
    private final DevDir root;
    private final RandomGenerator random;

    DevFs(long dev, RandomGenerator random, InstantSource clock) {
        super(dev, true, clock);
        this.random = random;
        this.root = new DevDir();
    }

    @Override
    Inode.Dir root() {
        return root;
    }

    @Override
    String type() {
        return "devfs";
    }

    final class DevDir extends Inode.Dir {
        private final List<Entry> entries = List.of(
                new Entry("null", new Dev(2, 3, DeviceFiles.Kind.NULL)),
                new Entry("urandom", new Dev(3, 9, DeviceFiles.Kind.URANDOM)),
                new Entry("zero", new Dev(4, 5, DeviceFiles.Kind.ZERO)));
        private final long time = nowNanos();

        DevDir() {
            super(DevFs.this);
        }

        @Override
        long ino() {
            return 1;
        }

        @Override
        int mode() {
            return FileMode.S_IFDIR | 0755;
        }

        @Override
        Stat stat() {
            return new Stat(dev, 1, mode(), 2, 0, 0, 0, 0, 4096, 0, time, time, time);
        }

        @Override
        Inode lookup(String name) {
            for (Entry e : entries) {
                if (e.name().equals(name)) {
                    return e.inode();
                }
            }
            return null;
        }

        @Override
        Regular createFile(String name, int mode, Credentials c) {
            throw Errno.EROFS.exception("/dev is read-only in the LibOS");
        }

        @Override
        void mkdir(String name, int mode, Credentials c) {
            throw Errno.EROFS.exception("/dev is read-only in the LibOS");
        }

        @Override
        void unlink(String name) {
            if (lookup(name) == null) {
                throw Errno.ENOENT.exception(name);
            }
            throw Errno.EROFS.exception("/dev is read-only in the LibOS");
        }

        @Override
        void rmdir(String name) {
            if (lookup(name) == null) {
                throw Errno.ENOENT.exception(name);
            }
            throw Errno.ENOTDIR.exception(name);
        }

        @Override
        List<Entry> list() {
            return entries;
        }
    }

    final class Dev extends Inode.Device {
        private final long ino;
        private final int minor;
        private final DeviceFiles.Kind kind;

        Dev(long ino, int minor, DeviceFiles.Kind kind) {
            super(DevFs.this);
            this.ino = ino;
            this.minor = minor;
            this.kind = kind;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return FileMode.S_IFCHR | 0666;
        }

        @Override
        Stat stat() {
            return new Stat(dev, ino, mode(), 1, 0, 0, makedev(1, minor), 0, 4096, 0, root.time, root.time, root.time);
        }

        @Override
        OpenFile open(int flags, String path) {
            return new DeviceFiles.DeviceFile(kind, flags, this, random);
        }
    }
}
