package io.jocclum.sgx.epc;

import java.util.concurrent.locks.ReentrantLock;

/** Test hooks: corrupt EPC page and LRU state on purpose, to prove the invariant checkers report it. */
public final class EpcHooks {
    private EpcHooks() {
    }

    public static void setGroup(EpcPage p, EpcGroup g) {
        p.group = g;
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
