package io.jocclum.libos.replay;

import io.jocclum.api.ErrnoException;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Mman;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.kheap.KernelHeap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Replays the memory system calls of a trace through guest system calls: one guest process per traced
 * process, one guest thread per traced thread, each running its own events in the trace's global
 * order (a turn-taking sequencer), so the enclave sees the program's mappings appear and go in the
 * order they did. Addresses are translated: each mapping the trace made is recorded with the address
 * the enclave gave it, and later calls on trace addresses act on the enclave's.
 *
 * <p>Replayed: mmap (file mappings as anonymous ones of the same length and sharing), munmap, mremap,
 * mprotect, brk, madvise, msync, shmget/shmat/shmdt (as anonymous shared mappings); clone/fork/vfork/
 * clone3 start a process or thread, execve replaces a process's mappings, exit/exit_group end them.
 * Everything else is counted and skipped. The first call that fails in the enclave where it succeeded
 * in the trace ends the replay and is reported.
 */
public final class Replay {
    /** The built-in that runs a traced child process. */
    public static final String CHILD_PROGRAM = "replay-process";

    static final Map<String, Integer> PROT = Map.of("PROT_NONE", Mman.PROT_NONE, "PROT_READ", Mman.PROT_READ,
            "PROT_WRITE", Mman.PROT_WRITE, "PROT_EXEC", Mman.PROT_EXEC);
    static final Map<String, Integer> MAP = Map.ofEntries(Map.entry("MAP_SHARED", Mman.MAP_SHARED),
            Map.entry("MAP_PRIVATE", Mman.MAP_PRIVATE), Map.entry("MAP_SHARED_VALIDATE", Mman.MAP_SHARED_VALIDATE),
            Map.entry("MAP_FIXED", Mman.MAP_FIXED), Map.entry("MAP_ANONYMOUS", Mman.MAP_ANONYMOUS),
            Map.entry("MAP_NORESERVE", Mman.MAP_NORESERVE), Map.entry("MAP_STACK", Mman.MAP_STACK),
            Map.entry("MAP_FIXED_NOREPLACE", Mman.MAP_FIXED_NOREPLACE), Map.entry("MAP_POPULATE", Mman.MAP_POPULATE),
            Map.entry("MAP_DENYWRITE", Mman.MAP_DENYWRITE), Map.entry("MAP_GROWSDOWN", Mman.MAP_GROWSDOWN));
    static final Map<String, Integer> MREMAP = Map.of("MREMAP_MAYMOVE", Mman.MREMAP_MAYMOVE, "MREMAP_FIXED",
            Mman.MREMAP_FIXED, "MREMAP_DONTUNMAP", Mman.MREMAP_DONTUNMAP);
    private static final Set<String> SPAWNS = Set.of("clone", "clone3", "fork", "vfork");
    private static final long PAGE = Mman.PAGE_SIZE;

    /** Which pages of a new mapping the replay touches. */
    public record Touch(double fraction) {
        public Touch {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("a touch fraction is between 0 and 1");
            }
        }

