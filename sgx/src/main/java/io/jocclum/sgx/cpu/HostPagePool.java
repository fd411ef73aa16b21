package io.jocclum.sgx.cpu;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.jocclum.sgx.arch.Pages;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Host memory for 4 KiB pages of the simulated platform (the contents of EPC frames, the pages of
 * the enclaves' backing store), outside the Java heap: slabs of a temporary file mapped with
 * {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}, cut into 4 KiB chunks and
 * recycled through a free stack. This is how Linux backs an enclave too: its evicted pages live in
 * a shmem file ({@code arch/x86/kernel/cpu/sgx/encl.c}, {@code sgx_encl_get_backing}).
 *
 * <p>Design. The file is created in {@code java.io.tmpdir} and unlinked at once, so nothing is
 * left on disk whatever way the JVM ends; its pages are the kernel's page cache, which it may
 * write back to disk, never the Java heap, so the heap holds only the page metadata. Slabs start at
 * 1 MiB and grow, each a quarter of the file so far in whole 4 KiB pages, up to 64 MiB (few
 * mappings even for a 64 GB EPC), so every page lies on host pages of its own. Each slab's file space is
 * written with zeros before it is mapped, so a full disk is an {@link HostMemoryExhausted} at that
 * moment rather than a SIGBUS on a later store. A pool never shrinks: it holds at most its peak use.
 * A free page remembers which of its 64-byte lines may hold non-zero bytes (its dirty lines, a
 * {@code long} with bit {@code i} for bytes {@code [64i, 64i + 64)}): a page given back with
 * {@link #giveHandle(long, long)} by a user that kept count of what it wrote is zero-filled at its
 * next {@link #takeHandle takeHandle(true)} in those lines only; one given back with
 * {@link #giveHandle(long)} is zero-filled whole.
 * A page is named by a {@code long} handle, {@code (slab number + 1) << 32 | offset in the slab}
 * (0 names no page), so the EPC keeps its frames' host pages in a primitive array: pages that lie
 * one after the other in one slab have handles 4096 apart, and the access path finds a stretch of
 * them by comparing numbers, with no object per page to load.
 * The mapping goes away with {@link #close} or, for a pool that is never closed, when it becomes
 * unreachable.
 *
 * <p>Thread-safe.
 */
public final class HostPagePool implements AutoCloseable {
    static final long MIN_SLAB = 1L << 20;
    static final long MAX_SLAB = 64L << 20;
    /** The bits of a page's number in its slab in a {@link #compact} handle (a slab has at most 2^14 pages). */
    static final int PAGE_BITS = 14;
    /** The most slabs a pool maps: their numbers fit a {@link #compact} handle. */
    static final int MAX_SLABS = (1 << Integer.SIZE - 1 - PAGE_BITS) - 1;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect((int) MIN_SLAB).asReadOnlyBuffer();

    /** The handle that names no page. */
    public static final long NONE = 0;
    /** The bytes of a page that one bit of a dirty-lines mask stands for. */
    public static final int LINE = 64;
    /** The dirty-lines mask of a page every byte of which may be non-zero. */
    public static final long ALL_LINES = -1L;

    /**
     * One 4 KiB page of the pool: {@code handle} names it (see {@link #slab(long)}), {@code segment}
     * is the page itself, {@code slab} the mapping it was cut from and {@code offset} where in it
     * the page starts. Pages cut one after the other from one slab are adjacent there, so a copy
     * over several of them can be one copy into the slab.
     */
    public record Page(long handle, MemorySegment slab, long offset, MemorySegment segment) {
    }

    /** Host memory could not be had: the file could not be created or grown (disk or tmpfs full). */
    public static final class HostMemoryExhausted extends RuntimeException {
        HostMemoryExhausted(String message) {
            super(message, null, false, false);
        }
    }

    /** The file and its mappings; what the cleaner closes (must not refer to the pool). */
    private static final class Backing implements Runnable {
        final Arena arena = Arena.ofShared();
        FileChannel channel;

        @Override
        public void run() {
            try {
                arena.close();
            } catch (IllegalStateException ignored) {
                // already closed
            }
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // an unlinked temporary file: nothing to lose
            }
        }
    }

    private final String purpose;
    private final Backing backing = new Backing();
    private final Cleaner.Cleanable cleanable;
    /** The mapped slabs by number; replaced by a longer copy when a slab is added. */
    private volatile MemorySegment[] slabs = new MemorySegment[0];
    /** The free pages' handles, a stack: the last freed is taken first. */
    @GuardedBy("this")
    private long[] free = new long[256];
    /** The dirty lines of the free page at the same index of {@link #free}. */
    @GuardedBy("this")
    private long[] freeDirty = new long[256];
    @GuardedBy("this")
    private int freeCount;
    @GuardedBy("this")
    private long fileBytes;
    @GuardedBy("this")
    private long inUse;
    @GuardedBy("this")
    private boolean closed;

    /** A pool whose file is named after {@code purpose} (letters only, e.g. "epc" or "backing"). */
    public HostPagePool(String purpose) {
        this.purpose = purpose;
        this.cleanable = CLEANER.register(this, backing);
    }

    /** A page; zero-filled when {@code zeroed}, else with arbitrary contents. */
    public Page take(boolean zeroed) {
        long h = takeHandle(zeroed);
        MemorySegment slab = slab(h);
        return new Page(h, slab, offset(h), slab.asSlice(offset(h), Pages.SIZE));
    }

    /** Returns a page taken from this pool. */
    public void give(Page s) {
        giveHandle(s.handle());
    }

    /** A page's handle; zero-filled when {@code zeroed}, else with arbitrary contents. */
    public long takeHandle(boolean zeroed) {
        long h;
        long dirty;
        synchronized (this) {
            if (freeCount == 0) {
                grow();
            }
            h = free[--freeCount];
            dirty = freeDirty[freeCount];
            inUse++;
        }
        if (zeroed && dirty != 0) {
            zeroLines(slab(h), offset(h), dirty, 0, Pages.SIZE);
        }
        return h;
    }

    /** Returns the page {@code handle} (from {@link #takeHandle}) to this pool; any of its bytes may be non-zero. */
    public void giveHandle(long handle) {
        giveHandle(handle, ALL_LINES);
    }

    /**
     * Returns the page {@code handle} (from {@link #takeHandle}) to this pool, whose bytes outside
     * the lines {@code dirty} (see {@link #lines}) are all zero.
     */
    public synchronized void giveHandle(long handle, long dirty) {
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
            freeDirty = Arrays.copyOf(freeDirty, free.length);
        }
        freeDirty[freeCount] = dirty;
        free[freeCount++] = handle;
        inUse--;
    }

    /** The dirty-lines mask of the lines that bytes {@code [from, from + n)} of a page touch ({@code n > 0}). */
    public static long lines(int from, int n) {
        int first = from / LINE;
        int width = (from + n - 1) / LINE - first + 1;
        return width == Long.SIZE ? ALL_LINES : ((1L << width) - 1) << first;
    }

    /**
     * Zeroes the bytes {@code [from, to)} of the page at {@code pageOffset} of {@code slab} that lie in
     * the lines {@code dirty}: the same contents as zeroing all of them when the bytes outside those
     * lines are zero already.
     */
    public static void zeroLines(MemorySegment slab, long pageOffset, long dirty, int from, int to) {
        long m = dirty;
        while (m != 0) {
            int b = Long.numberOfTrailingZeros(m);
            int run = Long.numberOfTrailingZeros(~(m >>> b)); // 64 when every bit from b on is set
            int lo = Math.max(from, b * LINE);
            int hi = Math.min(to, (b + run) * LINE);
            if (lo < hi) {
                slab.asSlice(pageOffset + lo, hi - lo).fill((byte) 0);
            }
            m = b + run >= Long.SIZE ? 0 : m & (-1L << (b + run));
        }
    }

    /** The mapped slab that holds the page {@code handle}; the page starts at {@link #offset}. */
    public MemorySegment slab(long handle) {
        return slabs[(int) (handle >>> 32) - 1];
    }

    /** Where in its {@link #slab} the page {@code handle} starts. */
    public static long offset(long handle) {
        return handle & 0xFFFF_FFFFL;
    }

    /**
     * Handle {@code handle} in 32 bits: {@code (slab number + 1) << }{@value #PAGE_BITS}{@code | page
     * number in the slab}; {@link #NONE} stays 0. What the EPC keeps per frame, so that sixteen
     * frames' host pages fill one cache line instead of two. Pages one after the other in one slab
     * have compact handles 1 apart.
     */
    static int compact(long handle) {
        return (int) ((handle >>> 32) << PAGE_BITS | offset(handle) >>> Pages.SHIFT);
    }

    /** The handle that {@link #compact} made {@code compact} from. */
    static long expand(int compact) {
        return (long) (compact >>> PAGE_BITS) << 32 | (long) (compact & (1 << PAGE_BITS) - 1) << Pages.SHIFT;
    }

    /** The page {@code handle} as a segment of its own. */
    public MemorySegment segment(long handle) {
        return slab(handle).asSlice(offset(handle), Pages.SIZE);
    }

    @GuardedBy("this")
    private void grow() {
        if (closed) {
            throw new IllegalStateException("the " + purpose + " page pool is closed");
        }
        // whole pages: every slab, and so every page, starts at a multiple of 4096 in the file (host pages)
        long slab = Math.clamp(fileBytes / 4, MIN_SLAB, MAX_SLAB) & -Pages.SIZE;
        if (slabs.length >= MAX_SLABS) {
            throw new HostMemoryExhausted("the " + purpose + " page pool has mapped its " + MAX_SLABS + " slabs ("
                    + (fileBytes >> 20) + "MB)");
        }
        try {
            if (backing.channel == null) {
                backing.channel = openUnlinked();
            }
            FileChannel ch = backing.channel;
            for (long at = fileBytes; at < fileBytes + slab; ) {
                ByteBuffer z = ZEROS.duplicate();
                at += ch.write(z, at);
            }
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, fileBytes, slab, backing.arena);
            fileBytes += slab;
            MemorySegment[] more = Arrays.copyOf(slabs, slabs.length + 1);
            more[slabs.length] = m;
            slabs = more;
            long number = (long) more.length << 32;
            int n = (int) (slab / Pages.SIZE);
            if (free.length < freeCount + n) {
                free = Arrays.copyOf(free, Math.max(free.length * 2, freeCount + n));
                freeDirty = Arrays.copyOf(freeDirty, free.length);
            }
            for (long off = slab - Pages.SIZE; off >= 0; off -= Pages.SIZE) {
                freeDirty[freeCount] = 0; // fresh file space is zero
                free[freeCount++] = number | off; // the lowest offset on top: handed out in address order
            }
        } catch (IOException e) {
            throw new HostMemoryExhausted("cannot get " + (slab >> 20) + "MB more host memory for " + purpose + " pages in "
                    + dir() + " (" + e.getMessage() + ")");
        }
    }

    private FileChannel openUnlinked() throws IOException {
        Path f = Files.createTempFile(dir(), "jocclum-" + purpose + "-", ".pages");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
        try {
            Files.delete(f); // the open channel and the mappings keep the data
        } catch (IOException ignored) {
            // a platform that cannot unlink open files: DELETE_ON_CLOSE removes it
        }
        return ch;
    }

    private static Path dir() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Host bytes mapped for pages (the pool's peak use, rounded up to its slabs). */
    public synchronized long hostBytes() {
        return fileBytes;
    }

    /** Pages currently taken. */
    public synchronized long pagesInUse() {
        return inUse;
    }

    /** Unmaps every page and drops the file; no page of this pool may be used afterwards. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            freeCount = 0;
        }
        cleanable.clean();
    }
}
