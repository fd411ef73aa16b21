package io.jocclum.sgx.cpu;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Host memory for the contents of EPC frames: 4 KiB chunks cut from 1 MiB slabs, recycled through a
 * free stack. A frame takes a chunk only when it first holds non-zero data (EADD of a non-zero page, a
 * store, ELDU); frames that are free or all-zero hold none, so a large EPC costs host memory only for
 * the pages in use. The slabs are heap segments ({@code MemorySegment.ofArray}): the JDK's AES-GCM
 * works on arrays without intermediate copies, which is what makes EWB/ELDU fast, and the slabs go
 * away with the platform.
 */
final class HostPagePool {
    /** Pages per slab: 256 pages = 1 MiB. */
    static final int SLAB_PAGES = 256;

    @GuardedBy("this")
    private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
    @GuardedBy("this")
    private long slabs;
    @GuardedBy("this")
    private long inUse;

    /** A chunk; zero-filled when {@code zeroed}, else with arbitrary contents. */
    MemorySegment take(boolean zeroed) {
        MemorySegment s;
        synchronized (this) {
            s = free.pollLast();
            if (s == null) {
                MemorySegment slab = MemorySegment.ofArray(new byte[SLAB_PAGES * Pages.SIZE]);
                slabs++;
                for (int i = SLAB_PAGES - 1; i > 0; i--) {
                    free.addLast(slab.asSlice((long) i * Pages.SIZE, Pages.SIZE));
                }
                s = slab.asSlice(0, Pages.SIZE);
                inUse++;
                return s; // a fresh slab is zeroed
            }
            inUse++;
        }
        if (zeroed) {
            s.fill((byte) 0);
        }
        return s;
    }

    void give(MemorySegment s) {
        synchronized (this) {
            free.addLast(s);
            inUse--;
        }
    }

    /** Host bytes held by slabs. */
    synchronized long hostBytes() {
        return slabs * SLAB_PAGES * Pages.SIZE;
    }

    synchronized long chunksInUse() {
        return inUse;
    }
}
