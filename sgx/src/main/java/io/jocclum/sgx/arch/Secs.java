package io.jocclum.sgx.arch;

/**
 * SECS (SDM Vol. 3D, 34.7, table "Layout of Enclave Control Structure"): the 4096-byte structure
 * user space hands to ECREATE (through SGX_IOC_ENCLAVE_CREATE) and the architectural part of the
 * SECS page. Layout (offset, size), as Linux's {@code struct sgx_secs}: SIZE (0, 8), BASEADDR (8, 8),
 * SSAFRAMESIZE (16, 4, in pages), MISCSELECT (20, 4), reserved (24, 24), ATTRIBUTES (48, 16),
 * MRENCLAVE (64, 32), reserved (96, 32), MRSIGNER (128, 32), reserved (160, 32), CONFIGID (192, 64),
 * ISVPRODID (256, 2), ISVSVN (258, 2), CONFIGSVN (260, 2), reserved (262, 3834).
 */
public record Secs(long size, long baseAddr, int ssaFrameSize, int miscSelect, Attributes attributes,
                   byte[] mrEnclave, byte[] mrSigner, byte[] configId, int isvProdId, int isvSvn, int configSvn) {
    public static final int SIZE = Pages.SIZE;
    static final int OFF_SIZE = 0;
    static final int OFF_BASE = 8;
    static final int OFF_SSA = 16;
    static final int OFF_MISC = 20;
    static final int OFF_ATTRIBUTES = 48;
    static final int OFF_MRENCLAVE = 64;
    static final int OFF_MRSIGNER = 128;
    static final int OFF_CONFIGID = 192;
    static final int OFF_ISVPRODID = 256;
    static final int OFF_ISVSVN = 258;
    static final int OFF_CONFIGSVN = 260;

    public Secs {
        mrEnclave = Fields.check("MRENCLAVE", mrEnclave, 32);
        mrSigner = Fields.check("MRSIGNER", mrSigner, 32);
        configId = Fields.check("CONFIGID", configId, 64);
    }

    /** The SECS user space passes to ECREATE: measurements zero, no KSS identity. */
    public static Secs forCreate(long baseAddr, long size, int ssaFrameSize, int miscSelect, Attributes attributes) {
        return new Secs(size, baseAddr, ssaFrameSize, miscSelect, attributes, new byte[32], new byte[32],
                new byte[64], 0, 0, 0);
    }

    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        LittleEndian.putLong(b, OFF_SIZE, size);
        LittleEndian.putLong(b, OFF_BASE, baseAddr);
        LittleEndian.put(b, OFF_SSA, ssaFrameSize, 4);
        LittleEndian.put(b, OFF_MISC, miscSelect, 4);
        Fields.putAttributes(b, OFF_ATTRIBUTES, attributes);
        System.arraycopy(mrEnclave, 0, b, OFF_MRENCLAVE, 32);
        System.arraycopy(mrSigner, 0, b, OFF_MRSIGNER, 32);
        System.arraycopy(configId, 0, b, OFF_CONFIGID, 64);
        LittleEndian.put(b, OFF_ISVPRODID, isvProdId, 2);
        LittleEndian.put(b, OFF_ISVSVN, isvSvn, 2);
        LittleEndian.put(b, OFF_CONFIGSVN, configSvn, 2);
        return b;
    }

    public static Secs parse(byte[] b) {
        if (b.length != SIZE) {
            throw new IllegalArgumentException("a SECS has 4096 bytes, got " + b.length);
        }
        return new Secs(LittleEndian.getLong(b, OFF_SIZE), LittleEndian.getLong(b, OFF_BASE),
                LittleEndian.getInt(b, OFF_SSA), LittleEndian.getInt(b, OFF_MISC), Fields.attributes(b, OFF_ATTRIBUTES),
                Fields.copy(b, OFF_MRENCLAVE, 32), Fields.copy(b, OFF_MRSIGNER, 32), Fields.copy(b, OFF_CONFIGID, 64),
                LittleEndian.getUnsignedShort(b, OFF_ISVPRODID), LittleEndian.getUnsignedShort(b, OFF_ISVSVN),
                LittleEndian.getUnsignedShort(b, OFF_CONFIGSVN));
    }

    /** True if every reserved byte of an encoded SECS is zero (ECREATE raises #GP otherwise). */
    public static boolean reservedFieldsZero(byte[] b) {
        return Fields.allZero(b, 24, 24) && Fields.allZero(b, 96, 32) && Fields.allZero(b, 160, 32)
                && Fields.allZero(b, 262, SIZE - 262);
    }
}
