package io.jocclum.libos.scenario;

import io.jocclum.libos.events.Gate;
import io.jocclum.libos.syscall.SyscallCounters;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostModel;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The deterministic scheduler of the guest threads of a scenario's LibOS programs: the baton that
 * exactly one thread of the whole scenario holds at a time — the engine's thread or one guest
 * thread — and the simulated clock of every guest thread.
 *
 * <h2>Clocks</h2>
 * A guest thread's clock starts at the time of its creator (the engine's time for a program the
 * scenario starts) and advances by the cycles charged to its enclave's account while it holds the
 * baton (leaves, faults, EWB/ELDU, OCALLs), by {@value SyscallCounters#DEFAULT_SYSCALL_CYCLES}
 * cycles per system call and {@value Workloads#TOUCH_NS} ns per page of each guest-memory access.
 * Cycles charged to an enclave while none of its threads runs (its pages evicted by another
 * enclave's reclaim) are added to the next of its threads that runs, so the threads of an enclave
 * together pay for everything its account was charged, as a workload model's enclave does.
 *
 * <h2>Order</h2>
 * A thread is a candidate when it is runnable (key: its clock) or waits with a timeout (key: the
 * later of its clock and the timeout). The engine runs the candidate with the smallest key, ties
 * broken by enclave index, pid and tid, until at one of its boundaries (system call, guest-memory
 * access) its key is no longer below the {@linkplain #run horizon}: the next candidate's key, the
 * next model step, the next event or sample. A thread that waits gives the baton back at once; the
 * thread or event that wakes it makes it runnable at the waker's time. When no thread is runnable
 * the smallest timeout is the next key, so simulated time jumps to the next timer. No host clock
 * and no host thread's timing decides anything: the same scenario gives the same interleaving.
 *
 * <p>Thread-safety: every method runs on the baton's holder only (guest threads on their own
 * behalf, the engine for the rest); the baton is passed through one volatile field with
 * {@link LockSupport} park and unpark, which orders everything one holder did before the next.
 */
final class Scheduler {
    /** How often the engine looks at a running guest thread that has not handed the baton back. */
    private static final long WATCHDOG_NANOS = 500_000_000L;
    /** Consecutive looks at it waiting outside the LibOS after which the run fails. */
    private static final int WATCHDOG_CHECKS = 4;

    private enum State { RUNNABLE, RUNNING, BLOCKED }

    /** A guest thread under the gate. */
    static final class GThread {
        final Thread thread;
        final Lane lane;
        final int pid;
        final int tid;
        State state = State.RUNNABLE;
        /** Simulated nanoseconds that are not cycles: the start, waits, system calls and accesses. */
        long ns;
        /** Cycles charged to the enclave while this thread ran. */
        long cycles;
        long deadline = Gate.FOREVER;
        boolean permit;
        /** In the scheduler's own wait for the baton. */
        volatile boolean parked;

        GThread(Thread thread, Lane lane, int pid, int tid) {
            this.thread = thread;
            this.lane = lane;
            this.pid = pid;
            this.tid = tid;
        }

        long clock() {
            return ns + lane.model.nanos(cycles);
        }

        /** The time it is due: its clock, or its timeout when it waits with one; MAX when it waits without. */
        long due() {
            return switch (state) {
                case BLOCKED -> deadline == Gate.FOREVER ? Long.MAX_VALUE : Math.max(clock(), deadline);
                default -> clock();
            };
        }
    }

    private final CostModel model;
    private final long syscallCycles;
    private final List<GThread> threads = new ArrayList<>();
    private final Map<Thread, GThread> byThread = new IdentityHashMap<>();
    private final Thread engine;
    /** Who may run: the engine's thread or one guest thread. */
    private volatile Thread holder;
    private GThread running;
    private boolean broken;
    private long engineNow;
    private long hTime;
    private int hLane;
    private int hPid;
    private int hTid;

    Scheduler(CostModel model) {
        this.model = model;
        this.syscallCycles = SyscallCounters.DEFAULT_SYSCALL_CYCLES;
        this.engine = Thread.currentThread();
        this.holder = engine;
    }

    /** The engine's simulated time: what admissions and wake-ups by the engine happen at. */
    void now(long t) {
        engineNow = t;
    }

    /** The gate of enclave {@code index}, whose cycles are charged to {@code account}. */
    Lane lane(int index, CostAccount account) {
        return new Lane(index, account);
    }

    /** The candidate with the smallest key, or null when no thread is due (all wait without timeout, or none). */
    GThread next() {
        return min(null, null);
    }

    /** The candidate after {@code g} (the smallest key of the others), or null. */
    GThread after(GThread g) {
        return min(g, null);
    }

    /** The candidates of {@code lane} (for running a killed enclave's threads to their end). */
    GThread next(Lane lane) {
        return min(null, lane);
    }

    /** The due thread with the smallest key other than {@code except}, of {@code lane} unless null. */
    private GThread min(GThread except, Lane lane) {
        GThread best = null;
        for (GThread g : threads) {
            if (g != except && (lane == null || g.lane == lane) && g.due() != Long.MAX_VALUE && (best == null || before(g, best))) {
                best = g;
            }
        }
        return best;
    }

    private static boolean before(GThread a, GThread b) {
        return less(a.due(), a.lane.index, a.pid, a.tid, b.due(), b.lane.index, b.pid, b.tid);
    }

    private static boolean less(long t1, int l1, int p1, int i1, long t2, int l2, int p2, int i2) {
        if (t1 != t2) {
            return t1 < t2;
        }
        if (l1 != l2) {
            return l1 < l2;
        }
        if (p1 != p2) {
            return p1 < p2;
        }
        return i1 < i2;
    }

    /** Whether enclave {@code lane} still has threads. */
    boolean hasThreads(Lane lane) {
        return lane.live > 0;
    }

    /**
     * Hands the baton to {@code g} and waits until it comes back: {@code g} runs while its key is
     * below the horizon (time {@code t}, then enclave, pid, tid; a model step or an event is
     * (time, enclave index or -1, 0, 0)).
     */
    void run(GThread g, long t, int lane, int pid, int tid) {
        hTime = t;
        hLane = lane;
        hPid = pid;
        hTid = tid;
        if (g.state == State.BLOCKED) {
            // its timeout has come: it wakes at that time
            long c = g.clock();
            if (g.deadline > c) {
                g.ns += g.deadline - c;
            }
            g.deadline = Gate.FOREVER;
        }
        g.state = State.RUNNING;
        sync(g);
        running = g;
        holder = g.thread;
        LockSupport.unpark(g.thread);
        int stuck = 0;
        while (holder != engine) {
            LockSupport.parkNanos(this, WATCHDOG_NANOS);
            // a guest thread that waits outside the LibOS (a Java lock or monitor of its own, held by a thread
            // that is not running) would hold the baton for ever: say so instead of hanging
            Thread.State st = g.thread.getState();
            boolean waiting = holder == g.thread && !g.parked
                    && (st == Thread.State.WAITING || st == Thread.State.BLOCKED || st == Thread.State.TIMED_WAITING);
            stuck = waiting ? stuck + 1 : 0;
            if (stuck >= WATCHDOG_CHECKS) {
                broken = true;
                throw new ScenarioException("a guest thread (pid " + g.pid + ", tid " + g.tid + ") waits outside the LibOS, on a"
                        + " Java lock or monitor of its own; in a scenario guest threads must wait through the LibOS (thread"
                        + " join, pipes, eventfd, poll), which the scheduler can follow in simulated time.");
            }
        }
    }

    /** Whether a guest thread was found waiting outside the LibOS (its enclave cannot be run to an end). */
    boolean broken() {
        return broken;
    }

    /** Adds the cycles its enclave was charged since they were last counted to {@code g}. */
    private static void sync(GThread g) {
        Lane l = g.lane;
        long c = l.account.cycles();
        g.cycles += c - l.seen;
        l.seen = c;
        l.time = Math.max(l.time, g.clock());
    }

    private GThread current() {
        GThread g = running;
        return g != null && g.thread == Thread.currentThread() ? g : null;
    }

    private long callerNow() {
        GThread g = current();
        if (g == null) {
            return engineNow;
        }
        sync(g);
        return g.clock();
    }

    /** The running thread's boundary: hands the baton back when its key has reached the horizon. */
    private void boundary(GThread g) {
        sync(g);
        if (less(g.clock(), g.lane.index, g.pid, g.tid, hTime, hLane, hPid, hTid)) {
            return;
        }
        g.state = State.RUNNABLE;
        handBack(g);
        await(g);
    }

    private void handBack(GThread g) {
        running = null;
        holder = engine;
        LockSupport.unpark(engine);
    }

    private void await(GThread g) {
        g.parked = true;
        while (holder != g.thread) {
            LockSupport.park(this);
        }
        g.parked = false;
    }

    /** A wake-up at the caller's time; a thread that runs or is runnable keeps it for its next wait. */
    private void wake(GThread w) {
        if (w.state != State.BLOCKED) {
            w.permit = true;
            return;
        }
        long t = callerNow();
        w.state = State.RUNNABLE;
        w.deadline = Gate.FOREVER;
        long c = w.clock();
        if (c < t) {
            w.ns += t - c;
        }
        tighten(w);
    }

    /** A thread became due while another runs: the runner must stop before it. */
    private void tighten(GThread w) {
        if (running != null && less(w.due(), w.lane.index, w.pid, w.tid, hTime, hLane, hPid, hTid)) {
            hTime = w.due();
            hLane = w.lane.index;
            hPid = w.pid;
            hTid = w.tid;
        }
    }

    private void block(GThread g, long deadline) {
        if (g.permit) {
            g.permit = false;
            return;
        }
        sync(g);
        g.state = State.BLOCKED;
        g.deadline = deadline;
        handBack(g);
        await(g);
    }

    /** One enclave's gate: its guest threads, clocks and wall clock. */
    final class Lane implements Gate, InstantSource {
        final int index;
        final CostAccount account;
        final CostModel model = Scheduler.this.model;
        /** Its account's cycles already given to its threads. */
        long seen;
        /** Threads admitted and not ended. */
        int live;
        /** The latest clock any of its threads reached. */
        long time;

        Lane(int index, CostAccount account) {
            this.index = index;
            this.account = account;
            this.seen = account.cycles();
        }

        /** The latest time one of its threads reached. */
        long time() {
            return time;
        }

        /** Its threads start at {@code t}; the cycles charged so far are in {@code t} already. */
        void rebase(long t) {
            seen = account.cycles();
            time = Math.max(time, t);
        }

        @Override
        public void admit(Thread thread, int pid, int tid) {
            GThread g = new GThread(thread, this, pid, tid);
            g.ns = callerNow();
            threads.add(g);
            byThread.put(thread, g);
            live++;
            tighten(g);
        }

        @Override
        public void enter() {
            GThread g = byThread.get(Thread.currentThread());
            await(g);
        }

        @Override
        public void leave() {
            GThread g = current();
            if (g == null) {
                return;
            }
            sync(g);
            threads.remove(g);
            byThread.remove(g.thread);
            live--;
            handBack(g);
        }

        @Override
        public void syscall() {
            GThread g = current();
            if (g != null) {
                g.cycles += syscallCycles;
                boundary(g);
            }
        }

        @Override
        public void access(long pages) {
            GThread g = current();
            if (g != null) {
                g.ns += pages * Workloads.TOUCH_NS;
                boundary(g);
            }
        }

        @Override
        public long nanoTime() {
            return callerNow();
        }

        @Override
        public void parkNanos(Object blocker, long nanos) {
            GThread g = current();
            if (g == null) {
                LockSupport.parkNanos(blocker, nanos);
                return;
            }
            long now = callerNow();
            block(g, nanos >= Gate.FOREVER - now ? Gate.FOREVER - 1 : now + Math.max(0, nanos));
        }

        @Override
        public void park(Object blocker) {
            GThread g = current();
            if (g == null) {
                LockSupport.park(blocker);
                return;
            }
            block(g, Gate.FOREVER);
        }

        @Override
        public void unpark(Thread thread) {
            GThread w = byThread.get(thread);
            if (w == null) {
                LockSupport.unpark(thread);
                return;
            }
            wake(w);
        }

        /** CLOCK_REALTIME and file times: the Unix epoch plus the simulated time. */
        @Override
        public Instant instant() {
            return Instant.EPOCH.plusNanos(callerNow());
        }
    }
}
