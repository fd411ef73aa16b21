package io.jocclum.libos.vm;

import io.jocclum.api.ErrnoException;

import java.nio.ByteBuffer;

/**
 * What the VM needs of an open file to map it: the lead adapts the LibOS file system's open
 * files to this. Failures are {@link ErrnoException}s. The syscall layer resolves the fd first
 * (EBADF) and refuses files that cannot be mapped at all (ENODEV, e.g. pipes and directories).
 */
public interface MappableFile {

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code position} into {@code dst}; returns the
     * count (0 at or past end of file). Does not move any file offset.
     */
    int read(long position, ByteBuffer dst);

    /** Writes {@code src.remaining()} bytes at {@code position}; returns the count. Does not move any file offset. */
    int write(long position, ByteBuffer src);

    /** Current size in bytes. */
    long size();

    /**
     * Identity of the underlying file (the inode): two open files with equal identities are the
     * same file. Used to merge adjacent mappings and for fsync of an fd.
     */
    Object identity();

    /** The path the file was opened by (for /proc/PID/maps), or null. */
    default String path() {
        return null;
    }

    /** The open file allows reading (O_RDONLY or O_RDWR). */
    boolean readable();

    /** The open file allows writing (O_WRONLY or O_RDWR). */
    boolean writable();

    /**
     * Attaches {@code cache} to the file (every open file of the same inode reads and writes
     * through it), or detaches {@code cache} when {@code attach} is false. A file layer without
     * shared caching ignores it.
     */
    default void attachCache(FileCache cache, boolean attach) {
    }
}