        public static Touch parse(String s) {
            return switch (s) {
                case "all" -> new Touch(1);
                case "none" -> new Touch(0);
                default -> {
                    double f;
                    try {
                        f = Double.parseDouble(s);
                    } catch (NumberFormatException e) {
                        f = Double.NaN;
                    }
                    if (!(f >= 0 && f <= 1)) {
                        throw new IllegalArgumentException("--touch " + s + " is not all, none or a fraction from 0 to 1");
                    }
                    yield new Touch(f);
                }
            };
        }
    }

    /** The first call that failed in the enclave where it had succeeded in the trace. */
    public record Failure(int line, int tid, String call, String errno, String limit) {
    }

    /**
     * What one traced process did. {@code peakKernelHeapBytes} is the most kernel heap its own objects
     * imply at once (itself, its threads, its mappings as VMAs, the descriptions its descriptors refer
     * to and their epoll registrations), priced with {@link KernelHeap.Kind}'s estimates.
     */
    public record ProcessPeak(int pid, long peakMappedBytes, long peakBrkBytes, int peakThreads, long peakKernelHeapBytes) {
    }

    /**
     * The LibOS's kernel heap account over the replay: what it held when the root process started
     * (the LibOS's own state, the mounts' caches and the root process), its peak, and its limit with
     * the key that sets it.
     */
    public record KernelHeapUse(long atStart, long peak, long limit, String limitKey) {
    }

    /** What the replay found. */
    public record Result(List<ProcessPeak> processes, long peakMappedBytes, int peakThreads, int peakProcesses,
            Map<String, Integer> replayed, Map<String, Integer> skipped, Failure failure, KernelHeapUse kernelHeap) {
    }

    private final List<TraceEvent> events;
    /** The traced thread of each event (the sequencer looks at these, not at the events). */
    private final Tid[] tidOf;
    /** Every traced thread the replay knows, by tid (looked up when a thread starts or is created, not per event). */
    private final Map<Integer, Tid> tids = new HashMap<>();
    private final Tid root;
    private final Touch touch;
    private int next;
    private final Map<Integer, Proc> procs = new LinkedHashMap<>();
    private final Map<Long, Long> shmSizes = new HashMap<>();
    /** The enclave's pid of each traced child process. */
    private final Map<Integer, Integer> guestPid = new HashMap<>();
    /** The threads parked in {@link #await} ({@link Tid#parked}): woken one by one, never all for every event. */
    private final List<Tid> parked = new ArrayList<>();
    /** Calls replayed and skipped by name: counted by the thread playing the current event (see {@link Counts}). */
    private final Counts replayed = new Counts();
    private final Counts skipped = new Counts();
    /** Calls skipped because they failed in the trace, by name (reported as skipped, "NAME (failed in the trace)"). */
    private final Counts failedInTrace = new Counts();
    private long liveMapped;
    private long peakMapped;
    private int liveThreads;
    private int peakThreads;
    private int liveProcs;
    private int peakProcs;
    private Failure failure;
    private TraceFormatException formatError;
    /** The LibOS's kernel heap (set before the run), and what it held when the root process started. */
    private volatile KernelHeap heap = KernelHeap.unlimited();
    private long heapAtStart = -1;
    /** The descriptors a spawned child starts with, by its traced pid. */
    private final Map<Integer, Descriptors> inherited = new HashMap<>();

    /** One traced process: its mappings in trace addresses, translated to the enclave's. */
    private static final class Proc {
        final int pid;
        final TreeMap<Long, Seg> segs = new TreeMap<>();
        Descriptors fds = new Descriptors();
        long peakKernelHeap;
        long brkBaseTrace = -1;
        long brkBaseEnclave;
        long brkTrace;
        long mapped;
        long peak;
        long peakBrk;
        int threads;
        int peakThreads;
        boolean dead;

        Proc(int pid) {
            this.pid = pid;
        }
    }

    private record Seg(long start, long end, long enclave, int prot, boolean shared) {
    }

    /** The sequencer's state of one traced thread; its fields change under the replay's lock. */
    private static final class Tid {
        /** What {@link #owner} gives for an event whose thread is still being created. */
        static final Tid CREATING = new Tid(Integer.MIN_VALUE);

        final int tid;
        /** Its process, once it started (kept after it ends). */
        Proc proc;
        /** The guest thread that plays it, from its start to its end. */
        Syscalls thread;
        /** Its clone or fork is being replayed and it has not started yet. */
        boolean expected;
        /** Counted at its clone or fork and not started yet. */
        boolean counted;
        boolean finished;
        /** The host thread parked in {@link #await} for its next event, or null. */
        Thread parked;

        Tid(int tid) {
            this.tid = tid;
        }
    }

    /**
     * Counts by name, without a boxed count per update. Only the thread playing the current event
     * counts, and the sequencer hands the events out one at a time under its lock, which orders the
     * counts of successive events: no lock of their own ({@link #result} reads them under the
     * sequencer's).
     */
    static final class Counts {
        private final Map<String, int[]> counts = new HashMap<>();

        void add(String name) {
            int[] c = counts.get(name);
            if (c == null) {
                counts.put(name, c = new int[1]);
            }
            c[0]++;
        }

        /** The counts, the names (with {@code suffix}) in their natural order. */
        private void into(Map<String, Integer> out, String suffix) {
            counts.forEach((k, c) -> out.merge(suffix.isEmpty() ? k : k + suffix, c[0], Integer::sum));
        }
    }

    public Replay(List<TraceEvent> events, Touch touch) {
        int[] tidNumbers = new int[events.size()];
        this.events = order(events, tidNumbers);
        this.touch = touch;
        this.tidOf = new Tid[tidNumbers.length];
        Tid last = null;
        for (int i = 0; i < tidOf.length; i++) {
            int t = tidNumbers[i];
            // a thread's events mostly follow each other: one look-up per run of them
            tidOf[i] = last = last != null && last.tid == t ? last : tid(t);
        }
        this.root = tid(tidOf.length == 0 ? 0 : tidOf[0].tid);
    }

    /** The state of traced thread {@code t} (made at the first look; under the lock once the replay runs). */
    private Tid tid(int t) {
        Tid s = tids.get(t);
        if (s == null) {
            tids.put(t, s = new Tid(t));
        }
        return s;
    }

    /**
     * Trace order, except that a thread's events never come before the call that created it (strace may
     * finish a new thread's first call before the parent's clone returns).
     */
    static List<TraceEvent> order(List<TraceEvent> in) {
        return order(in, new int[in.size()]);
    }

    /** {@link #order(List)}, writing the tid of each event of the result to {@code tidsOut} (one read of each event). */
    static List<TraceEvent> order(List<TraceEvent> in, int[] tidsOut) {
        int n = in.size();
        // the born threads' tids, sorted, and the index of the call that created each (no boxing per event)
        int[] childAt = new int[n];
        int[] tidAt = new int[n];
        int spawned = 0;
        for (int i = 0; i < n; i++) {
            TraceEvent e = in.get(i);
            tidAt[i] = e.tid();
            if (isSpawn(e)) {
                childAt[spawned++] = i;
            }
        }
        if (spawned == 0) {
            System.arraycopy(tidAt, 0, tidsOut, 0, n);
            return in;
        }
        // (tid, index) packed so that sorting orders by tid, then index: a thread's first creating call counts
        long[] births = new long[spawned];
        for (int j = 0; j < spawned; j++) {
            int child = (int) (long) ((TraceEvent.Call) in.get(childAt[j])).result();
            births[j] = ((long) child << 32) | childAt[j];
        }
        Arrays.sort(births);
        int[] tids = new int[spawned];
        int[] birthAt = new int[spawned];
        int m = 0;
        for (long b : births) {
            int tid = (int) (b >> 32);
            if (m == 0 || tids[m - 1] != tid) {
                tids[m] = tid;
                birthAt[m++] = (int) b;
            }
        }
        List<TraceEvent> out = new ArrayList<>(n);
        Map<Integer, List<TraceEvent>> early = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TraceEvent e = in.get(i);
            int tid = tidAt[i];
            int t = Arrays.binarySearch(tids, 0, m, tid);
            if (t >= 0 && i < birthAt[t]) {
                early.computeIfAbsent(tid, x -> new ArrayList<>()).add(e);
                continue;
            }
            tidsOut[out.size()] = tid;
            out.add(e);
            if (!early.isEmpty() && isSpawn(e)) {
                int child = (int) (long) ((TraceEvent.Call) e).result();
                List<TraceEvent> waiting = early.remove(child);
                if (waiting != null) {
                    Arrays.fill(tidsOut, out.size(), out.size() + waiting.size(), child);
                    out.addAll(waiting);
                }
            }
        }
        early.forEach((tid, waiting) -> {
            Arrays.fill(tidsOut, out.size(), out.size() + waiting.size(), tid);
            out.addAll(waiting);
        });
        return out;
    }

    /** A call that created a process or thread (its result is the new tid). */
    private static boolean isSpawn(TraceEvent e) {
        return e instanceof TraceEvent.Call c && c.succeeded() && c.result() > 0 && SPAWNS.contains(c.name());
    }

    /** The LibOS's kernel heap account, whose refusals name the kernel heap's key as the limit responsible. */
    public void useKernelHeap(KernelHeap h) {
        this.heap = h;
    }

    /** The program that plays the root process; run it as the enclave's first program. */
    public GuestProgram root() {
        return (sys, argv, envp) -> runProcess(sys, root.tid);
    }

    /** The program that plays a child process (argv[1] is its traced pid). */
    public GuestProgram child() {
        return (sys, argv, envp) -> runProcess(sys, Integer.parseInt(argv[1]));
    }

    /** An argument the replay could not read (the trace is malformed at its line), or null. */
    public synchronized TraceFormatException formatError() {
        return formatError;
    }

    /** An unmodifiable copy of per-call counts that iterates by call name, so that reports list them in the same order on every run. */
    private static Map<String, Integer> byName(Counts counts) {
        Map<String, Integer> m = new TreeMap<>();
        counts.into(m, "");
        return Collections.unmodifiableMap(m);
    }

    /** The skipped calls by name, those that failed in the trace as "NAME (failed in the trace)". */
    private Map<String, Integer> skippedByName() {
        Map<String, Integer> m = new TreeMap<>();
        skipped.into(m, "");
        failedInTrace.into(m, " (failed in the trace)");
        return Collections.unmodifiableMap(m);
    }

    /** The result, once the root program has returned. */
    public synchronized Result result() {
        List<ProcessPeak> ps = procs.values().stream()
                .map(p -> new ProcessPeak(p.pid, p.peak, p.peakBrk, p.peakThreads, p.peakKernelHeap)).toList();
        KernelHeap h = heap;
        return new Result(ps, peakMapped, peakThreads, peakProcs, byName(replayed), skippedByName(), failure,
                new KernelHeapUse(Math.max(0, heapAtStart), h.peak(), h.limit(), h.limitKey()));
    }

    private int runProcess(Syscalls sys, int pid) {
        Proc p;
        Tid t;
        synchronized (this) {
            t = tid(pid);
            p = procs.computeIfAbsent(pid, Proc::new);
            Descriptors given = inherited.remove(pid);
            if (given != null) {
                p.fds = given;
            }
            if (heapAtStart < 0) {
                heapAtStart = heap.used();
            }
            if (!t.counted) {
                liveProcs++;
                peakProcs = Math.max(peakProcs, liveProcs);
            }
            register(sys, t, p);
        }
        try {
            loop(sys, t);
            return 0;
        } finally {
            synchronized (this) {
                processEnded(p);
            }
        }
    }

    private void register(Syscalls sys, Tid t, Proc p) {
        t.proc = p;
        t.thread = sys;
        t.expected = false;
        if (t.counted) {
            t.counted = false;
        } else {
            countThread(p);
        }
        wake();
    }

    private void countThread(Proc p) {
        p.threads++;
        p.peakThreads = Math.max(p.peakThreads, p.threads);
        liveThreads++;
        peakThreads = Math.max(peakThreads, liveThreads);
    }

    /**
     * Counts a thread or process the trace's clone or fork just created, before the clone's event is
     * done, so that the peaks follow the trace's order and not how soon the new guest thread starts.
     * Unless it has already started and counted itself.
     */
    private synchronized void countCreated(int child, Proc parent, boolean thread) {
        Tid t = tid(child);
        if (t.thread != null || t.finished) {
            return;
        }
        Proc p = parent;
        if (!thread) {
            p = procs.computeIfAbsent(child, Proc::new);
            liveProcs++;
            peakProcs = Math.max(peakProcs, liveProcs);
        }
        countThread(p);
        t.counted = true;
    }

    private void loop(Syscalls sys, Tid tid) {
        while (true) {
            TraceEvent e = await(tid);
            if (e == null) {
                synchronized (this) {
                    if (!tid.finished) {
                        threadEnded(tid);
                    }
                    wake();
                }
                return;
            }
            boolean ends;
            long refused = heap.refusals();
            try {
                ends = execute(sys, tid, e);
            } catch (ErrnoException x) {
                fail(e, x.errno().name(), heap.refusals() > refused);
                ends = true;
            } catch (TraceFormatException x) {
                synchronized (this) {
                    if (formatError == null) {
                        formatError = x;
                    }
                }
                ends = true;
            }
            synchronized (this) {
                next++;
                if (ends) {
                    threadEnded(tid);
                    if (tid.tid == tid.proc.pid) {
                        // counted as over before the next event: the trace's next fork may come at once
                        processEnded(tid.proc);
                    }
                }
                wake();
            }
            if (ends) {
                return;
            }
        }
    }

    /** The process is over (its other threads end when they see it dead). */
    private void processEnded(Proc p) {
        if (!p.dead) {
            p.dead = true;
            liveProcs--;
        }
        wake();
    }

    private void threadEnded(Tid tid) {
        Proc p = tid.proc;
        tid.finished = true;
        tid.thread = null;
        if (p != null) {
            p.threads--;
        }
        liveThreads--;
    }

    /** Waits for the next event this thread plays; null when the replay or this thread's process is over. */
    private TraceEvent await(Tid tid) {
        while (true) {
            synchronized (this) {
                unparked(tid);
                if (over()) {
                    return null;
                }
                if (ownProcessDead(tid)) {
                    return null;
                }
                if (skipToOwned() == tid) {
                    return events.get(next);
                }
                tid.parked = Thread.currentThread();
                parked.add(tid);
            }
            LockSupport.park(this);
            if (Thread.currentThread().isInterrupted()) {
                synchronized (this) {
                    unparked(tid);
                }
                return null;
            }
        }
    }

    /** {@code tid} is no longer parked (lock held). */
    private void unparked(Tid tid) {
        if (tid.parked != null) {
            tid.parked = null;
            parked.remove(tid);
        }
    }

    private boolean over() {
        return failure != null || formatError != null || next >= events.size();
    }

    private boolean ownProcessDead(Tid tid) {
        Proc mine = tid.proc;
        return mine != null && mine.dead && !tid.finished;
    }

    /**
     * Skips the events no thread plays; the thread that plays the next event ({@link Tid#CREATING}
     * while its thread is still being created), or null when the replay is over.
     */
    private Tid skipToOwned() {
        while (!over()) {
            Tid owner = owner(tidOf[next]);
            if (owner != null) {
                return owner;
            }
            next++;
        }
        return null;
    }

    /**
     * After a change of the sequencer's state (lock held): unparks the threads that can go on, the
     * one that plays the next event and those whose process is over (all of them when the replay is).
     */
    private void wake() {
        if (parked.isEmpty()) {
            return;
        }
        Tid owner = skipToOwned();
        boolean all = over();
        for (Tid t : parked) {
            if (all || t == owner || ownProcessDead(t)) {
                LockSupport.unpark(t.parked);
            }
        }
    }

    /**
     * The thread that plays an event of traced thread {@code t}: its own, the root for threads never
     * seen created, {@link Tid#CREATING} while its creation is being replayed, null to skip it.
     */
    private Tid owner(Tid t) {
        if (t.finished) {
            return null;
        }
        if (t.thread != null) {
            return t;
        }
        if (t.expected) {
            return Tid.CREATING;
        }
        return root.thread != null ? root : null;
    }

    private synchronized void fail(TraceEvent e, String errno, boolean kernelHeap) {
        if (failure == null && e instanceof TraceEvent.Call c) {
            failure = new Failure(c.line(), c.tid(), c.name() + "(" + String.join(", ", c.args()) + ") = "
                    + (c.result() == null ? "?" : c.name().equals("brk") || c.name().startsWith("mmap")
                    || c.name().equals("mremap") || c.name().equals("shmat") ? "0x" + Long.toHexString(c.result()) : c.result()),
                    errno, kernelHeap ? heap.limitKey() + ": the kernel heap cannot hold the objects this call creates"
                            + " (" + Sizes.human(heap.used()) + " of " + Sizes.human(heap.limit()) + " in use)" : limit(c.name(), errno));
        }
        wake();
    }

    static String limit(String call, String errno) {
        return switch (call) {
            case "brk" -> "process.default_heap_size (the heap brk may grow into)";
            case "clone", "clone3", "fork", "vfork" -> errno.equals("EAGAIN")
                    ? "resource_limits.max_num_of_threads (one TCS per thread)"
                    : "resource_limits.user_space_size / user_space_max_size (a new process's image, heap and stack)";
            default -> "resource_limits.user_space_size / user_space_max_size (the user space mappings are placed in)";
        };
    }

    /** Plays {@code e} on {@code sys}; true when it ends the calling thread. */
    private boolean execute(Syscalls sys, Tid t, TraceEvent e) {
        int tid = t.tid;
        Proc p;
        synchronized (this) {
            p = t.proc;
        }
        switch (e) {
            case TraceEvent.Exited x -> {
                return x.tid() == tid && p.pid == tid;
            }
            case TraceEvent.Killed k -> {
                return k.tid() == tid && p.pid == tid;
            }
            case TraceEvent.Call c -> {
                if (c.tid() != tid) {
                    // a thread whose creation the trace does not show: played by the root, in the root process
                    skipped.add(c.name() + " (thread " + c.tid() + " not seen created)");
                }
                return call(sys, p, c);
            }
        }
    }

    private boolean call(Syscalls sys, Proc p, TraceEvent.Call c) {
        String name = c.name();
        if (name.equals("exit_group") || name.equals("exit")) {
            replayed.add(name);
            return c.tid() == p.pid || name.equals("exit");
        }
        if (!c.succeeded()) {
            failedInTrace.add(name);
            return false;
        }
        if (p.fds.replay(sys, c, skipped)) {
            replayed.add(name);
            kernelObjects(p);
            return false;
        }
        switch (name) {
            case "mmap", "mmap2" -> mmap(sys, p, c);
            case "munmap" -> unmap(sys, p, c.number(0), c.number(1));
            case "mremap" -> mremap(sys, p, c);
            case "mprotect" -> forEachPiece(p, c.number(0), c.number(1), (at, len, s) ->
                    sys.mprotect(at, len, Syntax.flags(c.arg(2), PROT, c.line(), "prot")));
            case "madvise" -> forEachPiece(p, c.number(0), c.number(1), (at, len, s) ->
                    sys.madvise(at, len, (int) adviceOf(c)));
            case "msync" -> forEachPiece(p, c.number(0), c.number(1), (at, len, s) -> sys.msync(at, len, Mman.MS_SYNC));
            case "brk" -> brk(sys, p, c);
            case "shmget" -> {
                synchronized (this) {
                    shmSizes.put(c.result(), c.number(1));
                }
            }
            case "shmat" -> shmat(sys, p, c);
            case "shmdt" -> unmapSegmentAt(sys, p, c.number(0));
            case "clone", "clone3", "fork", "vfork" -> spawn(sys, p, c);
            case "execve", "execveat" -> exec(sys, p);
            case "wait4", "waitpid" -> reap(sys, (int) (long) c.result());
            default -> {
                skipped.add(name);
                return false;
            }
        }
        replayed.add(name);
        kernelObjects(p);
        return false;
    }

    /** The kernel heap {@code p}'s own objects imply now; keeps its peak. */
    private void kernelObjects(Proc p) {
        long files = p.fds.bytes();
        synchronized (this) {
            long b = KernelHeap.Kind.PROCESS.bytes() + p.threads * KernelHeap.Kind.THREAD.bytes()
                    + p.segs.size() * KernelHeap.Kind.VMA.bytes() + files;
            p.peakKernelHeap = Math.max(p.peakKernelHeap, b);
        }
    }

    private static long adviceOf(TraceEvent.Call c) {
        String a = c.arg(2);
        return switch (a) {
            case "MADV_DONTNEED" -> Mman.MADV_DONTNEED;
            case "MADV_WILLNEED" -> Mman.MADV_WILLNEED;
            case "MADV_SEQUENTIAL" -> Mman.MADV_SEQUENTIAL;
            case "MADV_RANDOM" -> Mman.MADV_RANDOM;
            default -> a.chars().allMatch(Character::isDigit) ? Long.parseLong(a) : Mman.MADV_NORMAL;
        };
    }

    private void mmap(Syscalls sys, Proc p, TraceEvent.Call c) {
        long addr = c.number(0);
        long len = c.number(1);
        int prot = Syntax.flags(c.arg(2), PROT, c.line(), "prot");
        int flags = Syntax.flags(c.arg(3), MAP, c.line(), "flags");
        boolean shared = (flags & Mman.MAP_TYPE) != Mman.MAP_PRIVATE;
        int ours = (shared ? Mman.MAP_SHARED : Mman.MAP_PRIVATE) | Mman.MAP_ANONYMOUS
                | (flags & (Mman.MAP_NORESERVE | Mman.MAP_STACK));
        long at = 0;
        if ((flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0) {
            Long translated = translate(p, addr);
            if (translated != null) {
                at = translated;
                ours |= Mman.MAP_FIXED;
            }
        }
        long got = sys.mmap(at, len, prot, ours, -1, 0);
        record(p, c.result(), len, got, prot, shared);
        touch(sys, got, len, prot);
    }

    private void mremap(Syscalls sys, Proc p, TraceEvent.Call c) {
        long old = c.number(0);
        long oldSize = c.number(1);
        long newSize = c.number(2);
        int flags = Syntax.flags(c.arg(3), MREMAP, c.line(), "flags");
        Seg s = segAt(p, old);
        if (s == null) {
            skipped.add("mremap (of memory mapped before the trace)");
            return;
        }
        long ourOld = s.enclave + (old - s.start);
        long got = sys.mremap(ourOld, oldSize, newSize, flags & (Mman.MREMAP_MAYMOVE | Mman.MREMAP_DONTUNMAP), 0);
        if ((flags & Mman.MREMAP_DONTUNMAP) == 0) {
            forget(p, old, oldSize);
        }
        record(p, c.result(), newSize, got, s.prot, s.shared);
        if (newSize > oldSize) {
            touch(sys, got + pageUp(oldSize), newSize - pageUp(oldSize), s.prot);
        }
    }

    private void brk(Syscalls sys, Proc p, TraceEvent.Call c) {
        long want = c.number(0);
        long result = c.result();
        if (p.brkBaseTrace < 0) {
            p.brkBaseTrace = result;
            p.brkBaseEnclave = sys.brk(0);
            p.brkTrace = p.brkBaseTrace;
        }
        if (want == 0) {
            return;
        }
        long grow = result - p.brkBaseTrace;
        long target = p.brkBaseEnclave + grow;
        long got = sys.brk(target);
        if (result == want && got != target) {
            throw new ErrnoException(io.jocclum.api.Errno.ENOMEM, "brk");
        }
        long before = p.brkTrace;
        p.brkTrace = result;
        synchronized (this) {
            p.peakBrk = Math.max(p.peakBrk, result - p.brkBaseTrace);
        }
        if (result > before) {
            long from = pageUp(p.brkBaseEnclave + (before - p.brkBaseTrace));
            touch(sys, from, pageUp(target) - from, Mman.PROT_READ | Mman.PROT_WRITE);
        }
    }

    private void shmat(Syscalls sys, Proc p, TraceEvent.Call c) {
        Long size;
        synchronized (this) {
            size = shmSizes.get(c.number(0));
        }
        if (size == null) {
            skipped.add("shmat (of a segment made before the trace)");
            return;
        }
        long got = sys.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED | Mman.MAP_ANONYMOUS, -1, 0);
        record(p, c.result(), size, got, Mman.PROT_READ | Mman.PROT_WRITE, true);
        touch(sys, got, size, Mman.PROT_READ | Mman.PROT_WRITE);
    }

    private void unmapSegmentAt(Syscalls sys, Proc p, long addr) {
        Seg s = p.segs.get(addr);
        if (s != null) {
            unmap(sys, p, s.start, s.end - s.start);
        }
    }

    private void spawn(Syscalls sys, Proc p, TraceEvent.Call c) {
        int child = (int) (long) c.result();
        boolean thread = c.args().stream().anyMatch(a -> a.contains("CLONE_THREAD"));
        Tid created;
        synchronized (this) {
            created = tid(child);
            if (created.thread != null || created.expected || created.counted) {
                // Linux gives a new task a pid no live task has (alloc_pid, kernel/pid.c): the trace
                // is not one run's (a line repeated or moved), and a second player would share the
                // sequencer's state of the first
                throw new TraceFormatException(c.line(), c.name() + " returns " + child + ", the tid of a thread"
                        + " of the trace that is still alive");
            }
            created.expected = true;
        }
        try {
            if (thread) {
                sys.threadCreate(t -> {
                    synchronized (this) {
                        register(t, created, p);
                    }
                    loop(t, created);
                    return 0;
                });
            } else {
                synchronized (this) {
                    inherited.put(child, p.fds.forChild());
                }
                int pid = sys.posixSpawn("/bin/" + CHILD_PROGRAM, List.of(), new String[] {CHILD_PROGRAM,
                    Integer.toString(child)}, new String[0]);
                synchronized (this) {
                    guestPid.put(child, pid);
                }
            }
            countCreated(child, p, thread);
        } catch (ErrnoException x) {
            synchronized (this) {
                created.expected = false;
                inherited.remove(child);
            }
            throw x;
        }
    }

    /** The trace reaped child {@code tracePid}: so does the enclave, so its memory is free before the next call. */
    private void reap(Syscalls sys, int tracePid) {
        Integer pid;
        synchronized (this) {
            pid = guestPid.remove(tracePid);
        }
        if (pid != null) {
            try {
                sys.wait4(pid, 0, 0);
            } catch (ErrnoException e) {
                // reaped already (by another thread of the parent): its memory is free either way
                skipped.add("wait4 (" + e.errno() + ")");
            }
        }
    }

    private void exec(Syscalls sys, Proc p) {
        p.fds.exec(sys);
        for (Seg s : List.copyOf(p.segs.values())) {
            unmap(sys, p, s.start, s.end - s.start);
        }
        p.brkBaseTrace = -1;
    }

    // ------------------------------------------------------------------ the address map

    private void record(Proc p, long traceAddr, long len, long enclave, int prot, boolean shared) {
        long end = traceAddr + pageUp(len);
        forget(p, traceAddr, len);
        p.segs.put(traceAddr, new Seg(traceAddr, end, enclave, prot, shared));
        account(p, end - traceAddr);
    }

    private void unmap(Syscalls sys, Proc p, long addr, long len) {
        forEachPiece(p, addr, len, (at, l, s) -> sys.munmap(at, l));
        forget(p, addr, len);
    }

    /** Removes [addr, addr+len) from the map, splitting the mappings it cuts. */
    private void forget(Proc p, long addr, long len) {
        long end = addr + pageUp(len);
        long removed = 0;
        for (Seg s : overlapping(p, addr, end)) {
            p.segs.remove(s.start);
            long from = Math.max(s.start, addr);
            long to = Math.min(s.end, end);
            removed += to - from;
            if (s.start < from) {
                p.segs.put(s.start, new Seg(s.start, from, s.enclave, s.prot, s.shared));
            }
            if (to < s.end) {
                p.segs.put(to, new Seg(to, s.end, s.enclave + (to - s.start), s.prot, s.shared));
            }
        }
        account(p, -removed);
    }

    private synchronized void account(Proc p, long delta) {
        p.mapped += delta;
        p.peak = Math.max(p.peak, p.mapped);
        liveMapped += delta;
        peakMapped = Math.max(peakMapped, liveMapped);
    }

    private static List<Seg> overlapping(Proc p, long from, long to) {
        List<Seg> out = new ArrayList<>();
        Map.Entry<Long, Seg> before = p.segs.lowerEntry(from);
        if (before != null && before.getValue().end > from) {
            out.add(before.getValue());
        }
        out.addAll(p.segs.subMap(from, true, to, false).values());
        return out;
    }

    private static Seg segAt(Proc p, long addr) {
        Map.Entry<Long, Seg> e = p.segs.floorEntry(addr);
        return e != null && e.getValue().end > addr ? e.getValue() : null;
    }

    private static Long translate(Proc p, long addr) {
        Seg s = segAt(p, addr);
        return s == null ? null : s.enclave + (addr - s.start);
    }

    @FunctionalInterface
    private interface Piece {
        void apply(long enclaveAddr, long length, Seg seg);
    }

    private static void forEachPiece(Proc p, long addr, long len, Piece f) {
        long end = addr + pageUp(len);
        for (Seg s : overlapping(p, addr, end)) {
            long from = Math.max(s.start, addr);
            long to = Math.min(s.end, end);
            f.apply(s.enclave + (from - s.start), to - from, s);
        }
    }

    private void touch(Syscalls sys, long at, long len, int prot) {
        if (touch.fraction() == 0 || (prot & (Mman.PROT_READ | Mman.PROT_WRITE)) == 0) {
            return;
        }
        long pages = pageUp(len) / PAGE;
        long n = (long) Math.ceil(pages * touch.fraction());
        for (long i = 0; i < n; i++) {
            if ((prot & Mman.PROT_WRITE) != 0) {
                sys.storeByte(at + i * PAGE, (byte) 1);
            } else {
                sys.loadByte(at + i * PAGE);
            }
        }
    }

    private static long pageUp(long n) {
        return (n + PAGE - 1) & -PAGE;
    }
}
