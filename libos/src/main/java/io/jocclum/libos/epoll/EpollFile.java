package io.jocclum.libos.epoll;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Epoll;
import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FileWatch;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.arch.Pages;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An epoll instance (Linux {@code struct eventpoll}, fs/eventpoll.c).
 *
 * <p>Design. The interest set maps (open file, fd number) to {@link EpollItem}s, under
 * {@link #mtx} (Linux {@code ep->mtx}), which also serialises the scans of epoll_wait and of
 * polling this epoll. The ready list is an intrusive list of items under {@link #lock}
 * ({@code ep->lock}), touched by the file callbacks, which run on whatever thread changed a file
 * (or the host poller thread) and never take {@link #mtx}. A callback ignores events outside the
 * item's mask, queues the item if it is not queued, wakes one epoll_wait caller and tells this
 * epoll's own observers (outer epolls, poll) — every time, queued or not, so readiness of nested
 * epolls propagates (Occlum W3).
 *
 * <p>epoll_wait detaches the ready list, re-polls each item (stale ones vanish), reports
 * readiness ∩ mask, disarms ONESHOT items, re-queues level-triggered ones at the tail, puts back
 * the items beyond maxevents at the head (so successive calls go round-robin) and, if items
 * remain and other callers wait, wakes one more of them — that is how one write lets several
 * level-triggered waiters return while an edge-triggered one wakes a single waiter (W13). Items
 * are queued by callbacks during the scan onto the fresh list, which plays the role of Linux's
 * overflow list, so no event is lost and none is reported twice in one call.
 *
 * <p>Polling an epoll (nested epoll, poll/select on an epoll fd) re-polls the queued items and
 * drops the stale ones: readable iff epoll_wait would return something (W4). Loops and nesting
 * deeper than {@link #EP_MAX_NESTS} are refused with ELOOP at ADD time under the global
 * {@link #NESTED} lock (W2). Registrations are removed when their file's last descriptor goes
 * (W8, W9).
 *
 * <p>Lock order: {@link #NESTED} → {@code mtx} (outer before inner epoll) → file locks (poll)
 * → {@code lock} → waiter-queue and notifier locks. Observers are called with no lock held.
 */
public final class EpollFile extends OpenFile {
    @Override
    protected List<KernelHeap.Kind> kernelObjects() {
        return List.of(KernelHeap.Kind.OPEN_FILE, KernelHeap.Kind.EPOLL);
    }

    /** EP_MAX_NESTS (fs/eventpoll.c): at most 5 levels of epolls above a file. */
    public static final int EP_MAX_NESTS = 4;
    /** EP_PRIVATE_BITS: flags that are not events. */
    static final int EP_PRIVATE_BITS = Epoll.EPOLLWAKEUP | Epoll.EPOLLONESHOT | Epoll.EPOLLET | Epoll.EPOLLEXCLUSIVE;
    /** EPOLLEXCLUSIVE_OK_BITS: what may accompany EPOLLEXCLUSIVE. */
    static final int EPOLLEXCLUSIVE_OK_BITS = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLERR | Epoll.EPOLLHUP
            | Epoll.EPOLLWAKEUP | Epoll.EPOLLET | Epoll.EPOLLEXCLUSIVE;
    /** epnested_mutex: serialises ADDs that involve nested epolls (loop and depth checks). */
    static final Object NESTED = new Object();

    private record Key(OpenFile file, int fd) {
    }

    private final long ino;
    /** Guards {@link #items}, {@link #txBuf} and scans. */
    final ReentrantLock mtx = new ReentrantLock(); // package-private for the checker's tests
    /** Guarded by mtx. */
    private final Map<Key, EpollItem> items = new HashMap<>();
    /** Scratch array for scans; guarded by mtx. */
    private EpollItem[] txBuf = new EpollItem[16];
    /** Guards the ready list and the items' queued/prev/next fields. */
    private final Object lock = new Object();
    @GuardedBy("lock")
    private EpollItem readyHead;
    private EpollItem readyTail;
    /** Volatile for the lock-free "anything ready?" checks. */
    @GuardedBy("lock")
    private volatile int readyCount;
    /** Threads in epoll_wait (exclusive: woken one at a time). */
    private final WaiterQueue waiters = new WaiterQueue();
    /** Observers of this epoll as a file (outer epolls, poll, select). */
    private final Notifier notifier = new Notifier();
    /**
     * Test hook: run by epoll_wait's scan right after it took the ready list out (mtx held), so a
     * test can act at exactly that point of the interleaving; null in production.
     */
    volatile Runnable afterDetachHook;

    EpollFile(long ino) {
        super(OpenFlags.O_RDWR);
        this.ino = ino;
    }

    // ====================================================================== ctl

    /** ADD/MOD/DEL after the descriptor-level checks of {@link EpollCalls#epollCtl}. */
    void ctl(int op, OpenFile target, int fd, int events, long data) {
        boolean targetIsEpoll = target instanceof EpollFile;
        if (op == Epoll.EPOLL_CTL_ADD && (targetIsEpoll || watches().length > 0)) {
            synchronized (NESTED) {
                if (target instanceof EpollFile tep && !loopCheckOk(tep)) {
                    throw Errno.ELOOP.exception("adding the epoll would create a loop or nest deeper than "
                            + (EP_MAX_NESTS + 1) + " levels");
                }
                ctlLocked(op, target, fd, events, data);
            }
        } else {
            ctlLocked(op, target, fd, events, data);
        }
    }

    private void ctlLocked(int op, OpenFile target, int fd, int events, long data) {
        mtx.lock();
        try {
            Key key = new Key(target, fd);
            EpollItem it = items.get(key);
            switch (op) {
                case Epoll.EPOLL_CTL_ADD -> {
                    if (it != null) {
                        throw Errno.EEXIST.exception("fd " + fd + " is already registered");
                    }
                    insert(key, target, fd, events | Epoll.EPOLLERR | Epoll.EPOLLHUP, data);
                }
                case Epoll.EPOLL_CTL_DEL -> {
                    if (it == null) {
                        throw Errno.ENOENT.exception("fd " + fd + " is not registered");
                    }
                    remove(it);
                }
                case Epoll.EPOLL_CTL_MOD -> {
                    if (it == null) {
                        throw Errno.ENOENT.exception("fd " + fd + " is not registered");
                    }
                    if ((it.events & Epoll.EPOLLEXCLUSIVE) != 0) {
                        throw Errno.EINVAL.exception("an EPOLLEXCLUSIVE registration cannot be modified");
                    }
                    modify(it, events | Epoll.EPOLLERR | Epoll.EPOLLHUP, data);
                }
                default -> throw Errno.EINVAL.exception("epoll_ctl op " + op);
            }
        } finally {
            mtx.unlock();
        }
    }

    /** ep_insert: subscribe, then poll once and queue the item if it is ready. mtx held. */
    private void insert(Key key, OpenFile target, int fd, int events, long data) {
        EpollItem it = new EpollItem(this, target, fd, events, data);
        KernelHeap heap = kernelHeap();
        if (heap != null) {
            heap.charge(KernelHeap.Kind.EPOLL_ITEM);
            it.charged = heap;
        }
        if (!target.addWatch(it)) {
            uncharge(it);
            throw Errno.EBADF.exception("fd " + fd + " was closed meanwhile");
        }
        items.put(key, it);
        it.subscription = target.notifier().subscribe(it, events & ~EP_PRIVATE_BITS,
                (events & Epoll.EPOLLEXCLUSIVE) != 0);
        // subscribed first, then polled: an event in between queues the item through the callback
        if ((target.poll() & events & ~EP_PRIVATE_BITS) != 0) {
            queueAndWake(it);
        }
    }

    /** ep_modify: new mask and data, then poll and queue if ready (re-arms ONESHOT and ET). */
    private void modify(EpollItem it, int events, long data) {
        it.data = data;
        it.events = events;
        it.subscription.setFilter(events & ~EP_PRIVATE_BITS);
        if ((it.file.poll() & events & ~EP_PRIVATE_BITS) != 0) {
            queueAndWake(it);
        }
    }

    private void queueAndWake(EpollItem it) {
        boolean queued;
        synchronized (lock) {
            queued = !it.queued && !it.dead && append(it);
        }
        if (queued) {
            waiters.wakeOne();
            notifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
        }
    }

    private static void uncharge(EpollItem it) {
        if (it.charged != null) {
            it.charged.credit(KernelHeap.Kind.EPOLL_ITEM);
            it.charged = null;
        }
    }

    /** ep_remove: mtx held. */
    private void remove(EpollItem it) {
        items.remove(new Key(it.file, it.fd));
        uncharge(it);
        it.subscription.cancel();
        it.file.removeWatch(it);
        synchronized (lock) {
            it.dead = true;
            if (it.queued) {
                unlink(it);
            }
        }
    }

    /** The item's file lost its last descriptor (eventpoll_release_file). */
    void removeReleased(EpollItem it) {
        mtx.lock();
        try {
            if (items.get(new Key(it.file, it.fd)) == it) {
                remove(it);
            }
        } finally {
            mtx.unlock();
        }
    }

    // ====================================================================== callback

    /** ep_poll_callback; returns whether an exclusive wake-up was taken. */
    boolean callback(EpollItem it, int ev) {
        int mask = it.events;
        if ((mask & ~EP_PRIVATE_BITS) == 0) {
            return false; // disarmed ONESHOT
        }
        if (ev != 0 && (ev & mask) == 0) {
            return false;
        }
        synchronized (lock) {
            if (it.dead) {
                return false;
            }
            if (!it.queued) {
                append(it);
            }
        }
        boolean ewake = false;
        if (!waiters.isEmpty()) {
            if ((mask & Epoll.EPOLLEXCLUSIVE) != 0) {
                ewake = switch (ev & (Epoll.EPOLLIN | Epoll.EPOLLOUT)) {
                    case Epoll.EPOLLIN -> (mask & Epoll.EPOLLIN) != 0;
                    case Epoll.EPOLLOUT -> (mask & Epoll.EPOLLOUT) != 0;
                    case 0 -> true;
                    default -> false;
                };
            }
            waiters.wakeOne();
        }
        notifier.broadcast(IoEvents.IN | IoEvents.RDNORM);
        return (mask & Epoll.EPOLLEXCLUSIVE) == 0 || ewake;
    }

    // ====================================================================== ready list (lock held)

    private boolean append(EpollItem it) {
        it.queued = true;
        it.next = null;
        it.prev = readyTail;
        if (readyTail == null) {
            readyHead = it;
        } else {
            readyTail.next = it;
        }
        readyTail = it;
        readyCount++;
        return true;
    }

    private void prepend(EpollItem it) {
        it.queued = true;
        it.prev = null;
        it.next = readyHead;
        if (readyHead == null) {
            readyTail = it;
        } else {
            readyHead.prev = it;
        }
        readyHead = it;
        readyCount++;
    }

    private void unlink(EpollItem it) {
        if (it.prev == null) {
            readyHead = it.next;
        } else {
            it.prev.next = it.next;
        }
        if (it.next == null) {
            readyTail = it.prev;
        } else {
            it.next.prev = it.prev;
        }
        it.prev = null;
        it.next = null;
        it.queued = false;
        readyCount--;
    }

    /** Moves the ready list into txBuf (mtx and lock held); returns the count. */
    private int detachReady() {
        int n = readyCount;
        if (txBuf.length < n) {
            txBuf = new EpollItem[Math.max(n, txBuf.length * 2)];
        }
        int i = 0;
        EpollItem it = readyHead;
        while (it != null) {
            EpollItem next = it.next;
            txBuf[i++] = it;
            it.prev = null;
            it.next = null;
            it.queued = false;
            it = next;
        }
        readyHead = null;
        readyTail = null;
        readyCount = 0;
        return i;
    }

    // ====================================================================== wait

    /** ep_send_events: the scan described in the class comment. Returns the events reported. */
    private int sendEvents(EpollEventSink out, int maxevents) {
        mtx.lock();
        try {
            int n;
            synchronized (lock) {
                n = detachReady();
            }
            Runnable hook = afterDetachHook;
            if (hook != null) {
                hook.run();
            }
            int reported = 0;
            int i = 0;
            for (; i < n && reported < maxevents; i++) {
                EpollItem it = txBuf[i];
                txBuf[i] = null;
                if (it.dead) {
                    continue;
                }
                int mask = it.events;
                int revents = it.file.poll() & mask & ~EP_PRIVATE_BITS;
                if (revents == 0) {
                    continue;
                }
                out.put(reported++, revents, it.data);
                if ((mask & Epoll.EPOLLONESHOT) != 0) {
                    it.events = mask & EP_PRIVATE_BITS;
                    it.subscription.setFilter(0);
                } else if ((mask & Epoll.EPOLLET) == 0) {
                    synchronized (lock) {
                        if (!it.queued && !it.dead) {
                            append(it);
                        }
                    }
                }
            }
            if (i < n) {
                synchronized (lock) {
                    for (int j = n - 1; j >= i; j--) {
                        EpollItem it = txBuf[j];
                        txBuf[j] = null;
                        if (!it.queued && !it.dead) {
                            prepend(it);
                        }
                    }
                }
            }
            if (readyCount > 0 && !waiters.isEmpty()) {
                waiters.wakeOne();
            }
            return reported;
        } finally {
            mtx.unlock();
        }
    }

    /**
     * ep_poll: waits until events are available or the deadline passes; EINTR when a signal is
     * pending and nothing is ready. A timeout of 0 ({@code immediate}) scans once.
     */
    int wait(Caller c, EpollEventSink out, int maxevents, long deadline, boolean immediate) {
        Waiter w = c.waiter();
        boolean timedOut = immediate;
        boolean eavail = readyCount > 0;
        for (;;) {
            if (eavail) {
                int n = sendEvents(out, maxevents);
                if (n > 0) {
                    return n;
                }
            }
            if (timedOut) {
                return 0;
            }
            if (c.signals().interruptPending()) {
                throw Errno.EINTR.exception("epoll_wait interrupted");
            }
            w.reset();
            WaiterQueue.Node node = waiters.enqueueExclusive(w);
            if (readyCount > 0) {
                waiters.remove(node);
                eavail = true;
                continue;
            }
            boolean woken = w.await(c.clock(), deadline);
            waiters.remove(node);
            timedOut = !woken;
            eavail = true; // re-scan even after a timeout: a wake-up that raced it is not lost
        }
    }

    // ====================================================================== as a file

    /**
     * ep_eventpoll_poll: IN iff some queued item really polls ready; stale items are dropped.
     * Always under {@link #mtx}, as Linux's {@code __ep_eventpoll_poll} takes {@code ep->mtx}: an
     * epoll_wait on this epoll may have the ready list taken out for its scan (readyCount 0) and
     * re-queue level-triggered items only at its end, without telling the observers; reading
     * readyCount without the mutex there would report "nothing ready" and an outer waiter would
     * sleep with an event ready (a lost wake-up).
     */
    @Override
    public int poll() {
        mtx.lock();
        try {
            EpollItem[] snap;
            int n;
            synchronized (lock) {
                n = readyCount;
                snap = n <= txBuf.length ? txBuf : new EpollItem[n];
                int i = 0;
                for (EpollItem it = readyHead; it != null; it = it.next) {
                    snap[i++] = it;
                }
            }
            int result = 0;
            for (int i = 0; i < n; i++) {
                EpollItem it = snap[i];
                snap[i] = null;
                if (result != 0) {
                    continue;
                }
                if (!it.dead && (it.file.poll() & it.events & ~EP_PRIVATE_BITS) != 0) {
                    result = IoEvents.IN | IoEvents.RDNORM;
                } else {
                    synchronized (lock) {
                        if (it.queued) {
                            unlink(it);
                        }
                    }
                }
            }
            return result;
        } finally {
            mtx.unlock();
        }
    }

    @Override
    public Notifier notifier() {
        return notifier;
    }

    @Override
    public Stat fstat() {
        return new Stat(EpollCalls.ANON_DEV, ino, 0600, 1, 0, 0, 0, 0, Pages.SIZE, 0, 0, 0, 0);
    }

    /** Closing the last descriptor removes every registration (ep_clear_and_put). */
    @Override
    protected void release() {
        mtx.lock();
        try {
            for (EpollItem it : new ArrayList<>(items.values())) {
                remove(it);
            }
        } finally {
            mtx.unlock();
        }
    }

    // ====================================================================== nesting checks

    /** ep_loop_check: false when adding {@code to} would make a loop or nest too deep. */
    private boolean loopCheckOk(EpollFile to) {
        int depth = downDepth(to, 0, new IdentityHashMap<>());
        if (depth > EP_MAX_NESTS) {
            return false;
        }
        int up = upDepth(this, new IdentityHashMap<>());
        return depth + 1 + up <= EP_MAX_NESTS;
    }

    /** ep_loop_check_proc: how deep epolls nest below {@code ep}; > EP_MAX_NESTS on a loop. */
    private int downDepth(EpollFile ep, int depth, Map<EpollFile, Integer> memo) {
        Integer known = memo.get(ep);
        if (known != null) {
            return known;
        }
        List<EpollFile> children = new ArrayList<>();
        ep.mtx.lock();
        try {
            for (EpollItem it : ep.items.values()) {
                if (it.file instanceof EpollFile child) {
                    children.add(child);
                }
            }
        } finally {
            ep.mtx.unlock();
        }
        int result = 0;
        for (EpollFile child : children) {
            if (child == this || depth > EP_MAX_NESTS) {
                result = EP_MAX_NESTS + 1;
            } else {
                result = Math.max(result, downDepth(child, depth + 1, memo) + 1);
            }
            if (result > EP_MAX_NESTS) {
                break;
            }
        }
        memo.put(ep, result);
        return result;
    }

    /** ep_get_upwards_depth_proc: how many epoll levels watch {@code ep} from above. */
    private static int upDepth(EpollFile ep, Map<EpollFile, Integer> memo) {
        Integer known = memo.get(ep);
        if (known != null) {
            return known;
        }
        memo.put(ep, 0);
        int result = 0;
        for (FileWatch w : ep.watches()) {
            if (w instanceof EpollItem it) {
                result = Math.max(result, upDepth(it.ep, memo) + 1);
            }
        }
        memo.put(ep, result);
        return result;
    }

    // ====================================================================== inspection

    boolean isRegistered(EpollItem it) {
        mtx.lock();
        try {
            return items.get(new Key(it.file, it.fd)) == it;
        } finally {
            mtx.unlock();
        }
    }

    /** Number of registrations. */
    public int size() {
        mtx.lock();
        try {
            return items.size();
        } finally {
            mtx.unlock();
        }
    }

    /** Number of items on the ready list (possibly stale). */
    public int readyCount() {
        return readyCount;
    }

    /** Threads blocked in epoll_wait on this epoll. */
    public int waiterCount() {
        return waiters.size();
    }

    /** Queued waiters that were notified but have not yet run (for wake-up counting tests). */
    public long notifiedWaiters() {
        return waiters.queuedWaiters().stream().filter(Waiter::isNotified).count();
    }

    /**
     * Checks the structure: every item's file is live and carries the item as a watch and a live
     * subscription; the ready list is a consistent doubly-linked list of live items; after
     * quiescence no thread waits.
     */
    @Override
    public void checkInvariants(boolean quiescent) {
        super.checkInvariants(quiescent);
        if (quiescent && mtx.isLocked()) {
            throw new IllegalStateException(this + ": epoll mutex still held after quiescence");
        }
        mtx.lock();
        try {
            for (Map.Entry<Key, EpollItem> e : items.entrySet()) {
                EpollItem it = e.getValue();
                if (it.dead) {
                    throw new IllegalStateException(this + ": dead item still registered: " + it);
                }
                if (it.file.isReleased()) {
                    throw new IllegalStateException(this + ": registration on released file " + it.file);
                }
                if (!Arrays.asList(it.file.watches()).contains(it)) {
                    throw new IllegalStateException(this + ": " + it + " missing from the file's watches");
                }
                if (!it.subscription.isLive() || !Arrays.asList(it.file.notifier().snapshot()).contains(it.subscription)) {
                    throw new IllegalStateException(this + ": " + it + " has no live subscription");
                }
                int expectedFilter = (it.events & ~EP_PRIVATE_BITS);
                if (it.subscription.filter() != expectedFilter) {
                    throw new IllegalStateException(this + ": " + it + " filter " + it.subscription.filter() + " != mask " + expectedFilter);
                }
            }
            synchronized (lock) {
                int n = 0;
                EpollItem prev = null;
                for (EpollItem it = readyHead; it != null; it = it.next) {
                    if (!it.queued || it.dead || it.prev != prev || it.ep != this) {
                        throw new IllegalStateException(this + ": corrupt ready list at " + it);
                    }
                    if (items.get(new Key(it.file, it.fd)) != it) {
                        throw new IllegalStateException(this + ": ready item not registered: " + it);
                    }
                    prev = it;
                    n++;
                }
                if (prev != readyTail || n != readyCount) {
                    throw new IllegalStateException(this + ": ready count " + readyCount + " but " + n + " linked");
                }
            }
        } finally {
            mtx.unlock();
        }
        if (quiescent && !waiters.isEmpty()) {
            throw new IllegalStateException(this + ": " + waiters.size() + " waiters left after quiescence");
        }
    }

    @Override
    public String toString() {
        return "anon_inode:[eventpoll] " + ino;
    }
}
