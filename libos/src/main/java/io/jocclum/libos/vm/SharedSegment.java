package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Memory that several processes map at once (Linux's shared page cache of an inode and its
 * shmem objects): contiguous {@link Chunk.Kind#SHARED} chunks of the user space whose pages
 * every attached process maps at the same addresses, with its own VMAs and protections. In a
 * single-address-space LibOS this is what sharing a page means: there is one copy of it.
 *
 * <p>Two kinds. A <em>file segment</em> caches file offsets [{@link #fileOffset},
 * {@code fileOffset + size}) of one file: created by the first MAP_SHARED mapping of the file
 * (at its hint if that is free), grown at its end by later mappings and mremap when the address
 * space after it is free (a chunk more), filled from the file, attached to the file as its
 * {@link FileCache} (read and write go through it), written back on msync, munmap, fsync and
 * when the last mapping goes. An <em>anonymous segment</em> is a System V shared memory
 * segment: one chunk of zero pages committed on demand, alive while {@link #persistent} (until
 * IPC_RMID) or attached.
 *
 * <p>{@link #users}, {@link #persistent}, {@link #released} and growth are guarded by the
 * {@link SharedMemory}'s lock; the pages by {@link #access}: readers are the file layer's reads
 * and writes and the write-backs, the writer is the release, after which the pages belong to
 * someone else.
 */
final class SharedSegment implements FileCache {
    final SharedMemory owner;
    /** Address of the first byte. */
    final long start;
    final UserMemoryKind region;
    /** One past the last byte (grows). */
    volatile long end;
    /** The chunks in address order, contiguous from {@link #start} to {@link #end}. */
    final List<Chunk> chunks = new CopyOnWriteArrayList<>();
    /** The mapped file (the first mapper's open file), null for an anonymous segment. */
    final MappableFile file;
    /** The file's identity, null for an anonymous segment. */
    final Object identity;
    /** File offset of {@link #start}. */
    final long fileOffset;
    /** A file open for writing that maps this segment (for write-back), or null. */
    volatile MappableFile writer;
    /** A System V segment's name in /proc/PID/maps ("/SYSV0000abcd (deleted)"), else null. */
    volatile String label;
    /** Called (under the owner's lock) when the segment is released; null if nobody cares. */
    Runnable onRelease;
    /** Called (under the owner's lock) with the pid of a process that stopped mapping it. */
    java.util.function.IntConsumer onDetach;
    @GuardedBy("owner.lock")
    final Set<Integer> users = new HashSet<>();
    @GuardedBy("owner.lock")
    boolean persistent;
    final ReentrantReadWriteLock access = new ReentrantReadWriteLock();
    /** Set under the owner's lock and the access write lock. */
    volatile boolean released;

    SharedSegment(SharedMemory owner, Chunk first, MappableFile file, long fileOffset) {
        this.owner = owner;
        this.start = first.start;
        this.end = first.end;
        this.region = first.region;
        this.file = file;
        this.identity = file == null ? null : file.identity();
        this.fileOffset = fileOffset;
        this.writer = file != null && file.writable() ? file : null;
        adopt(first);
    }

    /** Takes {@code c} (starting at {@link #end} or being the first) as the segment's next chunk. */
    void adopt(Chunk c) {
        c.segment = this;
        c.dirty = file == null ? null : new PageBits(Pages.count(c.size()));
        chunks.add(c);
        end = c.end;
    }

    long size() {
        return end - start;
    }

    /** True if file offsets [off, off + len) are in this segment. */
    boolean covers(long off, long len) {
        return off >= fileOffset && off + len <= fileOffset + size();
    }

    /** The address of file offset {@code off}. */
    long addressOf(long off) {
        return start + (off - fileOffset);
    }

    /** The pieces of [s, e) (inside the segment), one per chunk. */
    List<Piece> pieces(long s, long e) {
        List<Piece> l = new ArrayList<>(1);
        for (Chunk c : chunks) {
            long a = Math.max(s, c.start);
            long b = Math.min(e, c.end);
            if (a < b) {
                l.add(new Piece(a, b, c));
            }
        }
        return l;
    }

    /** Marks [a, a + n) (inside chunk {@code c}) as stored to through a mapping. */
    static void stored(Chunk c, long a, long n) {
        if (c.dirty != null) {
            c.dirty.set(Pages.index(a - c.start), Pages.index(a + n - 1 - c.start) + 1);
        }
    }

    /** Writes the stored-to pages of [s, e) back to the file (msync, munmap, fsync, release). */
    void writeBack(long s, long e) {
        MappableFile w = writer;
        if (file == null || w == null) {
            return;
        }
        access.readLock().lock();
        try {
            if (released) {
                return;
            }
            for (Chunk c : chunks) {
                long a = Math.max(s, c.start);
                long b = Math.min(e, c.end);
                if (a < b) {
                    owner.space.epc.writeBack(w, c.start, fileOffset + (c.start - start), c.dirty, a, b);
                }
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
        access.readLock().lock();
        try {
            long[] r = clip(pos, n);
            if (released || r == null) {
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
        access.readLock().lock();
        try {
            long[] r = clip(pos, n);
            if (released || r == null) {
                return;
            }
            byte[] tmp = new byte[(int) (r[1] - r[0])];
            src.get(at + (int) (r[0] - pos), tmp, 0, tmp.length);
            owner.space.epc.write(region, addressOf(r[0]), MemorySegment.ofArray(tmp), 0, tmp.length);
        } finally {
            access.readLock().unlock();
        }
    }

    @Override
    public void truncated(long size) {
        access.readLock().lock();
        try {
            long from = Math.max(size, fileOffset);
            long to = fileOffset + size();
            if (released || from >= to) {
                return;
            }
            owner.space.epc.write(region, addressOf(from), MemorySegment.ofArray(new byte[(int) (to - from)]), 0, to - from);
        } finally {
            access.readLock().unlock();
        }
    }

    @Override
    public String toString() {
        return (file == null ? "anonymous segment 0x" : "file segment 0x") + Long.toHexString(start) + "-0x" + Long.toHexString(end);
    }
}
