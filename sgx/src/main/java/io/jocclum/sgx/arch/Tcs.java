package io.jocclum.sgx.arch;

/**
 * TCS, the thread control structure (SDM Vol. 3D, 34.8): the checks EADD and EACCEPT (after EMODT to
 * PT_TCS) apply to its 4096 bytes. Layout: STAGE (0, 8, reserved), FLAGS (8, 8: DBGOPTIN bit 0,
 * AEXNOTIFY bit 1), OSSA (16, 8), CSSA (24, 4), NSSA (28, 4), OENTRY (32, 8), AEP (40, 8, reserved),
 * OFSBASE (48, 8), OGSBASE (56, 8), FSLIMIT (64, 4), GSLIMIT (68, 4), reserved (72, 4024).
 */
public final class Tcs {
    public static final long FLAG_DBGOPTIN = 1L;
    public static final long FLAG_AEXNOTIFY = 1L << 1;

    private Tcs() {
    }

    /** A TCS image with the given fields, limits 0xFFFFFFFF as the SDK writes them. */
    public static byte[] image(long ossa, int nssa, long oentry, long ofsbase, long ogsbase) {
        byte[] b = new byte[Pages.SIZE];
        LittleEndian.putLong(b, 16, ossa);
        LittleEndian.put(b, 28, nssa, 4);
        LittleEndian.putLong(b, 32, oentry);
        LittleEndian.putLong(b, 48, ofsbase);
        LittleEndian.putLong(b, 56, ogsbase);
        LittleEndian.put(b, 64, 0xFFFFFFFFL, 4);
        LittleEndian.put(b, 68, 0xFFFFFFFFL, 4);
        return b;
    }

    /**
     * The EADD checks on a TCS page (SDM EADD "check TCS"): reserved FLAGS bits and fields zero, CSSA
     * zero, OSSA/OFSBASE/OGSBASE page aligned, FSLIMIT/GSLIMIT ending in 0xFFF. Returns null if the TCS
     * is well formed, else what is wrong.
     */
    public static String check(byte[] b) {
        long flags = LittleEndian.getLong(b, 8);
        if ((flags & ~(FLAG_DBGOPTIN | FLAG_AEXNOTIFY)) != 0) {
            return "reserved TCS.FLAGS bits set";
        }
        if (LittleEndian.get(b, 24, 4) != 0) {
            return "TCS.CSSA is not 0";
        }
        if (!Pages.isAligned(LittleEndian.getLong(b, 16)) || !Pages.isAligned(LittleEndian.getLong(b, 48))
                || !Pages.isAligned(LittleEndian.getLong(b, 56))) {
            return "TCS.OSSA, OFSBASE or OGSBASE is not page aligned";
        }
        if ((LittleEndian.get(b, 64, 4) & 0xFFF) != 0xFFF || (LittleEndian.get(b, 68, 4) & 0xFFF) != 0xFFF) {
            return "TCS.FSLIMIT or GSLIMIT does not end in 0xFFF";
        }
        if (!Fields.allZero(b, 0, 8) || !Fields.allZero(b, 72, Pages.SIZE - 72)) {
            return "reserved TCS fields are not zero";
        }
        return null;
    }
}
