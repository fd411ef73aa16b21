package io.jocclum.libos.fs;

import io.jocclum.api.Stat;

import java.util.function.Supplier;

/**
 * A character device of the LibOS {@code /dev} provided from outside the file layer (such as
 * {@code /dev/sgx}), added with {@link Vfs.Builder#device}.
 *
 * @param name   its name under /dev
 * @param major  device number (st_rdev)
 * @param minor  device number
 * @param opener a new open file for {@code open(2)} flags; {@code stat} gives the inode's stat for fstat
 */
public record CharDevice(String name, int major, int minor, Opener opener) {
    /** Opens the device. */
    public interface Opener {
        OpenFile open(int flags, Supplier<Stat> stat);
    }
}
