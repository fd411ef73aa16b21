package io.jocclum.sgx.arch;

/**
 * SECS.ATTRIBUTES (SDM Vol. 3D, 34.7.1): the 64-bit FLAGS word and XFRM.
 *
 * @param flags INIT (0), DEBUG (1), MODE64BIT (2), PROVISIONKEY (4), EINITTOKEN_KEY (5),
 *              CET (6), KSS (7), AEXNOTIFY (10)
 * @param xfrm  the XSAVE feature request mask
 */
public record Attributes(long flags, long xfrm) {
    public static final long INIT = 1L;
    public static final long DEBUG = 1L << 1;
    public static final long MODE64BIT = 1L << 2;
    public static final long PROVISIONKEY = 1L << 4;
    public static final long EINITTOKEN_KEY = 1L << 5;
    public static final long CET = 1L << 6;
    public static final long KSS = 1L << 7;
    public static final long AEXNOTIFY = 1L << 10;

    /** x87 and SSE state: the XFRM every 64-bit enclave must request (SDK default is 3). */
    public static final long XFRM_LEGACY = 0x3L;

    /**
     * The attribute mask the Intel SGX SDK signer puts in SIGSTRUCT by default, as sgx_sign's
     * metadata dump shows it: flags 0xFFFFFFFFFFFFFFFB (every bit but bit 2, MODE64BIT, is
     * enforced; DEBUG is enforced too, so a debug signature only admits debug enclaves) and XFRM
     * 0xFFFFFFFFFFF9FF1B.
     */
    public static final Attributes SDK_DEFAULT_MASK = new Attributes(0xFFFFFFFFFFFFFFFBL, 0xFFFFFFFFFFF9FF1BL);

    public boolean has(long bit) {
        return (flags & bit) == bit;
    }

    public Attributes with(long bit) {
        return new Attributes(flags | bit, xfrm);
    }

    /** 16 bytes: FLAGS then XFRM, both little-endian. */
    public byte[] toBytes() {
        return LittleEndian.bytes(flags, xfrm);
    }
}
