package io.jocclum.libos.kheap;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.jocclum.api.Errno;

import java.util.EnumMap;
import java.util.Map;

/**
 * The LibOS's kernel heap: Occlum's own heap, the SGX SDK heap of HeapInitSize/HeapMaxSize in
 * Enclave.xml (resolved from {@code kernel_space_heap_size} and {@code kernel_space_heap_max_size}),
 * which holds the LibOS's kernel objects. This LibOS keeps its objects on the Java heap, so the
 * account is an estimate: each kernel object {@link #charge charges} the documented size of its
 * {@link Kind} when it is created and {@link #credit credits} it when it is freed (docs/config.md,
 * "Kernel heap"). A charge that would exceed the {@link #limit} fails with ENOMEM and changes
 * nothing, so the system call that creates the object fails with Linux's errno.
 *
 * <p>EDMM: the heap starts committed at its Init (the pages the loader added); when the use grows
 * beyond what is committed, the {@link Grower} commits the pages up to the new use (EAUG/EACCEPT
 * in the enclave's dynamic kernel-heap region), a page at a time, as the SDK's heap grows by whole
 * pages. Committed pages are kept (a high-water mark).
 *
 * <p>Thread-safety: every method is safe to call from any thread (one lock).
 */
public final class KernelHeap {
    private static final long KIB = 1024;
    private static final long PAGE = 4096;

    /** A kind of kernel object and the bytes the account charges for one (estimates; docs/config.md). */
    public enum Kind {
        /** The LibOS's own state after boot: config, mount table, root inodes, /dev, the scheduler. */
        LIBOS(64 * KIB),
        /** One byte of a mount's declared {@code cache_size} (a file system cache lives in the kernel heap). */
        FS_CACHE(1),
        /** A process: its table entry, signal dispositions, file table, fs view, rlimits, VM bookkeeping root. */
        PROCESS(8 * KIB),
        /** A thread: its table entry, signal queues and mask, saved context, scheduler state, futex waiter. */
        THREAD(4 * KIB),
        /** An open file description and its file-table entry. */
        OPEN_FILE(512),
        /** A pipe's ring buffer (Occlum's PIPE_BUF_SIZE, 1 MiB, allocated when the pipe is made). */
        PIPE_BUFFER(1024 * KIB),
        /** A socket's own state (address, options, queues' bookkeeping; a host socket's data stays on the host). */
        SOCKET(KIB),
        /** An AF_UNIX socket's receive channel (Occlum's DEFAULT_BUF_SIZE, 208 KiB). */
        UNIX_SOCKET_BUFFER(208 * KIB),
        /** An epoll instance: interest map, ready list, waiters. */
        EPOLL(KIB),
        /** One epoll registration (epoll_ctl ADD). */
        EPOLL_ITEM(256),
        /** One VMA of a process (range, permissions, backing file, chunk bookkeeping). */
        VMA(256);

        private final long bytes;

        Kind(long bytes) {
            this.bytes = bytes;
        }

        /** The bytes one object of this kind is charged. */
        public long bytes() {
            return bytes;
        }
    }

    /** Commits the kernel heap's bytes [from, to) (offsets from its start, page aligned, from >= Init). */
    @FunctionalInterface
    public interface Grower {
        /** Commits the pages; ENOMEM ({@link io.jocclum.api.ErrnoException}) when the platform has no EPC for them. */
        void commit(long from, long to);
    }

    /** The account at one moment. */
    public record Snapshot(long init, long limit, long used, long peak, long committed, long refusals,
                           Map<Kind, Long> live, Map<Kind, Long> liveAtPeak, String limitKey) {
        public Snapshot {
            live = Map.copyOf(live);
            liveAtPeak = Map.copyOf(liveAtPeak);
        }
    }

    private final long init;
    private final long limit;
    private final String limitKey;
    private final Grower grower;
    @GuardedBy("this")
    private long used;
    @GuardedBy("this")
    private long peak;
    @GuardedBy("this")
    private long committed;
    @GuardedBy("this")
    private long refusals;
    private static final Kind[] KINDS = Kind.values();
    /** Objects charged now, by {@link Kind#ordinal()} (no boxing on the system calls' path). */
    @GuardedBy("this")
    private final long[] live = new long[KINDS.length];
    /** {@link #live} when {@link #peak} was reached. */
    @GuardedBy("this")
    private long[] liveAtPeak = new long[KINDS.length];

    /**
     * A heap of {@code limit} bytes of which {@code init} are committed at start ({@code grower}
     * commits more, or null when Init equals the limit); {@code limitKey} names the Occlum.json key
     * that sets the limit, for messages.
     */
    public KernelHeap(long init, long limit, String limitKey, Grower grower) {
        if (init < 0 || limit < init) {
            throw new IllegalArgumentException("kernel heap Init " + init + " outside 0.." + limit);
        }
        this.init = init;
        this.limit = limit;
        this.limitKey = limitKey;
        this.grower = grower;
        this.committed = init;
    }

