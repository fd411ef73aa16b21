package io.jocclum.libos.fs;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.Limits;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.kheap.KernelHeap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A process's file descriptor table (Linux {@code files_struct}/{@code fdtable}).
 *
 * <p>Design: slot array of immutable {@link Entry}s (open file + FD_CLOEXEC) read without
 * locking (acquire loads; every syscall looks its fd up here), mutated under {@link #lock} with
 * release stores. The array grows in powers of two from 64 ({@code NR_OPEN_DEFAULT}), which is
 * the "table size" select(2) checks descriptors against. Allocation takes the lowest free number
 * at or above a hint (Linux {@code next_fd}), using a bitmap of used slots. The soft
 * RLIMIT_NOFILE caps numbers: EMFILE for allocations, EBADF for dup2 targets, EINVAL for
 * F_DUPFD minimums.
 *
 * <p>Closing removes the entry under the lock and drops the open file's reference after
 * releasing it, so releasing a file (which detaches epoll registrations and tells a pipe's peer)
 * never runs under the table lock — Occlum broadcasts its file-table "Del" under the lock (W9).
 */
public final class FdTable {
    /** One descriptor: the open file and its FD_CLOEXEC flag. */
    public record Entry(OpenFile file, boolean cloexec) {
    }

    /** NR_OPEN_DEFAULT = BITS_PER_LONG (include/linux/fdtable.h). */
    static final int MIN_CAPACITY = 64;
    /** Hard ceiling of RLIMIT_NOFILE (fs.nr_open default, 1024 * 1024). */
    public static final int NR_OPEN = 1 << 20;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Entry[].class);

    /** Guards every mutation below. */
    private final Object lock = new Object();
    /** Replaced on growth (under lock); elements stored with release semantics (under lock). */
    private volatile Entry[] slots = new Entry[MIN_CAPACITY];
    /** Used descriptor numbers. */
    @GuardedBy("lock")
    private final BitSet used = new BitSet();
    /** Lowest number that may be free. */
    @GuardedBy("lock")
    private int nextFd;
    /** Soft RLIMIT_NOFILE. */
    private volatile int limit;
    /** The kernel heap the open files first installed here are charged to (a spawned child's table shares it). */
    private volatile KernelHeap kernelHeap = KernelHeap.unlimited();

    public FdTable(int limit) {
        if (limit < 0 || limit > NR_OPEN) {
            throw new IllegalArgumentException("RLIMIT_NOFILE " + limit + " is outside 0.." + NR_OPEN);
        }
        this.limit = limit;
    }

    /** A table with Linux's default limit of 1024 descriptors. */
    public FdTable() {
        this(Limits.NOFILE_DEFAULT);
    }

    public int limit() {
        return limit;
    }

    /** Charges the open files installed from now on (here and in tables spawned from this one) to {@code heap}. */
    public void useKernelHeap(KernelHeap heap) {
        this.kernelHeap = heap;
    }

    /** Changes the soft RLIMIT_NOFILE; descriptors above it stay open (setrlimit(2)). */
    public void setLimit(int newLimit) {
        if (newLimit < 0 || newLimit > NR_OPEN) {
            throw Errno.EPERM.exception("RLIMIT_NOFILE " + newLimit + " above nr_open " + NR_OPEN);
        }
        this.limit = newLimit;
    }

    /** The size of the table (Linux {@code fdt->max_fds}). */
    public int capacity() {
        return slots.length;
    }

    // ---------------------------------------------------------------- lookups

    /** The open file of {@code fd}; EBADF when not open. */
    public OpenFile get(int fd) {
        Entry e = entry(fd);
        if (e == null) {
            throw Errno.EBADF.exception("fd " + fd + " is not open");
        }
        return e.file;
    }

    /** The open file of {@code fd}, or null. */
    public OpenFile getOrNull(int fd) {
        Entry e = entry(fd);
        return e == null ? null : e.file;
    }

    /** The entry of {@code fd}, or null. */
    public Entry entry(int fd) {
        Entry[] s = slots;
        if (fd < 0 || fd >= s.length) {
            return null;
        }
        return (Entry) SLOT.getAcquire(s, fd);
    }

    /** {@code F_GETFD}. */
    public boolean isCloexec(int fd) {
        Entry e = entry(fd);
        if (e == null) {
            throw Errno.EBADF.exception("fd " + fd + " is not open");
        }
        return e.cloexec;
    }

    /** {@code F_SETFD}, {@code FIOCLEX}, {@code FIONCLEX}. */
    public void setCloexec(int fd, boolean cloexec) {
        synchronized (lock) {
            Entry e = entry(fd);
            if (e == null) {
                throw Errno.EBADF.exception("fd " + fd + " is not open");
            }
            if (e.cloexec != cloexec) {
                store(fd, new Entry(e.file, cloexec));
            }
        }
    }

    /** Number of open descriptors. */
    public int openCount() {
        synchronized (lock) {
            return used.cardinality();
        }
    }

    /** Calls {@code action} for every open descriptor, in order (a snapshot). */
    public void forEach(BiConsumer<Integer, Entry> action) {
        List<Integer> fds = new ArrayList<>();
        List<Entry> es = new ArrayList<>();
        synchronized (lock) {
            for (int fd = used.nextSetBit(0); fd >= 0; fd = used.nextSetBit(fd + 1)) {
                fds.add(fd);
                es.add(slots[fd]);
            }
        }
        for (int i = 0; i < fds.size(); i++) {
            action.accept(fds.get(i), es.get(i));
        }
    }

    // ---------------------------------------------------------------- allocation

    /** Installs {@code file} at the lowest free descriptor; EMFILE when none is below the limit. */
    public int install(OpenFile file, boolean cloexec) {
        synchronized (lock) {
            int fd = used.nextClearBit(nextFd);
            if (fd >= limit) {
                throw Errno.EMFILE.exception("no descriptor below RLIMIT_NOFILE " + limit);
            }
            file.chargeTo(kernelHeap);
            file.retain();
            put(fd, new Entry(file, cloexec));
            nextFd = fd + 1;
            return fd;
        }
    }

    /** {@code F_DUPFD}/{@code F_DUPFD_CLOEXEC}: the lowest free descriptor at or above {@code min}. */
    public int dupMin(int oldFd, int min, boolean cloexec) {
        if (min < 0 || min >= limit) {
            throw Errno.EINVAL.exception("F_DUPFD minimum " + min + " outside 0.." + (limit - 1));
        }
        synchronized (lock) {
            OpenFile f = get(oldFd);
            int fd = used.nextClearBit(min);
            if (fd >= limit) {
                throw Errno.EMFILE.exception("no descriptor in " + min + ".." + (limit - 1));
            }
            f.retain();
            put(fd, new Entry(f, cloexec));
            if (fd == nextFd) {
                nextFd = fd + 1;
            }
            return fd;
        }
    }

    /** {@code dup(2)}. */
    public int dup(int oldFd) {
        synchronized (lock) {
            OpenFile f = get(oldFd);
            return install(f, false);
        }
    }

    /** {@code dup2(2)}: same fd → returns it if open (EBADF otherwise). */
    public int dup2(int oldFd, int newFd) {
        if (oldFd == newFd) {
            get(oldFd);
            return newFd;
        }
        return dup3(oldFd, newFd, 0);
    }

    /**
     * {@code dup3(2)}: flags other than O_CLOEXEC → EINVAL, same fd → EINVAL, {@code newFd}
     * outside the limit → EBADF; an open {@code newFd} is closed silently.
     */
    public int dup3(int oldFd, int newFd, int flags) {
        if ((flags & ~OpenFlags.O_CLOEXEC) != 0) {
            throw Errno.EINVAL.exception("dup3 flags 0x" + Integer.toHexString(flags));
        }
        if (oldFd == newFd) {
            throw Errno.EINVAL.exception("dup3 with oldfd == newfd");
        }
        Entry replaced;
        synchronized (lock) {
            OpenFile f = get(oldFd);
            if (newFd < 0 || newFd >= limit) {
                throw Errno.EBADF.exception("fd " + newFd + " outside RLIMIT_NOFILE " + limit);
            }
            replaced = entry(newFd);
            f.retain();
            put(newFd, new Entry(f, (flags & OpenFlags.O_CLOEXEC) != 0));
        }
        if (replaced != null) {
            replaced.file.unref();
        }
        return newFd;
    }

    /** Installs {@code file} exactly at {@code fd}, closing what was there. */
    public void installAt(int fd, OpenFile file, boolean cloexec) {
        Entry replaced;
        synchronized (lock) {
            if (fd < 0 || fd >= limit) {
                throw Errno.EBADF.exception("fd " + fd + " outside RLIMIT_NOFILE " + limit);
            }
            replaced = entry(fd);
            file.chargeTo(kernelHeap);
            file.retain();
            put(fd, new Entry(file, cloexec));
        }
        if (replaced != null) {
            replaced.file.unref();
        }
    }

    // ---------------------------------------------------------------- close

    /** {@code close(2)}: EBADF when not open. Releases the open file if this was its last fd. */
    public void close(int fd) {
        Entry e;
        synchronized (lock) {
            e = entry(fd);
            if (e == null) {
                throw Errno.EBADF.exception("fd " + fd + " is not open");
            }
            store(fd, null);
            used.clear(fd);
            if (fd < nextFd) {
                nextFd = fd;
            }
        }
        e.file.unref();
    }

    /** Closes every descriptor (process exit). */
    public void closeAll() {
        closeMatching(false);
    }

    /** Closes the FD_CLOEXEC descriptors (what exec does). */
    public void closeOnExec() {
        closeMatching(true);
    }

    private void closeMatching(boolean onlyCloexec) {
        List<Entry> closed = new ArrayList<>();
        synchronized (lock) {
            for (int fd = used.nextSetBit(0); fd >= 0; fd = used.nextSetBit(fd + 1)) {
                Entry e = slots[fd];
                if (!onlyCloexec || e.cloexec) {
                    closed.add(e);
                    store(fd, null);
                    used.clear(fd);
                    if (fd < nextFd) {
                        nextFd = fd;
                    }
                }
            }
        }
        for (Entry e : closed) {
            e.file.unref();
        }
    }

    // ---------------------------------------------------------------- spawn

    /**
     * The child's table of a posix_spawn: a copy of every descriptor (FD_CLOEXEC ones included,
     * so a file action may still dup2 them), then {@code actions} applied in order with glibc's
     * rules, then the FD_CLOEXEC descriptors closed as exec does. On a failing action the
     * partial child table is closed and the errno is thrown (posix_spawn returns it).
     */
    public FdTable spawnChild(List<SpawnFileAction> actions, FileOpener opener) {
        FdTable child = new FdTable(limit);
        child.kernelHeap = kernelHeap;
        synchronized (lock) {
            Entry[] s = slots;
            child.slots = new Entry[s.length];
            for (int fd = used.nextSetBit(0); fd >= 0; fd = used.nextSetBit(fd + 1)) {
                Entry e = s[fd];
                e.file.retain();
                child.put(fd, e);
            }
            child.nextFd = 0;
        }
        try {
            for (SpawnFileAction a : actions) {
                child.apply(a, opener);
            }
        } catch (RuntimeException e) {
            child.closeAll();
            throw e;
        }
        child.closeOnExec();
        return child;
    }

    private void apply(SpawnFileAction action, FileOpener opener) {
        switch (action) {
            case SpawnFileAction.Close c -> {
                if (c.fd() >= limit) {
                    throw Errno.EBADF.exception("close action on fd " + c.fd() + " outside RLIMIT_NOFILE");
                }
                // glibc's spawni ignores close errors for descriptors inside the limit
                if (getOrNull(c.fd()) != null) {
                    close(c.fd());
                }
            }
            case SpawnFileAction.Dup2 d -> {
                if (d.newFd() >= limit) {
                    throw Errno.EBADF.exception("dup2 action target " + d.newFd() + " outside RLIMIT_NOFILE");
                }
                if (d.fd() == d.newFd()) {
                    // glibc >= 2.29: dup2 onto itself clears FD_CLOEXEC so the fd survives exec
                    setCloexec(d.fd(), false);
                } else {
                    dup2(d.fd(), d.newFd());
                }
            }
            case SpawnFileAction.Open o -> {
                if (o.fd() >= limit) {
                    throw Errno.EBADF.exception("open action target " + o.fd() + " outside RLIMIT_NOFILE");
                }
                OpenFile f = opener.open(o.path(), o.flags(), o.mode());
                int tmp;
                try {
                    tmp = install(f, (o.flags() & OpenFlags.O_CLOEXEC) != 0);
                } finally {
                    if (f.refCount() == 0) {
                        f.retain();
                        f.unref();
                    }
                }
                if (tmp != o.fd()) {
                    dup2(tmp, o.fd());
                    close(tmp);
                }
            }
        }
    }

    // ---------------------------------------------------------------- internals

    private void put(int fd, Entry e) {
        ensureCapacity(fd);
        store(fd, e);
        used.set(fd);
    }

    private void store(int fd, Entry e) {
        SLOT.setRelease(slots, fd, e);
    }

    private void ensureCapacity(int fd) {
        Entry[] s = slots;
        if (fd < s.length) {
            return;
        }
        int cap = s.length;
        while (cap <= fd) {
            cap <<= 1;
        }
        Entry[] n = new Entry[cap];
        System.arraycopy(s, 0, n, 0, s.length);
        slots = n;
    }

    /** Checks the table's own invariants; IllegalStateException naming the first violation. */
    public void checkInvariants() {
        synchronized (lock) {
            Entry[] s = slots;
            if (Integer.bitCount(s.length) != 1 || s.length < MIN_CAPACITY) {
                throw new IllegalStateException("fd table capacity " + s.length + " is not a power of two >= 64");
            }
            for (int fd = 0; fd < s.length; fd++) {
                boolean has = s[fd] != null;
                if (has != used.get(fd)) {
                    throw new IllegalStateException("fd " + fd + ": slot " + (has ? "set" : "empty") + " but bitmap disagrees");
                }
                if (has && s[fd].file.isReleased()) {
                    throw new IllegalStateException("fd " + fd + " refers to released file " + s[fd].file);
                }
            }
            if (used.length() > s.length) {
                throw new IllegalStateException("bitmap beyond capacity");
            }
            int lowestFree = used.nextClearBit(0);
            if (nextFd > lowestFree) {
                throw new IllegalStateException("next_fd hint " + nextFd + " is above the lowest free fd " + lowestFree);
            }
        }
    }
}
