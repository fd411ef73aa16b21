package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Stat;
import io.jocclum.sgx.arch.Pages;

import java.time.InstantSource;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The LibOS {@code /dev}: {@code null}, {@code zero} and {@code urandom} character devices with
 * Linux's device numbers (1:3, 1:5, 1:9, Documentation/admin-guide/devices.txt), then the devices
 * added with {@link Vfs.Builder#device} (such as {@code /dev/sgx}). The directory
 * itself cannot be changed (EROFS); the devices can be read and written.
 */
final class DevFs extends GuestFileSystem {
    private final DevDir root;
    private final RandomGenerator random;

    DevFs(long dev, RandomGenerator random, InstantSource clock, List<CharDevice> extra) {
        super(dev, true, clock);
        this.random = random;
        this.root = new DevDir(extra);
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
        private final List<Entry> entries;
        private final long time = nowNanos();

        DevDir(List<CharDevice> extra) {
            super(DevFs.this);
            List<CharDevice> devices = new java.util.ArrayList<>(List.of(memDevice("null", 3, DeviceFiles.Kind.NULL),
                    memDevice("urandom", 9, DeviceFiles.Kind.URANDOM), memDevice("zero", 5, DeviceFiles.Kind.ZERO)));
            devices.addAll(extra);
            List<Entry> l = new java.util.ArrayList<>();
            long ino = 2;
            for (CharDevice d : devices) {
                l.add(new Entry(d.name(), new Dev(ino++, d)));
            }
            this.entries = List.copyOf(l);
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
            return new Stat(dev, 1, mode(), 2, 0, 0, 0, 0, Pages.SIZE, 0, time, time, time);
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

    /** A memory device of drivers/char/mem.c (major 1). */
    private CharDevice memDevice(String name, int minor, DeviceFiles.Kind kind) {
        return new CharDevice(name, 1, minor, (flags, stat) -> new DeviceFiles.DeviceFile(kind, flags, stat, random));
    }

    /** A character device: the memory devices and those added from outside the file layer ({@link CharDevice}). */
    final class Dev extends Inode.Device {
        private final long ino;
        private final CharDevice device;

        Dev(long ino, CharDevice device) {
            super(DevFs.this);
            this.ino = ino;
            this.device = device;
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
            return new Stat(dev, ino, mode(), 1, 0, 0, makedev(device.major(), device.minor()), 0, Pages.SIZE, 0, root.time, root.time,
                    root.time);
        }

        @Override
        OpenFile open(int flags, String path) {
            return device.opener().open(flags, this::stat);
        }
    }
}
