package io.jocclum.libos.vm;

import java.nio.ByteBuffer;

/**
 * The pages of a file that are mapped MAP_SHARED somewhere (its page cache, Linux
 * {@code mm/filemap.c}): the file layer reads through it and writes into it, so that
 * {@code read}/{@code write} and every process's shared mapping of the file see the same bytes
 * at once. The VM attaches it to the file ({@link MappableFile#attachCache}) while any shared
 * mapping of the file exists. Thread-safe.
 */
public interface FileCache {
    /**
     * After the file layer read {@code n} bytes at file offset {@code pos} into {@code dst} at
     * index {@code at}: replaces those of them that the cache holds by the cached bytes (which
     * may be newer, written through a mapping and not yet written back).
     */
    void overlay(long pos, ByteBuffer dst, int at, int n);

    /**
     * After the file layer wrote {@code n} bytes at file offset {@code pos} from {@code src} at
     * index {@code at}: copies those the cache holds into it.
     */
    void store(long pos, ByteBuffer src, int at, int n);

    /** The file was truncated to {@code size}: cached bytes past it read as zero from now on. */
    void truncated(long size);
}
