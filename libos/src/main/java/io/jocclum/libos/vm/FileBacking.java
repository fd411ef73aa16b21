package io.jocclum.libos.vm;

/**
 * The file behind a VMA: the open file, the file offset of the VMA's first byte, and whether
 * the mapping is MAP_SHARED (written back on msync, munmap and exit).
 */
record FileBacking(MappableFile file, long offset, boolean shared) {
    FileBacking advance(long delta) {
        return new FileBacking(file, offset + delta, shared);
    }
}
