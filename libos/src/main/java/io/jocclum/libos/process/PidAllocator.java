package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;

import java.util.BitSet;

/**
 * GuestProcess and thread ids from one space, as in Linux (kernel/pid.c {@code alloc_pid}): the next
 * free id after the last one given, wrapping at {@code pid_max} to {@link #RESERVED_PIDS}; EAGAIN
 * when every id is taken. An id stays taken until its process is reaped (or its thread joined),
 * so a pid is never reused while a zombie holds it.
 */
final class PidAllocator {
    /** PID_MAX_DEFAULT (include/linux/threads.h): 32768. */
    static final int PID_MAX_DEFAULT = 0x8000;
    /** RESERVED_PIDS (kernel/pid.c): where the search resumes after wrapping. */
    static final int RESERVED_PIDS = 300;

    private final int max;
    @GuardedBy("this")
    private final BitSet used = new BitSet();
    @GuardedBy("this")
    private int last;

    PidAllocator(int max) {
        if (max <= RESERVED_PIDS + 1) {
            throw new IllegalArgumentException("pid_max " + max + " must exceed " + (RESERVED_PIDS + 1));
        }
        this.max = max;
    }

    synchronized int allocate() {
        int id = used.nextClearBit(last + 1);
        if (id >= max) {
            id = used.nextClearBit(RESERVED_PIDS);
            if (id >= max) {
                throw Errno.EAGAIN.exception("all " + (max - 1) + " pids are in use");
            }
        }
        used.set(id);
        last = id;
        return id;
    }

    synchronized void free(int id) {
        if (!used.get(id)) {
            throw new IllegalStateException("pid " + id + " freed twice");
        }
        used.clear(id);
    }

    /** Starts over at 1; only when no id is taken. */
    synchronized void reset() {
        if (!used.isEmpty()) {
            throw new IllegalStateException("ids still in use: " + used);
        }
        last = 0;
    }

    synchronized int inUse() {
        return used.cardinality();
    }

    synchronized boolean isUsed(int id) {
        return used.get(id);
    }
}
