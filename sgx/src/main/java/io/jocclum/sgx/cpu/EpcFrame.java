package io.jocclum.sgx.cpu;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One 4 KiB EPC frame: its EPCM entry, its contents, and the model of the TLB references that
 * enclave threads hold on it.
 *
 * <p>Design. The EPCM entry (VALID, PT, R/W/X, PENDING, MODIFIED, PR, ENCLAVESECS, ENCLAVEADDRESS,
 * BLOCKED) is what every leaf checks. The flag bits sit in one int with the same bit positions as
 * SECINFO.FLAGS plus VALID at bit 16, so an access check is one load and one compare. What the
 * access path reads (the flag word, the pin state, ENCLAVEADDRESS, the owner's ID, the host page,
 * the accessed bit, the last in the pin state word) lives in the primitive arrays of the frame's {@link FrameChunk}, at the frame's
 * index there; this object is the frame's monitor and holds what only the leaves use. Contents are
 * a 4 KiB page of host memory taken from the {@link HostPagePool} on first non-zero use; no page
 * means "all zero". A VA page holds its 512 version slots; a SECS page its {@link EnclaveControl}.
 *
 * <p>TLB model. An enclave access {@link #pinForAccess pins} the frame (an atomic counter in
 * {@code state}) for the duration of one bulk copy, like a TLB entry that lives while the thread is
 * inside; a multi-page access instead publishes the frames of each run of pages it copies
 * ({@link AccessRuns}), which every check below counts as pins. EBLOCK sets BLOCKED in {@code state}, after which no new pin succeeds; EWB requires that an
 * ETRACK followed the EBLOCK and that no pin remains (else SGX_NOT_TRACKED), which is exactly the
 * condition real hardware enforces with the tracking epoch; the kernel's IPI ({@link #awaitNoPins})
 * waits for the in-flight copies to finish. FENCED is the kernel's TLB shootdown after EMODPR/EMODT
 * and before EREMOVE; EXCL is held by EREMOVE while it invalidates. So an access never sees a page
 * mid-eviction or a frame reused by another page: after pinning it re-checks VALID, the owner and the
 * linear address.
 *
 * <p>Locking: EPCM updates by leaves happen under this object's monitor (the SDM's "EPC page in use
 * by another instruction" is serialised rather than reported); the access path takes no lock.
 */
public final class EpcFrame {
    public static final int EPCM_R = 1;
    public static final int EPCM_W = 1 << 1;
    public static final int EPCM_X = 1 << 2;
    public static final int EPCM_PENDING = 1 << 3;
    public static final int EPCM_MODIFIED = 1 << 4;
    public static final int EPCM_PR = 1 << 5;
    static final int TYPE_SHIFT = 8;
    static final int TYPE_MASK = 0xFF << TYPE_SHIFT;
    public static final int EPCM_VALID = 1 << 16;
    /** The bits saved in PCMD.SECINFO by EWB. */
    static final int SECINFO_BITS = EPCM_R | EPCM_W | EPCM_X | EPCM_PENDING | EPCM_MODIFIED | EPCM_PR | TYPE_MASK;
    private static final int REG_TYPE = PageType.REG.encoding() << TYPE_SHIFT;
    /** The VALID and type bits of a SECS entry. */
    private static final int SECS_ENTRY = EPCM_VALID | PageType.SECS.encoding() << TYPE_SHIFT;

    static final int BLOCKED = 1 << 30;
    static final int FENCED = 1 << 29;
    static final int EXCL = 1 << 28;
    /**
     * Every line of the frame's host page is marked dirty ({@link FrameChunk#dirty} is
     * {@link HostPagePool#ALL_LINES}): a store needs to mark nothing, so the access path reads this
     * bit in the state word, which it reads anyway, instead of the dirty lines' own cache line. Set
     * after the dirty lines became whole, cleared before they are reset.
     */
    static final int WRITTEN = 1 << 27;
    /**
     * The accessed bit of the page's mapping (the PTE's, which the reclaimer ages): set by an
     * enclave access, cleared by the reclaimer's aging and with every new EPCM entry. In the state
     * word, which the access path reads anyway, so setting it (once per aging period) touches no
     * other cache line.
     */
    static final int ACCESSED = 1 << 26;
    static final int PINS = ACCESSED - 1;

