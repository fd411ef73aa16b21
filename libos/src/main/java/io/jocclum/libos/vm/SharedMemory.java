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
     * {@code pid}: the existing one, or a new one over [0, max(file size, off + len)) filled from
     * the file. ENOMEM when the file already has a segment that does not hold the range (it
     * cannot grow in place under mappings that other processes use) or no room is left.
     */
    SharedSegment attachFile(int pid, MappableFile f, long off, long len) {
        lock.lock();
        try {
            Object id = f.identity();
            SharedSegment s = files.get(id);
            if (s == null) {
                long size = Math.max(Pages.up(f.size()), off + len);
                s = create(f, size);
                files.put(id, s);
                f.attachCache(s, true);
            } else if (!s.covers(off, len)) {
                throw Errno.ENOMEM.exception("file offsets 0x" + Long.toHexString(off) + "+0x" + Long.toHexString(len)
                        + " lie outside the shared pages of the file (0x" + Long.toHexString(s.fileOffset) + "+0x"
                        + Long.toHexString(s.size()) + ") while they are mapped");
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
            SharedSegment s = create(null, size);
            s.persistent = true;
            anonymous.add(s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    private SharedSegment create(MappableFile f, long size) {
        AddressSpace as = space.addressSpace;
        Chunk c = as.allocate(size, Chunk.Kind.SHARED, 0, null);
        if (c == null) {
            throw Errno.ENOMEM.exception("no free range of " + size + " bytes for shared memory");
        }
        SharedSegment s = new SharedSegment(this, c, f, 0);
        VmEpc epc = space.epc;
        try {
            if (f != null) {
                epc.commitEagerly(c.region, c.start, c.end);
                epc.fillFromFile(c.region, c.start, c.size(), f, 0);
            }
            epc.transition(c.region, c.start, c.end, VmEpc.base(c.region), VmEpc.epcm(c.region, Mman.PROT_READ | Mman.PROT_WRITE));
        } catch (RuntimeException e) {
            epc.zero(c.region, c.start, c.end);
            as.release(c);
            throw ProcessVm.syscallFailure(e);
        }
        space.counters.chunksCreated.increment();
        return s;
    }

    /** Adds {@code pid} to the users of {@code s}; false if the segment is gone. */
    boolean attach(SharedSegment s, int pid) {
        lock.lock();
        try {
            if (s.chunk.released) {
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
        if (!s.users.isEmpty() || s.persistent || s.chunk.released) {
            return;
        }
        if (s.file != null) {
            try {
                s.writeBack(s.chunk.start, s.chunk.end);
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
            Chunk c = s.chunk;
            space.epc.scrub(c.region, c.start, c.end, Mman.PROT_READ | Mman.PROT_WRITE,
                    c.size() >= space.config.trimThresholdBytes());
            space.addressSpace.release(c);
            space.counters.chunksReleased.increment();
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
