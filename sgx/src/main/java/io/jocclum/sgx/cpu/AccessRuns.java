package io.jocclum.sgx.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The frames that in-flight multi-page accesses use, published per access instead of pinned frame
 * by frame: the model of the translations a logical processor's TLB holds while it copies.
 *
 * <p>Design. A multi-page access claims one of {@value #SLOTS} slots (one compare-and-set), and for
 * each run of up to {@value #RUN} pages writes the run's frame numbers into its slot, marks the run
 * in flight (an odd sequence number), and only then, after one full fence, checks the frames'
 * BLOCKED, FENCED and EXCL bits, EPCM entries and generations with plain loads; when the copies are
 * done it marks the run ended (an even sequence number, a release store). Whoever blocks or fences a
 * frame sets the bit with an atomic update first and then looks through the slots ({@link #await},
 * {@link #holds}): either the access sees the bit and leaves the frame alone, or the blocker sees
 * the frame in the slot and waits for the run to end (the two-sided fence of Dekker's algorithm).
 * The waiter waits only for runs that hold its frame and that were in flight when it looked, so a
 * stream of later accesses cannot starve it. A run never waits for anything while it is in flight.
 * An access holds one fence per run instead of an atomic pin and unpin per page. Slots are claimed
 * from the lowest free one up, and a waiter looks only below the highest slot ever claimed, so a
 * platform with few concurrent accesses looks at a few slots.
 *
 * <p>Layout: slot {@code s} is the {@value #WORDS} longs from {@code s * WORDS} of {@link #words}:
 * the claim (0 free, 1 claimed), the run's sequence number (odd while in flight), the number of
 * frames published, then the frame numbers; a slot fills four cache lines of its own.
 *
 * <p>Thread-safe; lock-free.
 */
final class AccessRuns {
    /** Concurrent multi-page accesses that can use a slot; the others pin frame by frame. */
    static final int SLOTS = 64;
    /** The most frames a run publishes. */
    static final int RUN = 16;
    private static final int WORDS = 32;
    private static final int CLAIM = 0;
    private static final int SEQ = 1;
    private static final int COUNT = 2;
    private static final int FRAMES = 3;
    private static final VarHandle LONGS = FrameChunk.LONGS;
    private static final VarHandle HIGH;

    static {
        try {
            HIGH = MethodHandles.lookup().findVarHandle(AccessRuns.class, "high", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] words = new long[SLOTS * WORDS];
    /** Test hook: run when {@link #await} starts waiting for a run (null: none). */
    volatile Runnable onWait;
    /** One more than the highest slot ever claimed (through {@link #HIGH}). */
    @SuppressWarnings("unused")
    private volatile int high;

    /** Claims a free slot: its number, or -1 when all are claimed. */
    int claim() {
        for (int s = 0; s < SLOTS; s++) {
            int at = s * WORDS + CLAIM;
            if ((long) LONGS.getOpaque(words, at) == 0 && LONGS.compareAndSet(words, at, 0L, 1L)) {
                for (int h = high; h <= s; h = high) {
                    if (HIGH.compareAndSet(this, h, s + 1)) {
                        break;
                    }
                }
                return s;
            }
        }
        return -1;
    }

    /** Gives slot {@code s} back; its last run has ended. */
    void release(int s) {
        LONGS.setRelease(words, s * WORDS + CLAIM, 0L);
    }

    /**
     * Starts a run in slot {@code s} over the frames of the {@code n} translations in {@code frames[0, n)}:
     * publishes them, marks the run in flight, and fences, so that the caller's loads of the
     * frames' state come after a blocker can see them.
     */
    void begin(int s, long[] frames, int n) {
        int b = s * WORDS;
        for (int i = 0; i < n; i++) {
            words[b + FRAMES + i] = Epc.frameNumber(frames[i]);
        }
        words[b + COUNT] = n;
        LONGS.setRelease(words, b + SEQ, words[b + SEQ] + 1);
        VarHandle.fullFence();
    }

    /** Keeps only the first {@code k} frames of the run in slot {@code s}: the others will not be used. */
    void truncate(int s, int k) {
        LONGS.setRelease(words, s * WORDS + COUNT, (long) k);
    }

    /** Ends the run in slot {@code s}: its copies are done (a release store: a waiter then sees their bytes). */
    void end(int s) {
        int b = s * WORDS;
        LONGS.setRelease(words, b + SEQ, words[b + SEQ] + 1);
    }

    /**
     * Waits until no run that was in flight holds frame {@code pfn}; true if one had to be waited
     * for. Call it after making new uses of the frame impossible (BLOCKED or FENCED set).
     */
    boolean await(long pfn) {
        boolean waited = false;
        int h = high;
        for (int s = 0; s < h; s++) {
            long seq = inFlight(s, pfn);
            if (seq != 0) {
                waited = true;
                Runnable hook = onWait;
                if (hook != null) {
                    hook.run();
                }
                int at = s * WORDS + SEQ;
                for (int spins = 0; (long) LONGS.getVolatile(words, at) == seq; spins++) {
                    EpcFrame.backoff(spins);
                }
            }
        }
        return waited;
    }

    /** True if a run in flight holds frame {@code pfn}. */
    boolean holds(long pfn) {
        int h = high;
        for (int s = 0; s < h; s++) {
            if (inFlight(s, pfn) != 0) {
                return true;
            }
        }
        return false;
    }

    /** True if any run is in flight (for the invariant checkers of a quiescent platform). */
    boolean any() {
        int h = high;
        for (int s = 0; s < h; s++) {
            if (((long) LONGS.getVolatile(words, s * WORDS + SEQ) & 1) != 0) {
                return true;
            }
        }
        return false;
    }

    /** The sequence number of the run in flight in slot {@code s} if it holds {@code pfn}, else 0. */
    private long inFlight(int s, long pfn) {
        int b = s * WORDS;
        long seq = (long) LONGS.getVolatile(words, b + SEQ);
        if ((seq & 1) == 0) {
            return 0;
        }
        long n = (long) LONGS.getAcquire(words, b + COUNT);
        for (int i = 0; i < n && i < RUN; i++) {
            if ((long) LONGS.getAcquire(words, b + FRAMES + i) == pfn) {
                return seq;
            }
        }
        return 0;
    }
}
