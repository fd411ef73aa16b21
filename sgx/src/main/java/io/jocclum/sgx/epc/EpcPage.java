package io.jocclum.sgx.epc;

import io.jocclum.sgx.cpu.EpcFrame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The kernel's {@code struct sgx_epc_page}: the driver's bookkeeping for one EPC frame (owner,
 * flags, charged cgroup, LRU links). Created together with its frame on first allocation.
 *
 * <p>Locking: {@code flags} bit RECLAIMER_TRACKED and the LRU links are guarded by the lock of the
 * LRU the page belongs to; IS_FREE and the free-list position by the node lock. The two never change
 * concurrently (a free page is not tracked, a tracked page is not free, and the transitions happen
 * while one thread owns the page), so {@code flags} is a volatile word updated by its owner.
 * {@code owner} and {@code group} are set by the allocating thread before the page is published and
 * cleared on free. Every change of these three fields is made by the page's one owner (or, for the
 * reclaimer's tracking flag, under the LRU's lock) and reaches the threads that act on it through a
 * lock (the enclave's, an LRU's, a node's), so they are written with release stores (no full fence
 * per page, which the allocator and the LRU would pay on every page) and read with volatile loads;
 * a reader without such a lock sees a racy but never torn value.
 */
public final class EpcPage {
    private static final VarHandle FLAGS;
    private static final VarHandle OWNER;
    private static final VarHandle GROUP;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FLAGS = l.findVarHandle(EpcPage.class, "flags", int.class);
            OWNER = l.findVarHandle(EpcPage.class, "owner", Object.class);
            GROUP = l.findVarHandle(EpcPage.class, "group", EpcGroup.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** SGX_EPC_PAGE_RECLAIMER_TRACKED (sgx.h): on an LRU or isolated by a reclaimer. */
    public static final int RECLAIMER_TRACKED = 1;
    /** SGX_EPC_PAGE_IS_FREE (sgx.h): on a free list. */
    public static final int IS_FREE = 1 << 1;

    private final EpcFrame frame;
    private final int node;
    volatile int flags;
    volatile Object owner;
    volatile EpcGroup group;
    // LRU links, guarded by lru.lock
    EpcPage prev;
    EpcPage next;
    EpcLru lru;
    /**
     * Set by {@link EpcAllocator#allocateRun}: whether the run took this page from the never-used
     * frames rather than a free list (where {@link EpcAllocator#unallocateRun} puts it back).
     */
    boolean takenFresh;

    EpcPage(EpcFrame frame, int node) {
        this.frame = frame;
        this.node = node;
    }

    public EpcFrame frame() {
        return frame;
    }

    public int node() {
        return node;
    }

    /** The owner: an enclave page (reclaimable pages), a VA page, an enclave (SECS) or a vEPC. */
    public Object owner() {
        return owner;
    }

    /** The cgroup the page is charged to (null for free pages). */
    public EpcGroup group() {
        return group;
    }

    public int flags() {
        return flags;
    }

    public boolean isFree() {
        return (flags() & IS_FREE) != 0;
    }

    public boolean isReclaimerTracked() {
        return (flags() & RECLAIMER_TRACKED) != 0;
    }

    /** The LRU the page is linked on, null if not on a list (free, unreclaimable or isolated). */
    public EpcLru lruList() {
        EpcLru l = lru;
        return l;
    }

    void setFlag(int f) {
        FLAGS.setRelease(this, flags | f);
    }

    void clearFlag(int f) {
        FLAGS.setRelease(this, flags & ~f);
    }

    void setFlags(int f) {
        FLAGS.setRelease(this, f);
    }

    void setOwner(Object o) {
        OWNER.setRelease(this, o);
    }

    void setGroup(EpcGroup g) {
        GROUP.setRelease(this, g);
    }

    @Override
    public String toString() {
        return "EpcPage[pfn=" + frame.pfn() + ", flags=" + flags + "]";
    }
}
