package io.jocclum.sgx.epc;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcSection;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The EPC page allocator of arch/x86/kernel/cpu/sgx/main.c: per-node free lists,
 * {@code sgx_nr_free_pages}, {@code sgx_alloc_epc_page} with the v17 flow (charge, physical
 * allocation loop with global reclaim, record the group, uncharge on failure) and
 * {@code sgx_free_epc_page}.
 *
 * <p>Design: each EPC section is its own node. A node's free pages are the pages freed so far
 * (a FIFO of {@link EpcPage}) plus the range of frames never used (a cursor), so nothing is allocated
 * per frame until a frame is first used. Recycled pages are preferred over fresh ones so a churning
 * workload keeps touching the same frames (Linux hands out never-used pages first; which frame an
 * allocation gets is not observable otherwise).
 *
 * <p>Allocations that get EBUSY on a fault path wait for "reclaim progress" instead of spinning like
 * re-faulting tasks do: {@link #progressGeneration()} before the attempt, {@link #awaitProgress} after.
 * Every free advances the generation.
 *
 * <p>Locking: each node's lock guards its free list and cursor; {@code nrFree} is atomic;
 * {@code progressLock} only serves the progress waiters.
 */
public final class EpcAllocator {
    private static final int DIR_SHIFT = 12;

    private final Epc epc;
    private final EpcTunables tunables;
    private final Node[] nodes;
    private final AtomicLong nrFree;
    private final AtomicReferenceArray<EpcPage[]> directory;
    private final AtomicLong generation = new AtomicLong();
    private final ReentrantLock progressLock = new ReentrantLock();
    private final Condition progressed = progressLock.newCondition();
    private volatile int progressWaiters;
    private volatile boolean closed;
    private EpcController controller;   // set once by EpcManager before use
    private Ksgxd ksgxd;                // set once by EpcManager before use
    /** MANUAL mode: runs at the scheduling points of tasks waiting for EPC (see {@link #setSchedulingPoint}). */
    private volatile Runnable schedulingPoint = () -> { };

    private static final class Node {
        final ReentrantLock lock = new ReentrantLock();
        final EpcSection section;
        @GuardedBy("lock")
        final ArrayDeque<EpcPage> freeList = new ArrayDeque<>();
        @GuardedBy("lock")
        long nextFresh;

        Node(EpcSection s) {
            this.section = s;
            this.nextFresh = s.firstPfn();
        }
    }

    EpcAllocator(Epc epc, EpcTunables tunables) {
        this.epc = epc;
        this.tunables = tunables;
        this.nodes = new Node[epc.sections().size()];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = new Node(epc.sections().get(i));
        }
        this.nrFree = new AtomicLong(epc.totalPages());
        this.directory = new AtomicReferenceArray<>((int) ((epc.totalPages() + (1 << DIR_SHIFT) - 1) >>> DIR_SHIFT));
    }

    void attach(EpcController c, Ksgxd k) {
        this.controller = c;
        this.ksgxd = k;
    }

    public Epc epc() {
        return epc;
    }

    public long capacityPages() {
        return epc.totalPages();
    }

    /** {@code sgx_nr_free_pages}. */
    public long freePages() {
        return nrFree.get();
    }

    /**
     * {@code sgx_alloc_epc_page(owner, reclaim)} with the v17 charge flow (spec 2.2).
     *
     * @throws io.jocclum.api.ErrnoException ENOMEM, EBUSY or ERESTARTSYS
     */
    public EpcPage allocate(Object owner, Reclaim reclaim, HostTask current) {
        EpcGroup group = controller.currentGroup(current);
        Errno err = controller.tryCharge(group, reclaim, current);
        if (err != null) {
            controller.putGroup(group);
            throw err.exception("EPC charge to " + group.name());
        }
        EpcPage page;
        for (;;) {
            page = allocPhysical(current.pid());
            if (page != null) {
                page.setOwner(owner);
                break;
            }
            if (!controller.canReclaimGlobal()) {
                err = Errno.ENOMEM;
                break;
            }
            if (reclaim == Reclaim.SGX_NO_RECLAIM) {
                err = Errno.EBUSY;
                break;
            }
            if (current.signalPending()) {
                err = Errno.ERESTARTSYS;
                break;
            }
            controller.reclaimGlobal(current.mm());
        }
        if (page != null) {
            page.setGroup(group);
        } else {
            controller.uncharge(group);
            controller.putGroup(group);
        }
        if (shouldReclaimGlobal(tunables.lowPages())) {
            ksgxd.wakeUp();
        }
        if (err != null) {
            throw err.exception("no free EPC page");
        }
        return page;
    }

    /**
     * {@link #allocate allocate(owners[i], SGX_NO_RECLAIM, current)} for {@code i} from 0 on, while
     * {@link #plentiful plentiful(3)} would hold before each of them (so none of them charges a
     * group, reclaims, fails or wakes ksgxd): at most {@code n} pages, into {@code out} in order.
     * The pages are the ones those calls would get, in the same order (each node's free list first
     * in, first out, then its never-used frames, the local node first), taking each node's lock once
     * rather than once per page. Returns how many were allocated (0 when the EPC is not plentiful).
     *
     * <p>"Would hold" and "the same pages" are exact when no other task allocates or frees EPC
     * during the run. The count is decided once, from the free count at the start; a concurrent
     * free or allocation (ksgxd, another enclave) may then give the run other free frames than
     * calls one by one would, and pages of the run may be taken after the free count fell below the
     * watermark, in which case ksgxd is woken at the end of the run rather than at that page. A
     * charge cannot fail here (no group limits) and a node never hands out more frames than it has.
     */
    public int allocateRun(Object[] owners, EpcPage[] out, int n, HostTask current) {
        if (controller.limitsGroups()) {
            return 0;
        }
        int k = (int) Math.min(n, nrFree.get() - tunables.lowPages() - 2);
        if (k <= 0) {
            return 0;
        }
        int got = 0;
        int start = Math.floorMod(current.pid(), nodes.length);
        for (int i = 0; i < nodes.length && got < k; i++) {
            Node node = nodes[(start + i) % nodes.length];
            int before = got;
            node.lock.lock();
            try {
                for (; got < k; got++) {
                    EpcPage p = node.freeList.pollFirst();
                    boolean fresh = p == null;
                    if (fresh) {
                        if (node.nextFresh >= node.section.firstPfn() + node.section.pages()) {
                            break;
                        }
                        long pfn = node.nextFresh++;
                        p = new EpcPage(epc.frame(pfn), node.section.index());
                        register(pfn, p);
                    }
                    p.setFlags(0);
                    p.takenFresh = fresh;
                    out[got] = p;
                }
            } finally {
                node.lock.unlock();
            }
            if (got > before) {
                nrFree.addAndGet(before - got);
            }
        }
        for (int i = 0; i < got; i++) {
            EpcGroup group = controller.currentGroup(current);
            if (controller.tryCharge(group, Reclaim.SGX_NO_RECLAIM, current) != null) {
                throw new IllegalStateException("a controller without group limits refused a charge");
            }
            out[i].setOwner(owners[i]);
            out[i].setGroup(group);
        }
        if (shouldReclaimGlobal(tunables.lowPages())) {
            ksgxd.wakeUp();
        }
        return got;
    }

    /**
     * Undoes {@link #allocateRun} for its pages {@code pages[from, to)}, none of which has been
     * used: uncharged and put back where they came from (the front of their nodes' free lists, in
     * reverse order, or the never-used frames), so the next allocations get them again in the order
     * they came.
     */
    public void unallocateRun(EpcPage[] pages, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            EpcPage page = pages[i];
            EpcGroup g = page.group;
            controller.uncharge(g);
            controller.putGroup(g);
            page.setGroup(null);
            page.setOwner(null);
            Node node = nodes[page.node()];
            node.lock.lock();
            try {
                page.setFlags(EpcPage.IS_FREE);
                if (page.takenFresh && page.frame().pfn() == node.nextFresh - 1) {
                    node.nextFresh--; // never used after all (its next allocation makes a new EpcPage)
                } else {
                    node.freeList.addFirst(page);
                }
            } finally {
                node.lock.unlock();
            }
        }
        if (to > from) {
            nrFree.addAndGet(to - from);
        }
    }

    /** {@code __sgx_alloc_epc_page}: the local node first, then the others round robin. */
    private EpcPage allocPhysical(int hint) {
        int start = Math.floorMod(hint, nodes.length);
        for (int i = 0; i < nodes.length; i++) {
            Node n = nodes[(start + i) % nodes.length];
            EpcPage p = allocFromNode(n);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private EpcPage allocFromNode(Node n) {
        EpcPage p;
        n.lock.lock();
        try {
            p = n.freeList.pollFirst();
            if (p == null) {
                if (n.nextFresh >= n.section.firstPfn() + n.section.pages()) {
                    return null;
                }
                long pfn = n.nextFresh++;
                p = new EpcPage(epc.frame(pfn), n.section.index());
                register(pfn, p);
            }
            p.setFlags(0);
        } finally {
            n.lock.unlock();
        }
        nrFree.decrementAndGet();
        return p;
    }

    /**
     * {@code sgx_free_epc_page}: uncharges the page's group, puts it on its node's free list. The
     * frame must already be invalid (EREMOVEd or written back by EWB).
     */
    public void free(EpcPage page) {
        freeAll(new EpcPage[] {page}, 1);
    }

    /**
     * {@link #free} of {@code pages[0, n)} in that order, each put on its node's free list as
     * {@code free} puts it, taking a node's lock once for each stretch of pages of that node and
     * signalling progress once: for a caller that frees a run of pages at once.
     */
    public void freeAll(EpcPage[] pages, int n) {
        for (int i = 0; i < n; i++) {
            EpcPage page = pages[i];
            if (page.frame().isValid()) {
                throw new IllegalStateException("freeing " + page + " whose EPCM entry is still valid");
            }
            EpcGroup g = page.group;
            if (g != null) {
                controller.uncharge(g);
                controller.putGroup(g);
                page.setGroup(null);
            }
        }
        for (int i = 0; i < n; ) {
            Node node = nodes[pages[i].node()];
            node.lock.lock();
            try {
                for (; i < n && nodes[pages[i].node()] == node; i++) {
                    EpcPage page = pages[i];
                    if (page.isFree()) {
                        throw new IllegalStateException("double free of " + page);
                    }
                    page.setOwner(null);
                    page.setFlags(EpcPage.IS_FREE);
                    node.freeList.addLast(page);
                }
            } finally {
                node.lock.unlock();
            }
        }
        if (n > 0) {
            nrFree.addAndGet(n);
            signalProgress();
        }
    }

    /** {@code sgx_should_reclaim_global(watermark)}. */
    public boolean shouldReclaimGlobal(int watermark) {
        return nrFree.get() < watermark && controller.canReclaimGlobal();
    }

    /**
     * {@code sgx_reclaim_direct()}: before each page of the SGX2 ioctls, one per-cgroup round if the
     * current cgroup is near its limit (v17), then one global round if fewer than SGX_NR_LOW_PAGES are free.
     */
    public void reclaimDirect(HostTask current) {
        controller.reclaimDirect(current);
        if (shouldReclaimGlobal(tunables.lowPages())) {
            controller.reclaimGlobal(current.mm());
        }
    }

    /**
     * True when {@link #reclaimDirect} would do nothing now, told from counters alone: the
     * controller keeps no group limits and at least SGX_NR_LOW_PAGES pages are free. The SGX2
     * ioctls skip the call for such pages, keeping the enclave lock from one page to the next.
     */
    public boolean directReclaimIdle() {
        return plentiful(0);
    }

    /**
     * True when {@code pages} allocations made now would all succeed at once and leave at least
     * SGX_NR_LOW_PAGES pages free (so none of them charges a group, reclaims or wakes ksgxd),
     * told from counters alone: the controller keeps no group limits and enough pages are free.
     * The EAUG of a run of pages goes on only while this holds; past it, each page takes the
     * fault path alone, as it would have.
     */
    public boolean plentiful(int pages) {
        return !controller.limitsGroups() && nrFree.get() >= tunables.lowPages() + pages;
    }

    // ---- waiting for reclaim progress ----------------------------------------------------------------

    public long progressGeneration() {
        return generation.get();
    }

    /** Advances the progress generation and wakes waiters. */
    public void signalProgress() {
        generation.incrementAndGet();
        if (progressWaiters > 0) {
            progressLock.lock();
            try {
                progressed.signalAll();
            } finally {
                progressLock.unlock();
            }
        }
    }

    /**
     * Waits until the generation moves past {@code seen} (a page was freed somewhere, ksgxd gave up
     * on a round, or a task was killed). In ksgxd's MANUAL mode first runs the controller's queued
     * work and ksgxd's pending work in this thread. Returns
     * false if the platform is shutting down.
     */
    public boolean awaitProgress(long seen) {
        if (ksgxd.isManual()) {
            controller.runPendingWork();
            ksgxd.wakeUp();
            ksgxd.runPending();
            schedulingPoint.run();
        }
        progressLock.lock();
        try {
            progressWaiters++;
            try {
                while (generation.get() == seen && !closed) {
                    progressed.awaitUninterruptibly();
                }
            } finally {
                progressWaiters--;
            }
            return !closed;
        } finally {
            progressLock.unlock();
        }
    }

    /**
     * MANUAL mode: {@code hook} runs where a task waits for EPC to be freed holding no lock — a
     * fault path about to wait for progress (after the queued work and ksgxd ran) and a direct
     * reclaim loop's {@code cond_resched()} ({@link #schedulingPoint()}). A deterministic scheduler
     * of simulated tasks lets tasks that are due to exit (killed ones) run there, since their exit
     * is the progress awaited.
     */
    public void setSchedulingPoint(Runnable hook) {
        this.schedulingPoint = java.util.Objects.requireNonNull(hook);
    }

    /** A scheduling point of a task waiting for EPC (MANUAL mode only; see {@link #setSchedulingPoint}). */
    public void schedulingPoint() {
        if (ksgxd.isManual()) {
            schedulingPoint.run();
        }
    }

    void close() {
        closed = true;
        progressLock.lock();
        try {
            progressed.signalAll();
        } finally {
            progressLock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    // ---- inspection ------------------------------------------------------------------------------------

    private void register(long pfn, EpcPage p) {
        int hi = (int) (pfn >>> DIR_SHIFT);
        EpcPage[] chunk = directory.get(hi);
        if (chunk == null) {
            directory.compareAndSet(hi, null, new EpcPage[1 << DIR_SHIFT]);
            chunk = directory.get(hi);
        }
        synchronized (chunk) {
            chunk[(int) (pfn & ((1 << DIR_SHIFT) - 1))] = p;
        }
    }

    /** Visits every EPC page used so far (free or not). */
    public void forEachPage(Consumer<EpcPage> action) {
        for (int hi = 0; hi < directory.length(); hi++) {
            EpcPage[] chunk = directory.get(hi);
            if (chunk == null) {
                continue;
            }
            EpcPage[] copy;
            synchronized (chunk) {
                copy = chunk.clone();
            }
            for (EpcPage p : copy) {
                if (p != null) {
                    action.accept(p);
                }
            }
        }
    }

    /** Free pages as counted on the free lists plus never-used frames (must equal {@link #freePages()} when quiescent). */
    public long countFreeLists() {
        long n = 0;
        for (Node node : nodes) {
            node.lock.lock();
            try {
                n += node.freeList.size() + (node.section.firstPfn() + node.section.pages() - node.nextFresh);
            } finally {
                node.lock.unlock();
            }
        }
        return n;
    }
}