    private static final VarHandle INTS = FrameChunk.INTS;
    private static final VarHandle LONGS = FrameChunk.LONGS;

    private final Epc epc;
    private final long pfn;
    private final int section;
    /** Where this frame's access-path state lives: index {@code j} of the arrays of {@code chunk}. */
    private final FrameChunk chunk;
    private final int j;
    private final int[] state;

    @GuardedBy("this")
    private EnclaveControl owner;  // EPCM.ENCLAVESECS
    @GuardedBy("this")
    private long blockEpoch;  // the owner's epoch at EBLOCK
    @GuardedBy("this")
    private long modEpoch;  // the owner's epoch at EMODPR/EMODT
    @GuardedBy("this")
    private long[] vaSlots;  // PT_VA
    /**
     * PT_SECS: written under this monitor, before the entry becomes a valid SECS and after it stops
     * being one, so that {@link #secs()} can read it without the monitor.
     */
    private volatile EnclaveControl secs;

    EpcFrame(Epc epc, long pfn, int section, FrameChunk chunk) {
        this.epc = epc;
        this.pfn = pfn;
        this.section = section;
        this.chunk = chunk;
        this.j = (int) (pfn & (FrameChunk.SIZE - 1));
        this.state = chunk.state;
    }

    /** The chunk that holds this frame's access-path state, at {@link #index()}. */
    FrameChunk chunk() {
        return chunk;
    }

    int index() {
        return j;
    }

    /** The EPCM flag word (acquire). */
    private int epcm() {
        return (int) INTS.getAcquire(chunk.epcm, j);
    }

    /** The host page's handle (acquire); {@link HostPagePool#NONE} if none. */
    private long content() {
        return HostPagePool.expand((int) INTS.getAcquire(chunk.host, j));
    }

    public long pfn() {
        return pfn;
    }

    public int section() {
        return section;
    }

    public long physicalAddress() {
        return epc.physicalAddress(pfn);
    }

    // ---- EPCM inspection ---------------------------------------------------------------------

    public boolean isValid() {
        return (epcm() & EPCM_VALID) != 0;
    }

    /** The EPCM entry as a value. */
    public synchronized EpcmEntry epcmEntry() {
        int e = epcm();
        PageType type = (e & EPCM_VALID) == 0 ? null : PageType.fromEncoding((e & TYPE_MASK) >>> TYPE_SHIFT);
        return new EpcmEntry((e & EPCM_VALID) != 0, type, e & SecInfo.PERM_MASK, (e & EPCM_PENDING) != 0,
                (e & EPCM_MODIFIED) != 0, (e & EPCM_PR) != 0, isBlocked(), linaddr(), ownerEid());
    }

    /** The page type; null when the entry is invalid. */
    public PageType pageType() {
        int e = epcm();
        return (e & EPCM_VALID) == 0 ? null : PageType.fromEncoding((e & TYPE_MASK) >>> TYPE_SHIFT);
    }

    /**
     * Loads what a leaf that makes a new EPCM entry for this frame reads and writes of it (this
     * object, its EPCM, state, address, owner, host page and generation words) and returns a sum of
     * them that means nothing: a caller about to take many frames one after another in steps that
     * wait for each cache miss (their locked updates do) first calls this for all of them, so that
     * their misses overlap. Reads only.
     */
    public int warm() {
        FrameChunk c = chunk;
        return (int) pfn + c.epcm[j] + c.state[j] + (int) c.linaddr[j] + (int) c.owner[j] + c.host[j] + c.gen[j];
    }

    /** The SECS state if this is a valid SECS page, else null. */
    public EnclaveControl secs() {
        // without the monitor (every leaf with a SECS operand and the driver's readers take this path): a control seen before and after a valid
        // SECS entry was that entry's, since each SECS entry gets a new control before it becomes valid
        EnclaveControl c = secs;
        if (c != null && (epcm() & (EPCM_VALID | TYPE_MASK)) == SECS_ENTRY && secs == c) {
            return c;
        }
        synchronized (this) {
            return (epcm() & EPCM_VALID) != 0 && pageTypeBits() == PageType.SECS.encoding() ? secs : null;
        }
    }

