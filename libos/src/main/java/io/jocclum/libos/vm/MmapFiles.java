package io.jocclum.libos.vm;

/**
 * The file layer as mmap sees it: the file behind a descriptor, checked for the mapping asked
 * for (Linux {@code do_mmap}'s file checks).
 */
@FunctionalInterface
public interface MmapFiles {
    /**
     * The file behind {@code fd} to map with {@code prot} and {@code flags}, or null when the
     * descriptor maps anonymous memory (a device such as /dev/zero). Throws EBADF for a closed
     * descriptor, EACCES when its access mode does not allow the mapping, ENODEV when it cannot
     * be mapped at all (pipes, directories, sockets).
     */
    MappableFile mappable(int fd, int prot, int flags);
}