    /** An account without a limit (the LibOS's parts used alone, as in unit tests). */
    public static KernelHeap unlimited() {
        return new KernelHeap(Long.MAX_VALUE, Long.MAX_VALUE, "none", null);
    }

    public long limit() {
        return limit;
    }

    public long init() {
        return init;
    }

    /** The Occlum.json key that sets the limit (with the build it applies to). */
    public String limitKey() {
        return limitKey;
    }

    /** Charges one object of {@code kind}. */
    public void charge(Kind kind) {
        charge(kind, 1);
    }

    /** Charges {@code n} objects of {@code kind}; ENOMEM, changing nothing, when they do not fit under the limit. */
    public synchronized void charge(Kind kind, long n) {
        if (n < 0) {
            throw new IllegalArgumentException("charge of " + n + " " + kind);
        }
        long bytes = Math.multiplyExact(n, kind.bytes);
        reserve(bytes, n + " " + kind);
        add(kind, n, bytes);
    }

    /** Charges one object of each of {@code kinds} (a kind may repeat), all or none; ENOMEM as {@link #charge(Kind, long)}. */
    public synchronized void charge(java.util.List<Kind> kinds) {
        long bytes = 0;
        for (Kind k : kinds) {
            bytes = Math.addExact(bytes, k.bytes);
        }
        reserve(bytes, kinds.toString());
        for (Kind k : kinds) {
            add(k, 1, k.bytes);
        }
    }

    /** Credits one object of each of {@code kinds}, charged before with {@link #charge(java.util.List)}. */
    public synchronized void credit(java.util.List<Kind> kinds) {
        for (Kind k : kinds) {
            credit(k, 1);
        }
    }

    /** Credits {@code n} objects of {@code kind} charged before. */
    public synchronized void credit(Kind kind, long n) {
        long have = live[kind.ordinal()];
        if (n < 0 || n > have) {
            throw new IllegalStateException("credit of " + n + " " + kind + " with " + have + " charged");
        }
        add(kind, -n, -n * kind.bytes);
    }

    /** Credits one object of {@code kind}. */
    public void credit(Kind kind) {
        credit(kind, 1);
    }

    /**
     * Charges or credits {@code delta} objects of {@code kind} without the limit check: for
     * bookkeeping whose growth is found only after the operation that made it (a VMA split), which
     * reserved room before it ran.
     */
    public synchronized void settle(Kind kind, long delta) {
        if (delta < 0) {
            credit(kind, -delta);
            return;
        }
        long bytes = Math.multiplyExact(delta, kind.bytes);
        try {
            grow(used + bytes);
        } catch (RuntimeException e) {
            // no EPC for the page: the objects exist already; they stay charged and the next growth retries
        }
        add(kind, delta, bytes);
    }

    /** Makes room for {@code bytes} more (committing pages with EDMM); ENOMEM, counted, when they pass the limit. */
    @GuardedBy("this")
    private void reserve(long bytes, String what) {
        if (bytes > limit - used) {
            refusals++;
            throw Errno.ENOMEM.exception("kernel heap exhausted: " + what + " (" + bytes + " bytes) over " + used + " of "
                    + limit + " bytes in use (" + limitKey + ")");
        }
        grow(used + bytes);
    }

    @GuardedBy("this")
    private void grow(long need) {
        if (need <= committed || grower == null) {
            return;
        }
        long to = Math.min(limit, (need + PAGE - 1) / PAGE * PAGE);
        grower.commit(committed, to);
        committed = to;
    }

    @GuardedBy("this")
    private void add(Kind kind, long n, long bytes) {
        live[kind.ordinal()] += n;
        used += bytes;
        if (used > peak) {
            peak = used;
            System.arraycopy(live, 0, liveAtPeak, 0, live.length);
        }
    }

    /** Bytes charged now. */
    public synchronized long used() {
        return used;
    }

    /** The most bytes charged at once. */
    public synchronized long peak() {
        return peak;
    }

    /** Charges refused so far (ENOMEM). */
    public synchronized long refusals() {
        return refusals;
    }

    /** Objects of {@code kind} charged now. */
    public synchronized long live(Kind kind) {
        return live[kind.ordinal()];
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(init, limit, used, peak, committed, refusals, map(live), map(liveAtPeak), limitKey);
    }

    /** The kinds with objects in {@code counts}, as the snapshot gives them. */
    private static Map<Kind, Long> map(long[] counts) {
        EnumMap<Kind, Long> m = new EnumMap<>(Kind.class);
        for (Kind k : KINDS) {
            if (counts[k.ordinal()] != 0) {
                m.put(k, counts[k.ordinal()]);
            }
        }
        return m;
    }
}
