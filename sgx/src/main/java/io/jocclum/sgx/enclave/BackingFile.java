package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SortedSet;

/**
 * The enclave's backing file as the (untrusted) host sees it: raw read and write access to the
 * shmem pages holding evicted contents and PCMDs. This is what an attacker controlling the OS can
 * do; ELDU must detect any change. Used by tests and tools.
 */
public final class BackingFile {
    private final Enclave encl;

    BackingFile(Enclave encl) {
        this.encl = encl;
    }

    /** The file page holding the evicted contents of the enclave page at {@code linaddr}. */
    public long contentsIndex(long linaddr) {
        return Pages.index(linaddr - encl.base());
    }

    /** The file page of the SECS image. */
    public long secsIndex() {
        return Pages.count(encl.size());
    }

    /** File offset of the PCMD for the enclave page at {@code linaddr}. */
    public long pcmdOffset(long linaddr) {
        encl.lock.lock();
        try {
            return encl.backing().pcmdOffset(contentsIndex(linaddr));
        } finally {
            encl.lock.unlock();
        }
    }

    /** A copy of file page {@code index}, or null if the page does not exist. */
    public byte[] readPage(long index) {
        encl.lock.lock();
        try {
            MemorySegment p = encl.backing().data(index);
            return p == null ? null : p.toArray(ValueLayout.JAVA_BYTE);
        } finally {
            encl.lock.unlock();
        }
    }

    /** Overwrites the existing file page {@code index}; IllegalStateException if it does not exist. */
    public void writePage(long index, byte[] data) {
        if (data.length != Pages.SIZE) {
            throw new IllegalArgumentException("a backing page has 4096 bytes, got " + data.length);
        }
        encl.lock.lock();
        try {
            MemorySegment p = encl.backing().data(index);
            if (p == null) {
                throw new IllegalStateException("backing page " + index + " does not exist");
            }
            MemorySegment.copy(data, 0, p, ValueLayout.JAVA_BYTE, 0, Pages.SIZE);
        } finally {
            encl.lock.unlock();
        }
    }

    /** The {@code length} bytes at file offset {@code offset} (within one page). */
    public byte[] read(long offset, int length) {
        byte[] page = readPage(Pages.index(offset));
        if (page == null) {
            return null;
        }
        int at = Pages.offset(offset);
        return Arrays.copyOfRange(page, at, at + length);
    }

    /** Writes {@code data} at file offset {@code offset} (within one existing page). */
    public void write(long offset, byte[] data) {
        byte[] page = readPage(Pages.index(offset));
        if (page == null) {
            throw new IllegalStateException("backing page " + Pages.index(offset) + " does not exist");
        }
        System.arraycopy(data, 0, page, Pages.offset(offset), data.length);
        writePage(Pages.index(offset), page);
    }

    /** The file pages that exist. */
    public SortedSet<Long> pages() {
        encl.lock.lock();
        try {
            return encl.backing().fileIndexes();
        } finally {
            encl.lock.unlock();
        }
    }

    /** Host bytes the file holds (charged to memory cgroups). */
    public long bytes() {
        encl.lock.lock();
        try {
            return encl.backing().bytes();
        } finally {
            encl.lock.unlock();
        }
    }
}
