package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The Enclave Page Cache: one or more sections of 4 KiB frames.
 *
 * <p>Design: frames are created on first use through a two-level directory of {@link FrameChunk}s
 * (4096 frames each, their access-path state in primitive arrays), and a frame holds host memory
 * only once it stores non-zero data ({@link HostPagePool}, outside the Java heap), so a 64 GiB EPC
 * (16 Mi frames) costs a 4096-entry array until pages are used. Frame numbers (pfn) are global
 * across sections. Lock-free: chunks and frames are published by CAS.
 *
 * <p>The enclave access path works on translations and frame numbers with {@link #pinTranslated},
 * {@link #pinnedHost} and {@link #unpin}: the same operations as {@link EpcFrame}'s, reading the
 * chunk's arrays only, so that a run of pages costs no object load per page. A multi-page access
 * publishes its runs of frames instead of pinning each ({@link #claimRuns}, {@link #beginRun},
 * {@link #checkRun}, {@link #endRun}; see {@link AccessRuns}).
 */
public final class Epc implements AutoCloseable {
    /** Linux's SGX_MAX_EPC_SECTIONS (arch/x86/kernel/cpu/sgx/sgx.h). */
    public static final int MAX_SECTIONS = 8;
    /** Simulated physical address of the first section (an arbitrary PRMRR-like base). */
    static final long PHYS_BASE = 0x80_0000_0000L;
    /** A frame number no frame has: translations keep frame numbers in 32 bits. */
    private static final long NO_FRAME_NUMBER = 0xFFFF_FFFFL;
    /** The most pages a run of a multi-page access holds ({@link #beginRun}). */
    public static final int MAX_RUN = AccessRuns.RUN;
    /** The translation of no frame. */
    public static final long NO_TRANSLATION = -1;
    private static final int CHUNK_SHIFT = FrameChunk.SHIFT;
    private static final int CHUNK = FrameChunk.SIZE;

    private final List<EpcSection> sections;
    private final long totalPages;
    private final AtomicReferenceArray<FrameChunk> directory;
    private final HostPagePool pool = new HostPagePool("epc");
    private final MemorySegment zeroPage = MemorySegment.ofArray(new byte[Pages.SIZE]).asReadOnly();
    private final AccessRuns runs = new AccessRuns();

    /** An EPC with sections of the given sizes in bytes (each a positive multiple of 4096). */
    public Epc(List<Long> sectionBytes) {
        if (sectionBytes.isEmpty() || sectionBytes.size() > MAX_SECTIONS) {
            throw new IllegalArgumentException("an EPC has 1.." + MAX_SECTIONS + " sections (SGX_MAX_EPC_SECTIONS), got "
                    + sectionBytes.size());
        }
        List<EpcSection> s = new ArrayList<>();
        long pfn = 0;
        long phys = PHYS_BASE;
        for (int i = 0; i < sectionBytes.size(); i++) {
            long b = sectionBytes.get(i);
            if (b <= 0 || !Pages.isAligned(b)) {
                throw new IllegalArgumentException("EPC section " + i + " size " + b + " is not a positive multiple of 4096");
            }
            s.add(new EpcSection(i, pfn, Pages.count(b), phys));
            pfn += Pages.count(b);
            phys += b + (1L << 30); // sections are not contiguous in physical memory
        }
        if (pfn >= NO_FRAME_NUMBER) {
            throw new IllegalArgumentException("EPC of " + pfn + " pages is too large");
        }
        this.sections = List.copyOf(s);
        this.totalPages = pfn;
        this.directory = new AtomicReferenceArray<>((int) ((pfn + CHUNK - 1) >>> CHUNK_SHIFT));
    }

    public List<EpcSection> sections() {
        return sections;
    }

    public long totalPages() {
        return totalPages;
    }

    public long capacityBytes() {
        return Pages.bytes(totalPages);
    }

    /** The frame with global number {@code pfn}, created on first use. */
    public EpcFrame frame(long pfn) {
        if (pfn < 0 || pfn >= totalPages) {
            throw new IllegalArgumentException("pfn " + pfn + " outside the EPC (0.." + (totalPages - 1) + ")");
        }
        int hi = (int) (pfn >>> CHUNK_SHIFT);
        int lo = (int) (pfn & (CHUNK - 1));
        FrameChunk chunk = directory.get(hi);
        if (chunk == null) {
            directory.compareAndSet(hi, null, new FrameChunk());
            chunk = directory.get(hi);
        }
        EpcFrame f = chunk.frames.get(lo);
        if (f == null) {
            chunk.frames.compareAndSet(lo, null, new EpcFrame(this, pfn, sectionOf(pfn), chunk));
            f = chunk.frames.get(lo);
        }
        return f;
    }

    // ---- the access path by frame number --------------------------------------------------------

    /** The chunk of frame {@code pfn}, null if none of its frames was created yet. */
    private FrameChunk chunkOf(long pfn) {
        return pfn < 0 || pfn >= totalPages ? null : directory.getAcquire((int) (pfn >>> CHUNK_SHIFT));
    }

    /**
     * A translation: frame {@code pfn} holding the EPCM entry of generation {@code gen} (see
     * {@link EpcFrame#generation}), as one long (the generation in the high half). A page table
     * keeps these; {@link #pinTranslated} pins the frame only if it still holds that entry.
     */
    public static long translation(long pfn, int gen) {
        return (long) gen << 32 | pfn;
    }

    /** The frame number of translation {@code t} ({@link #NO_TRANSLATION}: none). */
    public static long frameNumber(long t) {
        return t & NO_FRAME_NUMBER;
    }

    /**
     * The access path's whole per-page step, with one look-up of the frame's chunk: pins the frame
     * of translation {@code t} if it still holds the entry the translation was made for, checks
     * the EPCM for the access as {@link EpcFrame#pinForAccess(long, long, boolean, boolean)} does,
     * sets the accessed bit and reads the host page. Returns -1, with nothing pinned, when the
     * frame does not hold that entry now (or {@code t} is {@link #NO_TRANSLATION}); else the frame
     * is pinned and the result is its host page's handle ({@link HostPagePool#NONE} for a frame
     * never written, unless {@code materialize} gave it a page now). Throws {@link EnclaveFault}
     * for an EPCM violation.
     */
    public long pinTranslated(long t, long address, boolean write, boolean wait, boolean materialize) {
        long pfn = t & NO_FRAME_NUMBER;
        FrameChunk c = chunkOf(pfn);
        int j = (int) (pfn & (CHUNK - 1));
        if (c == null || !EpcFrame.pinForAccess(c, j, (int) (t >>> 32), address, write, wait)) {
            return -1;
        }
        return accessed(c, j, materialize);
    }

    /** Sets the accessed bit of frame {@code j} of {@code c}, held for an access, and returns its host page. */
    private static long accessed(FrameChunk c, int j, boolean materialize) {
        EpcFrame.markAccessed(c.state, j);
        if (!materialize) {
            return HostPagePool.expand((int) FrameChunk.INTS.getAcquire(c.host, j));
        }
        long h = HostPagePool.expand((int) FrameChunk.INTS.getAcquire(c.host, j));
        if (h == HostPagePool.NONE) {
            h = c.frames.get(j).materializedContent();
        }
        EpcFrame.markWritten(c, j, HostPagePool.ALL_LINES); // the access may store to any byte of the page
        return h;
    }

    /**
     * Claims a slot for the runs of one multi-page access (see {@link AccessRuns}): its number, or
     * -1 when every slot is taken (then the access pins its frames one by one). Give it back with
     * {@link #releaseRuns}.
     */
    public int claimRuns() {
        return runs.claim();
    }

    /** Gives back slot {@code slot} of {@link #claimRuns}, whose last run has ended. */
    public void releaseRuns(int slot) {
        runs.release(slot);
    }

    /**
     * Starts a run in slot {@code slot}: publishes the frames of the {@code n} translations in
     * {@code translations[0, n)} and fences; then check each page with {@link #checkRun}, and end
     * the run with {@link #endRun} when its copies are done.
     */
    public void beginRun(int slot, long[] translations, int n) {
        runs.begin(slot, translations, n);
    }

    /** The run in slot {@code slot} uses only its first {@code k} frames. */
    public void truncateRun(int slot, int k) {
        runs.truncate(slot, k);
    }

    /** Ends the run in slot {@code slot}: its copies are done. */
    public void endRun(int slot) {
        runs.end(slot);
    }

    /**
     * {@link #pinTranslated} for a page of a run in flight (published by {@link #beginRun}): the same
     * checks, the accessed bit and the host page, without a pin, and without waiting for a fenced
     * frame (-1 at once).
     */
    public long checkRun(long t, long address, boolean write, boolean materialize) {
        long pfn = t & NO_FRAME_NUMBER;
        FrameChunk c = chunkOf(pfn);
        int j = (int) (pfn & (CHUNK - 1));
        if (c == null || !EpcFrame.checkForRun(c, j, (int) (t >>> 32), address, write)) {
            return -1;
        }
        return accessed(c, j, materialize);
    }

    /**
     * {@link #checkRun} of the pages of a run in flight, in order from the first, for as many as
     * pass: their translations are {@code run[0, n)}, and the host page of each page that passes
     * goes to {@code run[hosts + i]}. Returns the number of pages that passed; the page after them
     * (if any) is left as it was, for {@link #checkRun} to tell a page that needs the fault path
     * from an EPCM violation. One call and one chunk look-up per run instead of per page.
     */
    public int checkRunPages(long[] run, int n, int hosts, boolean write, boolean materialize) {
        FrameChunk c = null;
        long chunkIndex = -1;
        for (int i = 0; i < n; i++) {
            long t = run[i];
            long pfn = t & NO_FRAME_NUMBER;
            if (pfn >>> CHUNK_SHIFT != chunkIndex) {
                c = chunkOf(pfn);
                if (c == null) {
                    return i;
                }
                chunkIndex = pfn >>> CHUNK_SHIFT;
            }
            int j = (int) (pfn & (CHUNK - 1));
            if (!EpcFrame.passesForRun(c, j, (int) (t >>> 32), write)) {
                return i;
            }
            run[hosts + i] = accessed(c, j, materialize);
        }
        return n;
    }

    /** True if a run of a multi-page access is in flight (for the checkers of a quiescent platform). */
    public boolean runsInFlight() {
        return runs.any();
    }

    AccessRuns runs() {
        return runs;
    }

    /** {@link EpcFrame#unpin()} of frame {@code pfn}, which the caller pinned. */
    public void unpin(long pfn) {
        EpcFrame.unpin(directory.getAcquire((int) (pfn >>> CHUNK_SHIFT)).state, (int) (pfn & (CHUNK - 1)));
    }

    /**
     * The host page of frame {@code pfn}, which the caller pinned, for a read or a store of zeros:
     * {@link HostPagePool#NONE} when the frame was never written (its contents are all zero).
     */
    public long pinnedHost(long pfn) {
        FrameChunk c = directory.getAcquire((int) (pfn >>> CHUNK_SHIFT));
        return HostPagePool.expand((int) FrameChunk.INTS.getAcquire(c.host, (int) (pfn & (CHUNK - 1))));
    }

    /**
     * The host page of frame {@code pfn}, which the caller pinned, for a store of data to its bytes
     * {@code [from, from + n)} ({@code n > 0}), which are marked as possibly non-zero: materialised
     * now if the frame has none.
     */
    public long pinnedHostForStore(long pfn, int from, int n) {
        FrameChunk c = directory.getAcquire((int) (pfn >>> CHUNK_SHIFT));
        int j = (int) (pfn & (CHUNK - 1));
        long h = HostPagePool.expand((int) FrameChunk.INTS.getAcquire(c.host, j));
        if (h == HostPagePool.NONE) {
            h = c.frames.get(j).materializedContent();
        }
        EpcFrame.markWritten(c, j, HostPagePool.lines(from, n));
        return h;
    }

    /**
     * Stores zeros to bytes {@code [from, from + n)} of the host page {@code h} of frame {@code pfn},
     * which the caller pinned: only to the lines of the page that were ever stored to, the others
     * being zero already (see {@link HostPagePool#zeroLines}).
     */
    public void zeroPinned(long pfn, long h, int from, int n) {
        FrameChunk c = directory.getAcquire((int) (pfn >>> CHUNK_SHIFT));
        long dirty = (long) FrameChunk.LONGS.getAcquire(c.dirty, (int) (pfn & (CHUNK - 1)));
        HostPagePool.zeroLines(pool.slab(h), HostPagePool.offset(h), dirty, from, from + n);
    }

    /** The slab of the host page pool that holds host page {@code handle} (see {@link #pinnedHost}). */
    public MemorySegment hostSlab(long handle) {
        return pool.slab(handle);
    }

    /** Where in its {@link #hostSlab} host page {@code handle} starts. */
    public static long hostOffset(long handle) {
        return HostPagePool.offset(handle);
    }

    /** Visits every frame created so far (for invariant checks and statistics). */
    public void forEachMaterializedFrame(Consumer<EpcFrame> action) {
        for (int hi = 0; hi < directory.length(); hi++) {
            FrameChunk chunk = directory.get(hi);
            if (chunk != null) {
                for (int lo = 0; lo < CHUNK; lo++) {
                    EpcFrame f = chunk.frames.get(lo);
                    if (f != null) {
                        action.accept(f);
                    }
                }
            }
        }
    }

    public int sectionOf(long pfn) {
        for (EpcSection s : sections) {
            if (s.contains(pfn)) {
                return s.index();
            }
        }
        throw new IllegalArgumentException("pfn " + pfn + " is in no EPC section");
    }

    long physicalAddress(long pfn) {
        EpcSection s = sections.get(sectionOf(pfn));
        return s.physBase() + Pages.bytes(pfn - s.firstPfn());
    }

    /** Host bytes currently reserved for frame contents. */
    public long hostBytes() {
        return pool.hostBytes();
    }

    /** Frames currently holding a host memory chunk. */
    public long materializedPages() {
        return pool.pagesInUse();
    }

    /** Frees the host memory of every frame; the EPC must not be used afterwards. */
    @Override
    public void close() {
        pool.close();
    }

    HostPagePool pool() {
        return pool;
    }

    /** The shared read-only page of zeros: what a read of a frame without a host page reads. */
    public MemorySegment zeroPage() {
        return zeroPage;
    }
}
