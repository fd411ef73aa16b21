package io.jocclum.sgx.cpu;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.jocclum.sgx.arch.Pages;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * Host memory for 4 KiB pages of the simulated platform (the contents of EPC frames, the pages of
 * the enclaves' backing store), outside the Java heap: slabs of a temporary file mapped with
 * {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}, cut into 4 KiB chunks and
 * recycled through a free stack. This is how Linux backs an enclave too: its evicted pages live in
 * a shmem file ({@code arch/x86/kernel/cpu/sgx/encl.c}, {@code sgx_encl_get_backing}).
 *
 * <p>Design. The file is created in a memory-backed file system ({@code /dev/shm}, Linux's shmem,
 * or the directory of the system property {@value #MEMORY_DIR_PROPERTY}) while that keeps at least
 * half of its space free, else in {@code java.io.tmpdir}, where later slabs then go too; it is
 * unlinked at once, so nothing is left behind whatever way the JVM ends. Its pages are never the
 * Java heap, so the heap holds only the page metadata. Memory first, because the kernel writes a
 * disk file's dirty pages back about every 30 s ({@code dirty_expire_centisecs}) and write-protects
 * them for it ({@code folio_mkclean}, {@code mm/page-writeback.c}): the next store to each page then
 * takes a write fault. On ext4 a 64 MiB pass over such pages measured 400-530 ms instead of 3 ms,
 * every 30 s; shmem pages are never written back (only swapped). Slabs start at
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
    /** The system property that names the memory-backed directory of the pools' files (empty: none). */
    public static final String MEMORY_DIR_PROPERTY = "jocclum.hostpages.memory";
    static final String DEFAULT_MEMORY_DIR = "/dev/shm";
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
        private final boolean setting;

        HostMemoryExhausted(String message) {
            this(message, false);
        }

        HostMemoryExhausted(String message, boolean setting) {
            super(message, null, false, false);
            this.setting = setting;
        }

        /** True if a setting the user gave is wrong (not a lack of space): the message says which. */
        public boolean isSetting() {
            return setting;
        }
    }

    /** The files and their mappings; what the cleaner closes (must not refer to the pool). */
    private static final class Backing implements Runnable {
        final Arena arena = Arena.ofShared();
        /** Every file opened so far, the current one last. */
        private final List<FileChannel> channels = new ArrayList<>();
        /** The file new slabs are cut from, null before the first. */
        FileChannel channel;
        /** Bytes of {@link #channel} mapped so far. */
        long channelBytes;
        /** True while {@link #channel} lies in the pool's memory directory. */
        boolean inMemory;
        /** Set once the memory directory had no room: later slabs go to {@code java.io.tmpdir}. */
        boolean memoryFull;

        synchronized void add(FileChannel ch, boolean memory) {
            channels.add(ch);
            channel = ch;
            channelBytes = 0;
            inMemory = memory;
        }

        @Override
        public void run() {
            try {
                arena.close();
            } catch (IllegalStateException ignored) {
                // already closed
            }
            synchronized (this) {
                for (FileChannel ch : channels) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // an unlinked temporary file: nothing to lose
                    }
                }
            }
        }
    }

    private final String purpose;
    private final Path memoryDir;
    private final LongPredicate memoryRoom;
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
        this(purpose, memoryDirectory(), null);
    }

    /**
     * A pool whose slabs go to {@code memoryDir} (null: none) while {@code room} accepts the
     * slab's size in bytes (null: while that leaves half of its file system free), else to
     * {@code java.io.tmpdir}.
     */
    HostPagePool(String purpose, Path memoryDir, LongPredicate room) {
        this.purpose = purpose;
        this.memoryDir = memoryDir;
        this.memoryRoom = room != null ? room : bytes -> roomInMemory(memoryDir, bytes);
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
            MemorySegment m = mapSlab(slab);
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
                    + diskDirectory() + " (" + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ")");
        }
    }

    /**
     * Maps {@code slab} more bytes of file space, written with zeros first: in the memory directory
     * while it has room ({@link #roomInMemory}), else in {@code java.io.tmpdir}.
     */
    @GuardedBy("this")
    private MemorySegment mapSlab(long slab) throws IOException {
        if (backing.channel == null || backing.inMemory) { // once on disk, a pool stays there
            Path memory = backing.memoryFull ? null : memoryDir;
            boolean toMemory = memory != null && memoryRoom.test(slab);
            if (backing.channel == null || !toMemory) {
                backing.memoryFull |= backing.channel != null;
                if (toMemory) {
                    try {
                        backing.add(openUnlinked(memory), true);
                    } catch (IOException cannot) { // no inode left, a denial: the disk instead
                        backing.memoryFull = true;
                        backing.add(openUnlinked(diskDirectory()), false);
                    }
                } else {
                    backing.add(openUnlinked(diskDirectory()), false);
                }
            }
        }
        FileChannel ch = backing.channel;
        long base = backing.channelBytes;
        try {
            for (long at = base; at < base + slab; ) {
                ByteBuffer z = ZEROS.duplicate();
                at += ch.write(z, at);
            }
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, base, slab, backing.arena);
            backing.channelBytes = base + slab;
            return m;
        } catch (IOException full) {
            if (!backing.inMemory) {
                throw full;
            }
            try {
                ch.truncate(base); // another process took the room: give back what was written, go to disk
            } catch (IOException ignored) {
                // a closed channel (an interrupted write): the file goes with it when the pool closes
            }
            backing.memoryFull = true;
            backing.add(openUnlinked(diskDirectory()), false);
            return mapSlab(slab);
        }
    }

    private FileChannel openUnlinked(Path dir) throws IOException {
        Path f = Files.createTempFile(dir, "jocclum-" + purpose + "-", ".pages");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
        try {
            Files.delete(f); // the open channel and the mappings keep the data
        } catch (IOException ignored) {
            // a platform that cannot unlink open files: DELETE_ON_CLOSE removes it
        }
        return ch;
    }

    /** Where pages go when the memory directory has no room: {@code java.io.tmpdir}. */
    static Path diskDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * The memory-backed file system the pools put their files in first: the system property
     * {@value #MEMORY_DIR_PROPERTY} (default {@value #DEFAULT_MEMORY_DIR}, Linux's shmem);
     * null when it is empty or not a writable directory.
     */
    static Path memoryDirectory() {
        String given = System.getProperty(MEMORY_DIR_PROPERTY);
        return memoryDirectory(given != null ? given : DEFAULT_MEMORY_DIR, given != null);
    }

    /**
     * The memory directory {@code value} names: null when it is empty, or when it is the default
     * and not a writable directory (a host without {@code /dev/shm}); a value the user gave that
     * is not a writable directory is a {@link HostMemoryExhausted} naming it.
     */
    static Path memoryDirectory(String value, boolean given) {
        if (value.isEmpty()) {
            return null;
        }
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            p = null;
        }
        if (p != null && p.isAbsolute() && Files.isDirectory(p) && Files.isWritable(p)) {
            return p;
        }
        if (!given) {
            return null;
        }
        throw new HostMemoryExhausted("-D" + MEMORY_DIR_PROPERTY + "=" + value + " does not name a writable directory by an absolute path;"
                + " name one on a memory-backed file system (such as /dev/shm), or leave the value empty to keep the host pages in "
                + diskDirectory(), true);
    }

    /**
     * True if {@code slab} more bytes in {@code dir} leave at least half of its file system free,
     * and half of what this process's memory cgroup may still charge (shmem pages are charged to
     * it and, without swap, cannot be reclaimed as a disk file's page cache can).
     */
    private static boolean roomInMemory(Path dir, long slab) {
        try {
            FileStore fs = Files.getFileStore(dir);
            if (!roomInMemory(fs.getUsableSpace(), fs.getTotalSpace(), slab)) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
        long[] cg = memoryCgroup();
        return cg == null || roomInMemory(cg[0] - cg[1], cg[0], slab);
    }

    /**
     * This process's cgroup v2 {@code memory.max} and {@code memory.current} (the
     * {@code 0::PATH} line of {@code /proc/self/cgroup} under {@code /sys/fs/cgroup}), or null
     * when there is no limit or the files cannot be read.
     */
    private static long[] memoryCgroup() {
        try {
            String path = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                if (line.startsWith("0::")) {
                    path = line.substring(3);
                }
            }
            if (path == null) {
                return null;
            }
            Path dir = Path.of("/sys/fs/cgroup", path);
            String max = Files.readString(dir.resolve("memory.max")).strip();
            if (max.equals("max")) {
                return null;
            }
            return new long[] {Long.parseLong(max), Long.parseLong(Files.readString(dir.resolve("memory.current")).strip())};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** True if {@code slab} more bytes leave at least half of a file system of {@code total} bytes, {@code usable} of them free, free. */
    static boolean roomInMemory(long usable, long total, long slab) {
        return usable - slab >= total / 2;
    }

    /**
     * The directory a file of {@code bytes} of host memory of the kind this pool's pages live in
     * goes to: the memory directory while it has room, else {@code java.io.tmpdir} (for a
     * comparison with a copy into such memory).
     */
    public static Path directoryFor(long bytes) {
        Path memory = memoryDirectory();
        return memory != null && roomInMemory(memory, bytes) ? memory : diskDirectory();
    }

    /** The directory of the file this pool cuts its next slab from; null before the first slab. */
    synchronized Path currentDirectory() {
        return backing.channel == null ? null : backing.inMemory ? memoryDir : diskDirectory();
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