    /** The enclave this child page belongs to (EPCM.ENCLAVESECS), null if none. */
    public synchronized EnclaveControl owner() {
        return owner;
    }

    /**
     * The owner of a frame that the caller has pinned with {@link #pinOwned} (which found the entry
     * valid and the owner's ID): {@link #owner()} without the monitor. The owner is written before
     * the entry's release store and the pin read the entry with an acquire load, and while the pin
     * holds, no leaf can invalidate the entry (EREMOVE and EWB need the frame unpinned).
     */
    @SuppressWarnings("GuardedBy")
    public EnclaveControl pinnedOwner() {
        return owner;
    }

    public synchronized long linearAddress() {
        return linaddr();
    }

    /** The version stored in slot {@code i} of this VA page. */
    public synchronized long vaSlot(int i) {
        if (vaSlots == null) {
            throw new IllegalStateException("frame " + pfn + " is not a VA page");
        }
        return vaSlots[i];
    }

    /** In-flight accesses (pins). */
    public int pins() {
        return (int) INTS.getVolatile(state, j) & PINS;
    }

    public boolean isBlocked() {
        return ((int) INTS.getVolatile(state, j) & BLOCKED) != 0;
    }

    /** True if the frame holds a host memory chunk (non-zero contents were stored). */
    public boolean isMaterialized() {
        return content() != HostPagePool.NONE;
    }

    /** The accessed bit of the page's mapping: set by an enclave access, cleared by {@link #testAndClearAccessed}. */
    public boolean isAccessed() {
        return ((int) INTS.getOpaque(state, j) & ACCESSED) != 0;
    }

    /** Clears the accessed bit; true if it was set (the reclaimer's aging, {@code sgx_encl_test_and_clear_young}). */
    public boolean testAndClearAccessed() {
        if (((int) INTS.getOpaque(state, j) & ACCESSED) == 0) {
            return false;
        }
        return ((int) INTS.getAndBitwiseAnd(state, j, ~ACCESSED) & ACCESSED) != 0;
    }

    /** Sets the accessed bit, as an enclave access does. */
    public void markAccessed() {
        markAccessed(state, j);
    }

    /** Sets the accessed bit of frame {@code j} of the state words {@code state}: a load first, since most accesses find it set. */
    static void markAccessed(int[] state, int j) {
        if (((int) INTS.getOpaque(state, j) & ACCESSED) == 0) {
            INTS.getAndBitwiseOr(state, j, ACCESSED);
        }
    }

    int pageTypeBits() {
        return (epcm() & TYPE_MASK) >>> TYPE_SHIFT;
    }

    /**
     * Inspection (no EPCM check, no pin; for invariant checkers on a quiescent platform): true if
     * the frame's contents are all zero.
     */
    public boolean contentIsZero() {
        long c = content();
        return c == HostPagePool.NONE || isZero(epc.pool().segment(c));
    }

    /**
     * Inspection (no pin; for invariant checkers on a quiescent platform): what is wrong with the
     * frame's dirty lines (see {@link FrameChunk#dirty}), or null: a frame without a host page
     * must have none, a host page must be zero outside them, and a frame whose state word says
     * every line is marked ({@link #WRITTEN}) must have a host page with every line marked.
     */
    public String dirtyLinesProblem() {
        long c = content();
        long d = (long) LONGS.getVolatile(chunk.dirty, j);
        if (c == HostPagePool.NONE && d != 0) {
            return this + " has no host page but dirty lines 0x" + Long.toHexString(d);
        }
        if (c != HostPagePool.NONE) {
            MemorySegment page = epc.pool().segment(c);
            for (int line = 0; line < Long.SIZE; line++) {
                if ((d & 1L << line) == 0 && page.asSlice((long) line * HostPagePool.LINE, HostPagePool.LINE)
                        .mismatch(epc.zeroPage().asSlice(0, HostPagePool.LINE)) >= 0) {
                    return this + " has non-zero bytes in line " + line + " of its host page, which is not marked dirty";
                }
            }
        }
        if (((int) INTS.getVolatile(state, j) & WRITTEN) != 0 && (c == HostPagePool.NONE || d != HostPagePool.ALL_LINES)) {
            return this + " is marked as stored to in every line but " + (c == HostPagePool.NONE ? "has no host page"
                    : "its dirty lines are 0x" + Long.toHexString(d));
        }
        return null;
    }

