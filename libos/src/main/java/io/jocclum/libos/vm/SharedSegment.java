package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Memory that several processes map at once (Linux's shared page cache of an inode and its
 * shmem objects): one {@link Chunk.Kind#SHARED} chunk of the user space whose pages every
 * attached process maps at the same addresses, with its own VMAs and protections. In a
 * single-address-space LibOS this is what sharing a page means: there is one copy of it.
 *
 * <p>Two kinds. A <em>file segment</em> caches file offsets [{@link #fileOffset},
 * {@code fileOffset + size}) of one file: created by the first MAP_SHARED mapping of the file,
 * filled from the file, attached to it as its {@link FileCache} (so read and write go through
 * it), written back on msync, munmap, fsync and when the last mapping goes. An <em>anonymous
 * segment</em> is a System V shared memory segment: zero pages committed on demand, alive
 * while {@link #persistent} (until IPC_RMID) or attached.
 *
 * <p>{@link #users} and {@link #persistent} are guarded by the {@link SharedMemory}'s lock; the
 * pages are guarded by {@link #access}: readers are the file layer's reads and writes, the
 * writer is the release, after which the pages belong to someone else.
 */
final class SharedSegment implements FileCache {
    final SharedMemory owner;
    final Chunk chunk;
    /** The mapped file (the first mapper's open file), null for an anonymous segment. */
    final MappableFile file;
    /** The file's identity, null for an anonymous segment. */
    final Object identity;
    /** File offset of the chunk's first byte. */
    final long fileOffset;
    /** File segments: pages stored to through a mapping since their last write-back. */
    final PageBits dirty;
    /** A System V segment's name in /proc/PID/maps ("/SYSV0000abcd (deleted)"), else null. */
    volatile String label;
    /** A file open for writing that maps this segment (for write-back), or null. */
    volatile MappableFile writer;
    @GuardedBy("owner.lock")
    final Set<Integer> users = new HashSet<>();
    @GuardedBy("owner.lock")
    boolean persistent;
    /** Called (under the owner's lock) when the segment is released; null if nobody cares. */
    Runnable onRelease;
    /** Called (under the owner's lock) with the pid of a process that stopped mapping it. */
    java.util.function.IntConsumer onDetach;
    final ReentrantReadWriteLock access = new ReentrantReadWriteLock();
    @GuardedBy("access")
    boolean released;

    SharedSegment(SharedMemory owner, Chunk chunk, MappableFile file, long fileOffset) {
        this.owner = owner;
        this.chunk = chunk;
        this.file = file;
        this.identity = file == null ? null : file.identity();
        this.fileOffset = fileOffset;
        this.dirty = file == null ? null : new PageBits(Pages.count(chunk.size()));
        this.writer = file != null && file.writable() ? file : null;
        chunk.segment = this;
    }

    long size() {
        return chunk.size();
    }

    /** True if file offsets [off, off + len) are in this segment. */
    boolean covers(long off, long len) {
        return off >= fileOffset && off + len <= fileOffset + size();
    }

    /** The address of file offset {@code off} (which {@link #covers} the segment). */
    long addressOf(long off) {
        return chunk.start + (off - fileOffset);
    }

    /** Marks [a, a + n) (addresses inside the chunk) as stored to through a mapping. */
    void stored(long a, long n) {
        if (dirty != null) {
            dirty.set(Pages.index(a - chunk.start), Pages.index(a + n - 1 - chunk.start) + 1);
        }
    }

    /** Writes the stored-to pages of [s, e) back to the file (msync, munmap, fsync, release). */
    void writeBack(long s, long e) {
        MappableFile w = writer;
        if (dirty == null || w == null) {
            return;
        }
        access.readLock().lock();
        try {
            if (!released) {
                owner.space.epc.writeBack(w, chunk.start, fileOffset, dirty, Math.max(s, chunk.start), Math.min(e, chunk.end));
            }
        } finally {
            access.readLock().unlock();
        }
    }

    /** The file offsets of [pos, pos + n) that this segment holds, as {from, to}, or null. */
    private long[] clip(long pos, long n) {
        long from = Math.max(pos, fileOffset);
        long to = Math.min(pos + n, fileOffset + size());
        return from < to ? new long[] {from, to} : null;
    }

    @Override
    public void overlay(long pos, ByteBuffer dst, int at, int n) {
        long[] r = clip(pos, n);
        if (r == null) {
            return;
        }
        access.readLock().lock();
        try {
            if (released) {
                return;
            }
            byte[] tmp = new byte[(int) (r[1] - r[0])];
            owner.space.ctx.read(addressOf(r[0]), MemorySegment.ofArray(tmp), 0, tmp.length);
            dst.put(at + (int) (r[0] - pos), tmp, 0, tmp.length);
        } finally {
            access.readLock().unlock();
        }
    }

    @Override
    public void store(long pos, ByteBuffer src, int at, int n) {
        long[] r = clip(pos, n);
        if (r == null) {
            return;
        }
        access.readLock().lock();
        try {
            if (released) {
                return;
            }
            byte[] tmp = new byte[(int) (r[1] - r[0])];
            src.get(at + (int) (r[0] - pos), tmp, 0, tmp.length);
            owner.space.epc.write(chunk.region, addressOf(r[0]), MemorySegment.ofArray(tmp), 0, tmp.length);
        } finally {
            access.readLock().unlock();
        }
    }

    @Override
    public void truncated(long size) {
        long from = Math.max(size, fileOffset);
        long to = fileOffset + size();
        if (from >= to) {
            return;
        }
        access.readLock().lock();
        try {
            if (!released) {
                long a = addressOf(from);
                owner.space.epc.write(chunk.region, a, MemorySegment.ofArray(new byte[(int) (to - from)]), 0, to - from);
            }
        } finally {
            access.readLock().unlock();
        }
    }

    @Override
    public String toString() {
        return (file == null ? "anonymous segment " : "file segment ") + chunk;
    }
}
