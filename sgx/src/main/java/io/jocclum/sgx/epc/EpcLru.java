package io.jocclum.sgx.epc;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * {@code struct sgx_epc_lru_list} (v17 patch 06): a lock and the list of reclaimable EPC pages,
 * oldest at the head. Without the EPC cgroup there is one global LRU; with it, one per cgroup.
 *
 * <p>Design: an intrusive doubly linked list through {@link EpcPage}'s links, so adding at the tail,
 * removing a given page and taking the head are O(1). A page that is RECLAIMER_TRACKED but not linked
 * is isolated by a reclaimer ({@code list_empty(&page->list)} in the kernel).
 *
 * <p>Locking: {@code lock} guards the list, the size and the pages' links and TRACKED flags.
 */
public final class EpcLru {
    private static final VarHandle SIZE;

    static {
        try {
            SIZE = MethodHandles.lookup().findVarHandle(EpcLru.class, "size", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    final ReentrantLock lock = new ReentrantLock();
    @GuardedBy("lock")
    private EpcPage head;
    @GuardedBy("lock")
    private EpcPage tail;
    /** Written under {@code lock} with release stores (no full fence per page), read racily. */
    private volatile int size;

    public EpcLru(String name) {
        this.name = name;
    }

    /** Whether some thread holds the list's lock (lock hygiene of the invariant checkers). */
    public boolean isLocked() {
        return lock.isLocked();
    }

    public String name() {
        return name;
    }

    /** {@code list_empty(&lru->reclaimable)}: racy by design, as in the kernel. */
    public boolean isEmpty() {
        return size == 0;
    }

    public int size() {
        return size;
    }

    void addTail(EpcPage p) {
        p.prev = tail;
        p.next = null;
        if (tail == null) {
            head = p;
        } else {
            tail.next = p;
        }
        tail = p;
        p.lru = this;
        SIZE.setRelease(this, size + 1);
    }

    void unlink(EpcPage p) {
        if (p.prev == null) {
            head = p.next;
        } else {
            p.prev.next = p.next;
        }
        if (p.next == null) {
            tail = p.prev;
        } else {
            p.next.prev = p.prev;
        }
        p.prev = null;
        p.next = null;
        p.lru = null;
        SIZE.setRelease(this, size - 1);
    }

    EpcPage first() {
        return head;
    }

    /** Visits the pages in order, under the lock (invariant checks). */
    public void forEach(Consumer<EpcPage> action) {
        lock.lock();
        try {
            for (EpcPage p = head; p != null; p = p.next) {
                action.accept(p);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "EpcLru[" + name + ", " + size + " pages]";
    }
}