    // ---- the enclave access path ---------------------------------------------------------------

    /**
     * Pins this frame for one access by enclave {@code eid} at {@code address} and checks the EPCM
     * as the CPU does for an enclave-mode load ({@code write} false) or store. Returns true with the
     * frame pinned; the caller gets the bytes with {@link #pinnedContent}, copies, then calls
     * {@link #unpin()}. Returns false, with nothing pinned, when the frame does not hold that page of
     * that enclave right now (evicted, being evicted, reused): the caller takes the fault path. Throws
     * {@link EnclaveFault} PAGE_FAULT for an EPCM violation (PENDING, MODIFIED, not PT_REG, missing
     * permission).
     */
    public boolean pinForAccess(long eid, long address, boolean write) {
        return pinForAccess(eid, address, write, true);
    }

    /**
     * {@link #pinForAccess(long, long, boolean)}, but with {@code wait} false a frame that is
     * fenced or held exclusively (by EREMOVE or a TLB shootdown waiting for in-flight copies) is
     * not waited for: false at once. A caller that holds other frames pinned must not wait, since
     * whoever fences this frame may be waiting for those.
     */
    public boolean pinForAccess(long eid, long address, boolean write, boolean wait) {
        return pinForAccess(chunk, j, eid, address, write, wait);
    }

    /** {@link #pinForAccess(long, long, boolean, boolean)} of frame {@code j} of {@code c}. */
    static boolean pinForAccess(FrameChunk c, int j, long eid, long address, boolean write, boolean wait) {
        int[] state = c.state;
        if (!(wait ? pin(state, j) : pinOnce(state, j))) {
            return false;
        }
        int e = (int) INTS.getAcquire(c.epcm, j);
        if ((e & EPCM_VALID) == 0 || c.owner[j] != eid || c.linaddr[j] != Pages.down(address)) {
            unpin(state, j);
            return false;
        }
        return checkAccess(state, j, e, address, write);
    }

    /**
     * The access path's form of {@link #pinForAccess(long, long, boolean, boolean)} on frame
     * {@code j} of {@code c}: the frame must still hold the entry of generation {@code gen} (the
     * one a translation was made for: same owner, same linear address).
     */
    static boolean pinForAccess(FrameChunk c, int j, int gen, long address, boolean write, boolean wait) {
        int[] state = c.state;
        if (!(wait ? pin(state, j) : pinOnce(state, j))) {
            return false;
        }
        int e = (int) INTS.getAcquire(c.epcm, j);
        if ((e & EPCM_VALID) == 0 || c.gen[j] != gen) {
            unpin(state, j);
            return false;
        }
        return checkAccess(state, j, e, address, write);
    }

    /** The EPCM check of a pinned frame whose entry {@code e} is valid: true, or unpinned and a #PF. */
    private static boolean checkAccess(int[] state, int j, int e, long address, boolean write) {
        if (!allows(e, write)) {
            unpin(state, j);
            throw violation(e, address, write);
        }
        return true;
    }

    /** True if the valid EPCM entry {@code e} allows an enclave-mode load ({@code write} false) or store. */
    private static boolean allows(int e, boolean write) {
        int need = write ? EPCM_W : EPCM_R;
        return (e & (TYPE_MASK | EPCM_PENDING | EPCM_MODIFIED | need)) == (REG_TYPE | need);
    }

