package io.jocclum.sgx.cpu;

/** Test hooks: read and corrupt a frame's words in its chunk on purpose, to prove the invariant checkers report it. */
public final class FrameHooks {
    private FrameHooks() {
    }

    /** The bit of the state word that says every line of the host page is marked dirty. */
    public static final int WRITTEN = EpcFrame.WRITTEN;
    /** The accessed bit in the state word. */
    public static final int ACCESSED = EpcFrame.ACCESSED;

    /** The pin counter with the BLOCKED, FENCED, EXCL, WRITTEN and ACCESSED bits. */
    public static int state(EpcFrame f) {
        return (int) FrameChunk.INTS.getVolatile(f.chunk().state, f.index());
    }

    public static void setState(EpcFrame f, int state) {
        FrameChunk.INTS.setVolatile(f.chunk().state, f.index(), state);
    }

    /** The EPCM flag word. */
    public static int epcm(EpcFrame f) {
        return (int) FrameChunk.INTS.getVolatile(f.chunk().epcm, f.index());
    }

    public static void setEpcm(EpcFrame f, int epcm) {
        FrameChunk.INTS.setVolatile(f.chunk().epcm, f.index(), epcm);
    }

    /** Runs {@code hook} whenever a wait for a run of an access holding a frame starts (null: none). */
    public static void onRunWait(Epc epc, Runnable hook) {
        epc.runs().onWait = hook;
    }

    /** The lines of the host page that may be non-zero. */
    public static long dirty(EpcFrame f) {
        return (long) FrameChunk.LONGS.getVolatile(f.chunk().dirty, f.index());
    }

    public static void setDirty(EpcFrame f, long dirty) {
        FrameChunk.LONGS.setVolatile(f.chunk().dirty, f.index(), dirty);
    }
}
