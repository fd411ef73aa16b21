package io.jocclum.sgx.cgroup;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One controller's state in one cgroup: the kernel's {@code struct cgroup_subsys_state} ("css").
 * {@link MiscCgroup} is the misc controller's css ({@code struct misc_cg}), {@link MemCgroup} the
 * memory controller's ({@code struct mem_cgroup}).
 *
 * <p><b>Design.</b> A controller has a css in a cgroup only where it is enabled: in the root, and
 * in a child whose parent lists the controller in {@code cgroup.subtree_control}. Tasks of a cgroup
 * without its own css use the nearest ancestor's. The css tree of a controller is therefore a
 * top part of the cgroup tree, plus dying csses (see below).
 *
 * <p><b>Lifetime</b> (kernel: percpu_ref on the css). A css starts online holding one base
 * reference. It goes offline ("is killed") when its cgroup is removed or the controller is disabled
 * in the parent's {@code subtree_control}; the base reference is dropped then. Whoever still needs
 * the css - an EPC page charged to it, a reclaim cursor, a work item - holds its own reference
 * ({@link #get}, {@link #tryGet}, {@link #put}). When the last reference goes the css is released:
 * it is unlinked from its parent's children, the controller frees its per-css state (misc
 * {@code free} callbacks) and the reference the css held on its parent is dropped, so children are
 * always released before their parents. Charges made to a css stay accounted in it and its
 * ancestors until uncharged, whether it is online, dying or (by a caller bug) released.
 *
 * <p><b>Walking.</b> Children are kept in a {@link ConcurrentSkipListMap} keyed by a serial number
 * that increases with creation: walks are lock-free and weakly consistent (the kernel walks under
 * RCU), visit dying csses like {@code css_for_each_descendant_pre()} does, and find the next sibling
 * of a css released meanwhile by serial number, as {@code css_next_child()} does.
 *
 * @param <C> the concrete css type
 */
public abstract sealed class Css<C extends Css<C>> permits MiscCgroup, MemCgroup {
    private final Cgroup cgroup;
    private final C parent;
    private final long serial;
    /** Linked children, online and dying. Written under the cgroup mutex (link) or by release(). */
    final ConcurrentSkipListMap<Long, C> children = new ConcurrentSkipListMap<>();
    /** Reference count, the base reference held while online. Lock-free. */
    private final AtomicLong refs = new AtomicLong(1);
    /** Written under the cgroup mutex, read lock-free. */
    private volatile boolean online = true;
    /** Set once, by the thread that dropped the last reference. */
    private volatile boolean released;

    Css(Cgroup cgroup, C parent, long serial) {
        this.cgroup = Objects.requireNonNull(cgroup);
        this.parent = parent;
        this.serial = serial;
    }

    @SuppressWarnings("unchecked")
    private C self() {
        return (C) this;
    }

    /** Makes a newly created css visible: takes a reference on the parent and links it. Mutex held. */
    final void link() {
        if (parent != null) {
            parent.get();
            parent.children.put(serial, self());
        }
    }

    /** The cgroup this css belongs to (fixed for its whole life). */
    public final Cgroup cgroup() {
        return cgroup;
    }

    /** The parent css ({@code misc_cg_parent()}, {@code parent_mem_cgroup()}); null for the root. */
    public final C parent() {
        return parent;
    }

    /** Whether this is the controller's root css. */
    public final boolean isRoot() {
        return parent == null;
    }

    /** Whether the css is online (not yet killed by rmdir or a controller disable). */
    public final boolean isOnline() {
        return online;
    }

    /** Whether the last reference was dropped. A released css must not be used any more. */
    public final boolean isReleased() {
        return released;
    }

    /** Creation serial number (increasing); children are ordered by it. */
    final long serial() {
        return serial;
    }

    /** Current reference count, for the invariant checkers. */
    public final long refCount() {
        return refs.get();
    }

    /**
     * Takes a reference unless the count already dropped to zero ({@code css_tryget()}). Succeeds
     * on a dying css that still has references, as the kernel does.
     */
    public final boolean tryGet() {
        long r;
        do {
            r = refs.get();
            if (r <= 0) {
                return false;
            }
        } while (!refs.compareAndSet(r, r + 1));
        return true;
    }

    /** Takes a reference ({@code css_get()}); {@code IllegalStateException} if already released. */
    public final void get() {
        if (!tryGet()) {
            throw new IllegalStateException("css_get on released " + this);
        }
    }

    /**
     * Drops a reference ({@code css_put()}). Dropping the last one releases the css on this
     * thread, which runs the controller's free callbacks: do not call it while holding a lock
     * those callbacks take. (When rmdir or a controller disable drops the last reference, that
     * happens after the cgroup mutex is released.)
     */
    public final void put() {
        long r = refs.decrementAndGet();
        if (r == 0) {
            release();
        } else if (r < 0) {
            throw new IllegalStateException("css reference underflow on " + this);
        }
    }

    /**
     * Takes the css offline (kill_css); the hierarchy drops its base reference once the cgroup
     * mutex is released ({@link CgroupHierarchy#kill}). Cgroup mutex held.
     */
    final void markOffline() {
        if (parent == null) {
            throw new IllegalStateException("the root css is never killed");
        }
        online = false;
    }

    private void release() {
        if (parent == null) {
            throw new IllegalStateException("last reference to the root css dropped: " + this);
        }
        released = true;
        parent.children.remove(serial, self());
        released(parent);
        parent.put();
    }

    /** Controller hook, run once when the css is released: free per-css state, bookkeeping. */
    abstract void released(C parent);

    /**
     * The next css in a pre-order walk of {@code root}'s subtree after {@code pos}
     * ({@code css_next_descendant_pre()}): {@code root} itself when {@code pos} is null, then every
     * linked descendant, dying ones included; null when the walk is over. {@code pos} may have been
     * released since it was returned.
     */
    public static <C extends Css<C>> C nextDescendantPre(C pos, C root) {
        Objects.requireNonNull(root, "root");
        if (pos == null) {
            return root;
        }
        Map.Entry<Long, C> e = pos.children.firstEntry();
        if (e != null) {
            return e.getValue();
        }
        while (pos != root) {
            Css<C> p = pos;
            C up = p.parent;
            if (up == null) {
                throw new IllegalArgumentException(pos + " is not a descendant of " + root);
            }
            e = up.children.higherEntry(p.serial);
            if (e != null) {
                return e.getValue();
            }
            pos = up;
        }
        return null;
    }

    /** This css and all its linked descendants in pre-order ({@code css_for_each_descendant_pre}). */
    public final Iterable<C> descendantsPre() {
        C root = self();
        return () -> new Iterator<>() {
            private C next = root;

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public C next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                C cur = next;
                next = nextDescendantPre(cur, root);
                return cur;
            }
        };
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + cgroup.path() + (online ? "" : released ? ", released" : ", dying")
                + "]";
    }
}