    /** The #PF of an access that the EPCM entry {@code e} does not allow. */
    private static EnclaveFault violation(int e, long address, boolean write) {
        return new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, write, epcmViolation(e, write ? EPCM_W : EPCM_R));
    }

    /**
     * The check of frame {@code j} of {@code c} for a run of a multi-page access ({@link AccessRuns}),
     * which published the frame and fenced before: true if the frame is neither blocked, fenced nor
     * held exclusively, still holds the entry of generation {@code gen}, and its EPCM allows the
     * access; false when the page needs the fault path (or the frame is fenced for a moment); a #PF
     * for an EPCM violation. Nothing is pinned: the published run protects the frame.
     */
    static boolean checkForRun(FrameChunk c, int j, int gen, long address, boolean write) {
        int e = runEntry(c, j, gen);
        if (e == 0) {
            return false;
        }
        if (!allows(e, write)) {
            throw violation(e, address, write);
        }
        return true;
    }

    /**
     * {@link #checkForRun} without the #PF: true if the frame passes, false for every other
     * outcome (which {@link #checkForRun} then tells apart).
     */
    static boolean passesForRun(FrameChunk c, int j, int gen, boolean write) {
        int e = runEntry(c, j, gen);
        return e != 0 && allows(e, write);
    }

    /**
     * The EPCM word of frame {@code j} of {@code c} if the frame is neither blocked, fenced nor held
     * exclusively and holds a valid entry of generation {@code gen}; else 0 (a valid word is not).
     */
    private static int runEntry(FrameChunk c, int j, int gen) {
        if (((int) INTS.getVolatile(c.state, j) & (BLOCKED | FENCED | EXCL)) != 0) {
            return 0;
        }
        int e = (int) INTS.getAcquire(c.epcm, j);
        return (e & EPCM_VALID) == 0 || c.gen[j] != gen ? 0 : e;
    }

    /**
     * The contents of a pinned frame: for a read of a never-written page a shared read-only page of
     * zeros; for a write the frame's own chunk (materialised now if needed).
     */
    public MemorySegment pinnedContent(boolean write) {
        long c = pinnedHost(write);
        return c == HostPagePool.NONE ? epc.zeroPage() : epc.pool().segment(c);
    }

    /**
     * The handle of the host page of a pinned frame (see {@link Epc#hostSlab}): for a write the
     * frame's own page (materialised now if needed), any byte of which the caller may then store
     * to; for a read {@link HostPagePool#NONE} when the frame was never written (its contents are
     * all zero).
     */
    public long pinnedHost(boolean write) {
        if (!write) {
            return content();
        }
        long c = materializedContent();
        markWritten(chunk, j, HostPagePool.ALL_LINES);
        return c;
    }

    /** The frame's host page, materialised now if it has none (the caller marks what it stores). */
    long materializedContent() {
        long c = content();
        return c == HostPagePool.NONE ? materialize() : c;
    }

    /**
     * Marks the lines {@code lines} of the host page of frame {@code j} of {@code c} as possibly
     * non-zero, before a store into them (see {@link FrameChunk#dirty}).
     */
    static void markWritten(FrameChunk c, int j, long lines) {
        if (((int) INTS.getOpaque(c.state, j) & WRITTEN) != 0) {
            return; // every line is marked already
        }
        long d = c.dirty[j]; // a plain load: the marks only grow while the page is held
        if ((d & lines) != lines) {
            d = (long) LONGS.getAndBitwiseOr(c.dirty, j, lines) | lines;
        }
        if (d == HostPagePool.ALL_LINES) {
            INTS.getAndBitwiseOr(c.state, j, WRITTEN);
        }
    }

    /** The shared read-only page of zeros: what a read of a frame without a host page reads. */
    public MemorySegment zeroPage() {
        return epc.zeroPage();
    }

    /**
     * Pins this frame if it holds the page at {@code pageAddr} of enclave {@code eid} (any type or
     * state): the translation of an ENCLU operand. False, with nothing pinned, otherwise.
     */
    public boolean pinOwned(long eid, long pageAddr) {
        if (!pin(state, j)) {
            return false;
        }
        int e = epcm();
        if ((e & EPCM_VALID) == 0 || ownerEid() != eid || linaddr() != pageAddr) {
            unpin();
            return false;
        }
        return true;
    }

    public void unpin() {
        unpin(state, j);
    }

    static void unpin(int[] state, int j) {
        INTS.getAndAdd(state, j, -1);
    }

    /** One attempt of {@link #pin}: false, with nothing pinned, when the frame is blocked, fenced or held exclusively. */
    private static boolean pinOnce(int[] state, int j) {
        int s = (int) INTS.getAndAdd(state, j, 1);
        if ((s & (BLOCKED | FENCED | EXCL)) == 0) {
            return true;
        }
        INTS.getAndAdd(state, j, -1);
        return false;
    }

    private static boolean pin(int[] state, int j) {
        for (int spins = 0; ; spins++) {
            int s = (int) INTS.getAndAdd(state, j, 1);
            if ((s & (BLOCKED | FENCED | EXCL)) == 0) {
                return true;
            }
            INTS.getAndAdd(state, j, -1);
            if ((s & BLOCKED) != 0) {
                return false;
            }
            backoff(spins); // FENCED / EXCL last only as long as in-flight copies
        }
    }

    static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private long materialize() {
        long fresh = epc.pool().takeHandle(true);
        long won = HostPagePool.expand((int) INTS.compareAndExchange(chunk.host, j, 0, HostPagePool.compact(fresh)));
        if (won == HostPagePool.NONE) {
            return fresh; // its dirty lines are 0, as for every frame without a page
        }
        epc.pool().giveHandle(fresh, 0); // all zero
        return won;
    }

    private static String epcmViolation(int e, int need) {
        if ((e & EPCM_PENDING) != 0) {
            return "EPCM.PENDING is set (page not yet EACCEPTed)";
        }
        if ((e & EPCM_MODIFIED) != 0) {
            return "EPCM.MODIFIED is set (type change not yet EACCEPTed)";
        }
        if ((e & TYPE_MASK) != REG_TYPE) {
            return "page type " + PageType.fromEncoding((e & TYPE_MASK) >>> TYPE_SHIFT) + " is not accessible";
        }
        return "EPCM permissions " + SecInfo.permString(e & SecInfo.PERM_MASK) + " do not allow "
                + (need == EPCM_W ? "a write" : "a read");
    }

    // ---- TLB shootdown (kernel IPIs) -------------------------------------------------------------

    /**
     * Blocks new pins and waits for in-flight accesses to finish: a TLB shootdown. Returns true if an
     * access was in flight (a thread had to be kicked out).
     */
    public boolean fence() {
        INTS.getAndBitwiseOr(state, j, FENCED);
        return awaitNoPins();
    }

    public void unfence() {
        INTS.getAndBitwiseAnd(state, j, ~FENCED);
    }

    /**
     * Waits until no access holds a pin, i.e. every logical processor that may have cached a
     * translation has left (what the kernel's IPI achieves). Only terminates when new pins are
     * impossible (BLOCKED or FENCED), so call it after EBLOCK or {@link #fence()}.
     * Returns true if some access had to be waited for.
     */
    public boolean awaitNoPins() {
        boolean waited = false;
        for (int spins = 0; ((int) INTS.getVolatile(state, j) & PINS) != 0; spins++) {
            waited = true;
            backoff(spins);
        }
        return epc.runs().await(pfn) || waited;
    }

    /**
     * True if an access holds this frame now: a pin, or a run of a multi-page access that
     * published it (see {@link AccessRuns}).
     */
    public boolean inUse() {
        return pins() != 0 || epc.runs().holds(pfn);
    }

    // ---- leaf-side mutators (package-private, called under this monitor) ----------------------------

    int epcmBits() {
        return epcm();
    }

    /**
     * The generation of this frame's EPCM entry: advanced by every new entry and every
     * invalidation, so a translation that recorded it still names the same entry while it is equal.
     */
    public int generation() {
        return (int) INTS.getAcquire(chunk.gen, j);
    }

    /** The translation of the page in this frame now: see {@link Epc#translation}. */
    public long translation() {
        return Epc.translation(pfn, generation());
    }

    /** A new EPCM entry: a page newly in this frame, whose mapping has not been accessed yet. */
    void setEpcm(int bits, long linaddr, EnclaveControl owner) {
        chunk.gen[j]++;
        chunk.linaddr[j] = linaddr;
        this.owner = owner;
        chunk.owner[j] = owner == null ? 0 : owner.eid();
        INTS.getAndBitwiseAnd(state, j, ~ACCESSED);
        INTS.setVolatile(chunk.epcm, j, bits);
    }

    void updateEpcmBits(int bits) {
        INTS.setVolatile(chunk.epcm, j, bits);
    }

    void invalidate() {
        INTS.setVolatile(chunk.epcm, j, 0);
        chunk.gen[j]++;
        this.owner = null;
        chunk.owner[j] = 0;
        chunk.linaddr[j] = 0;
        this.secs = null;
        this.vaSlots = null;
        dropContent();
        INTS.getAndBitwiseAnd(state, j, ~(BLOCKED | ACCESSED));
    }

    long ownerEid() {
        return chunk.owner[j];
    }

    EnclaveControl ownerControl() {
        return owner;
    }

    long linaddr() {
        return chunk.linaddr[j];
    }

    void setSecs(EnclaveControl c) {
        this.secs = c;
    }

    EnclaveControl secsControl() {
        return secs;
    }

    long[] vaSlotsArray() {
        return vaSlots;
    }

    void setVaSlots(long[] slots) {
        this.vaSlots = slots;
    }

    long blockEpoch() {
        return blockEpoch;
    }

    long modEpoch() {
        return modEpoch;
    }

    void setModEpoch(long e) {
        this.modEpoch = e;
    }

    /** Sets BLOCKED; false if it was already set. */
    boolean block(long epoch) {
        int prev = (int) INTS.getAndBitwiseOr(state, j, BLOCKED);
        if ((prev & BLOCKED) != 0) {
            return false;
        }
        blockEpoch = epoch;
        return true;
    }

    /** Takes EXCL if no access is in flight; false otherwise. */
    boolean tryExclusive() {
        for (;;) {
            int s = (int) INTS.getVolatile(state, j);
            if ((s & PINS) != 0 || (s & EXCL) != 0) {
                return false;
            }
            if (INTS.compareAndSet(state, j, s, s | EXCL)) {
                if (epc.runs().holds(pfn)) { // a run published the frame before EXCL was set
                    releaseExclusive();
                    return false;
                }
                return true;
            }
        }
    }

    void releaseExclusive() {
        INTS.getAndBitwiseAnd(state, j, ~EXCL);
    }

    /** Contents for a leaf that reads them (EEXTEND, EWB); null = zero page. */
    MemorySegment contentOrNull() {
        long c = content();
        return c == HostPagePool.NONE ? null : epc.pool().segment(c);
    }

    /** Stores a page: null or all-zero leaves the frame unmaterialised. */
    void storeContent(MemorySegment src) {
        storeContent(src, src == null || isZero(src));
    }

    /** {@link #storeContent(MemorySegment)} when the caller knows whether {@code src} is all zero. */
    void storeContent(MemorySegment src, boolean zero) {
        if (zero) {
            dropContent();
            return;
        }
        long c = content();
        LONGS.setVolatile(chunk.dirty, j, HostPagePool.ALL_LINES);
        if (c == HostPagePool.NONE) {
            c = epc.pool().takeHandle(false);
            INTS.setRelease(chunk.host, j, HostPagePool.compact(c));
        }
        INTS.getAndBitwiseOr(state, j, WRITTEN);
        MemorySegment.copy(src, 0, epc.pool().slab(c), HostPagePool.offset(c), Pages.SIZE);
    }

    /** The host page of the contents for a leaf that reads them (EWB); {@link HostPagePool#NONE} = zero page. */
    long contentHandle() {
        return content();
    }

    /** The host page for ELDU to decrypt into (not yet visible to any access: the entry is invalid). */
    long contentHandleForLoad() {
        long c = content();
        LONGS.setVolatile(chunk.dirty, j, HostPagePool.ALL_LINES);
        if (c == HostPagePool.NONE) {
            c = epc.pool().takeHandle(false);
            INTS.setRelease(chunk.host, j, HostPagePool.compact(c));
        }
        INTS.getAndBitwiseOr(state, j, WRITTEN);
        return c;
    }

    /** The pool the frame's host pages come from. */
    HostPagePool pool() {
        return epc.pool();
    }

    void dropContent() {
        long c = content();
        if (c != HostPagePool.NONE) {
            INTS.getAndBitwiseAnd(state, j, ~WRITTEN);
            long dirty = (long) LONGS.getVolatile(chunk.dirty, j);
            INTS.setRelease(chunk.host, j, 0);
            LONGS.setVolatile(chunk.dirty, j, 0L);
            epc.pool().giveHandle(c, dirty);
        }
    }

    private boolean isZero(MemorySegment src) {
        return src.asSlice(0, Pages.SIZE).mismatch(epc.zeroPage()) == -1;
    }

    @Override
    public String toString() {
        return "EpcFrame[pfn=" + pfn + ", " + epcmEntry() + "]";
    }
}
