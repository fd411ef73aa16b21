package io.jocclum.sgx.epc;

import java.util.concurrent.locks.ReentrantLock;

/** Test hooks: corrupt EPC page and LRU state on purpose, to prove the invariant checkers report it. */
public final class EpcHooks {
    private EpcHooks() {
    }

    public static void setGroup(EpcPage p, EpcGroup g) {
        p.group = g;
    }

    /** Sets the page's owner; returns the old one. */
    public static Object setOwner(EpcPage p, Object owner) {
        Object old = p.owner;
        p.owner = owner;
        return old;
    }

    /** Adds {@code delta} to the allocator's free-page counter ({@code sgx_nr_free_pages}). */
    public static void miscountFree(EpcAllocator a, long delta) throws ReflectiveOperationException {
        var f = EpcAllocator.class.getDeclaredField("nrFree");
        f.setAccessible(true);
        ((java.util.concurrent.atomic.AtomicLong) f.get(a)).addAndGet(delta);
    }

    public static void setFlags(EpcPage p, int flags) {
        p.flags = flags;
    }

    /** Moves a page from its LRU to {@code to}, leaving its TRACKED flag alone. */
    public static void move(EpcPage p, EpcLru from, EpcLru to) {
        from.lock.lock();
        try {
            from.unlink(p);
        } finally {
            from.lock.unlock();
        }
        to.lock.lock();
        try {
            to.addTail(p);
        } finally {
            to.lock.unlock();
        }
    }

    /** Links {@code p} on {@code lru} a second time without counting it. */
    public static void miscount(EpcLru lru, int delta) throws ReflectiveOperationException {
        var f = EpcLru.class.getDeclaredField("size");
        f.setAccessible(true);
        f.setInt(lru, f.getInt(lru) + delta);
    }

    public static ReentrantLock lock(EpcLru lru) {
        return lru.lock;
    }
}
