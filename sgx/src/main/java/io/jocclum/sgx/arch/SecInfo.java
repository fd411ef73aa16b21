package io.jocclum.sgx.arch;

/**
 * SECINFO (SDM Vol. 3D, 34.11): the security attributes of an EPC page as passed to EADD, EAUG,
 * EACCEPT, EMODPR, EMODPE and EMODT. Only the 64-bit FLAGS field carries information; the other
 * 56 bytes are reserved and must be zero.
 *
 * <p>FLAGS bits: R (0), W (1), X (2), PENDING (3), MODIFIED (4), PR (5), PAGE_TYPE (15:8).
 */
public record SecInfo(long flags) {

    public static final long R = 1L;
    public static final long W = 1L << 1;
    public static final long X = 1L << 2;
    public static final long PENDING = 1L << 3;
    public static final long MODIFIED = 1L << 4;
    public static final long PR = 1L << 5;
    /** Mask of the permission bits R, W, X. */
    public static final long PERM_MASK = R | W | X;
    private static final long PAGE_TYPE_SHIFT = 8;
    private static final long PAGE_TYPE_MASK = 0xFFL << PAGE_TYPE_SHIFT;
    /** Bits that are reserved in FLAGS (everything above bit 15 and bits 6,7). */
    public static final long RESERVED_MASK = ~(PERM_MASK | PENDING | MODIFIED | PR | PAGE_TYPE_MASK);

    /** Size of the SECINFO structure in bytes. */
    public static final int SIZE = 64;

    public static SecInfo of(PageType type, long perms) {
        if ((perms & ~PERM_MASK) != 0) {
            throw new IllegalArgumentException("permission bits must be within R|W|X, got 0x" + Long.toHexString(perms));
        }
        return new SecInfo(perms | ((long) type.encoding() << PAGE_TYPE_SHIFT));
    }

    public static SecInfo of(PageType type, long perms, long stateBits) {
        return new SecInfo(of(type, perms).flags | stateBits);
    }

    /** A regular page with the given permissions. */
    public static SecInfo reg(long perms) {
        return of(PageType.REG, perms);
    }

    public long perms() {
        return flags & PERM_MASK;
    }

    public int pageTypeEncoding() {
        return (int) ((flags & PAGE_TYPE_MASK) >>> PAGE_TYPE_SHIFT);
    }

    /** The page type; {@code IllegalArgumentException} if the field holds a reserved value. */
    public PageType pageType() {
        return PageType.fromEncoding(pageTypeEncoding());
    }

    public boolean has(long bit) {
        return (flags & bit) == bit;
    }

    public boolean reservedBitsSet() {
        return (flags & RESERVED_MASK) != 0;
    }

    /** The 64-byte structure: FLAGS little-endian, the rest zero. */
    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        LittleEndian.putLong(b, 0, flags);
        return b;
    }

    /** "R-X", "RW-" ... as in /proc/PID/maps. */
    public static String permString(long perms) {
        return ((perms & R) != 0 ? "R" : "-") + ((perms & W) != 0 ? "W" : "-") + ((perms & X) != 0 ? "X" : "-");
    }

    @Override
    public String toString() {
        String type;
        try {
            type = pageType().name();
        } catch (IllegalArgumentException e) {
            type = "PT" + pageTypeEncoding();
        }
        return "SecInfo[" + type + " " + permString(perms()) + (has(PENDING) ? " PENDING" : "")
                + (has(MODIFIED) ? " MODIFIED" : "") + (has(PR) ? " PR" : "") + "]";
    }
}
