package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.Pages;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The user space's {@link SharedSegment}s: one file segment per file that is mapped MAP_SHARED
 * (Occlum keys its POSIX shared chunks by inode the same way, when {@code enable_posix_shm} is
 * on; here always), and the anonymous segments of System V shared memory. Attaching and
 * detaching processes, and giving a segment back when nobody needs it any more.
 *
 * <p>Lock order: a process's VM lock, then {@link #lock}, then a segment's access lock, then the
 * address space's lock.
 */
final class SharedMemory {
    final UserSpace space;
    final ReentrantLock lock = new ReentrantLock();
    @GuardedBy("lock")
    private final Map<Object, SharedSegment> files = new HashMap<>();
    @GuardedBy("lock")
    private final List<SharedSegment> anonymous = new ArrayList<>();

    SharedMemory(UserSpace space) {
        this.space = space;
    }

    /**
     * The file segment of {@code f} holding file offsets [off, off + len), attached to
     * {@code pid}: the existing one, grown at its end if the range reaches past it and the
     * address space there is free, or a new one of exactly the range, at {@code hint} (the
     * address for offset {@code off}) when that is free. Null when the file has a segment that
     * cannot hold the range (it starts before it, or cannot grow): the caller maps the process
     * its own copy instead. ENOMEM when no room is left for a new segment.
     */
    SharedSegment attachFile(int pid, MappableFile f, long off, long len, long hint) {
        lock.lock();
        try {
            Object id = f.identity();
            SharedSegment s = files.get(id);
            if (s == null) {
                Chunk c = hint != 0 && Pages.isAligned(hint) ? space.addressSpace.allocateExact(hint, hint + len, Chunk.Kind.SHARED, 0, null) : null;
                s = create(f, len, off, c);
                files.put(id, s);
                f.attachCache(s, true);
            } else if (!s.covers(off, len)) {
                if (off < s.fileOffset || off > s.fileOffset + s.size() || !grow(s, s.addressOf(off + len))) {
                    return null;
                }
            }
            if (f.writable()) {
                s.writer = f;
            }
            s.users.add(pid);
            return s;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Grows file segment {@code s} at its end up to address {@code newEnd} with a new chunk
     * filled from the file, if that address space is free; false otherwise.
     */
    boolean grow(SharedSegment s, long newEnd) {
        lock.lock();
        try {
            if (s.released || s.file == null) {
                return false;
            }
            if (newEnd <= s.end) {
                return true;
            }
            Chunk c = space.addressSpace.allocateExact(s.end, newEnd, Chunk.Kind.SHARED, 0, null);
            if (c == null) {
                return false;
            }
            fill(c, s.file, s.fileOffset + (c.start - s.start));
            s.adopt(c);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The file segment of the file with {@code identity}, or null. */
    SharedSegment fileSegment(Object identity) {
        lock.lock();
        try {
            return files.get(identity);
        } finally {
            lock.unlock();
        }
    }

    /** A new anonymous segment of {@code size} bytes (page multiple), kept until {@link #unpersist}. */
    SharedSegment createAnonymous(long size) {
        lock.lock();
        try {
            SharedSegment s = create(null, size, 0, null);
            s.persistent = true;
            anonymous.add(s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** A new segment of {@code size} bytes for file offset {@code off} of {@code f}, in {@code c} if given. */
    private SharedSegment create(MappableFile f, long size, long off, Chunk c) {
        if (c == null) {
            c = space.addressSpace.allocate(size, Chunk.Kind.SHARED, 0, null);
            if (c == null) {
                throw Errno.ENOMEM.exception("no free range of " + size + " bytes for shared memory");
            }
        }
        fill(c, f, off);
        return new SharedSegment(this, c, f, off);
    }

    /** Commits and fills a new chunk from file offset {@code off} (nothing for anonymous memory); on failure gives it back. */
    private void fill(Chunk c, MappableFile f, long off) {
        VmEpc epc = space.epc;
        try {
            if (f != null) {
                epc.commitEagerly(c.region, c.start, c.end);
                epc.fillFromFile(c.region, c.start, c.size(), f, off);
            }
            epc.transition(c.region, c.start, c.end, VmEpc.base(c.region), VmEpc.epcm(c.region, Mman.PROT_READ | Mman.PROT_WRITE));
        } catch (RuntimeException e) {
            epc.zero(c.region, c.start, c.end);
            space.addressSpace.release(c);
            throw ProcessVm.syscallFailure(e);
        }
        space.counters.chunksCreated.increment();
    }

    /** Adds {@code pid} to the users of {@code s}; false if the segment is gone. */
    boolean attach(SharedSegment s, int pid) {
        lock.lock();
        try {
            if (s.released) {
                return false;
            }
            s.users.add(pid);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** {@code pid} has no VMA over {@code s} any more: releases it if nobody else needs it. */
    void detach(SharedSegment s, int pid) {
        lock.lock();
        try {
            if (s.users.remove(pid) && s.onDetach != null) {
                s.onDetach.accept(pid);
            }
            releaseIfUnused(s);
        } finally {
            lock.unlock();
        }
    }

    /** An anonymous segment no longer outlives its users (IPC_RMID): released now if unattached. */
    void unpersist(SharedSegment s) {
        lock.lock();
        try {
            s.persistent = false;
            releaseIfUnused(s);
        } finally {
            lock.unlock();
        }
    }

    /** Number of users of {@code s}. */
    int users(SharedSegment s) {
        lock.lock();
        try {
            return s.users.size();
        } finally {
            lock.unlock();
        }
    }

    @GuardedBy("lock")
    private void releaseIfUnused(SharedSegment s) {
        if (!s.users.isEmpty() || s.persistent || s.released) {
            return;
        }
        if (s.file != null) {
            try {
                s.writeBack(s.start, s.end);
            } catch (ErrnoException ignored) {
                // as at munmap and exit: Linux does not report write-back errors here
            }
            files.remove(s.identity, s);
            s.file.attachCache(s, false);
        } else {
            anonymous.remove(s);
        }
        if (s.onRelease != null) {
            s.onRelease.run();
        }
        s.access.writeLock().lock();
        try {
            s.released = true;
            for (Chunk c : s.chunks) {
                space.epc.scrub(c.region, c.start, c.end, Mman.PROT_READ | Mman.PROT_WRITE,
                        c.size() >= space.config.trimThresholdBytes());
                space.addressSpace.release(c);
                space.counters.chunksReleased.increment();
            }
        } finally {
            s.access.writeLock().unlock();
        }
    }

    /** LibOS shutdown: every process has exited; the System V segments left go. */
    void destroyAll() {
        lock.lock();
        try {
            for (SharedSegment s : List.copyOf(anonymous)) {
                s.users.clear();
                s.persistent = false;
                releaseIfUnused(s);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * For the invariant checker, which holds every process lock (so no segment changes users):
     * every live segment.
     */
    List<SharedSegment> segmentsLocked() {
        lock.lock();
        try {
            List<SharedSegment> l = new ArrayList<>(files.values());
            l.addAll(anonymous);
            return l;
        } finally {
            lock.unlock();
        }
    }
}
