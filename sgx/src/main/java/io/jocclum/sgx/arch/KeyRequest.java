package io.jocclum.sgx.arch;

/**
 * KEYREQUEST (SDM Vol. 3D, 34.19; SDK {@code sgx_key_request_t}): 512 bytes. Layout: KEYNAME (0, 2),
 * KEYPOLICY (2, 2), ISVSVN (4, 2), reserved (6, 2), CPUSVN (8, 16), ATTRIBUTEMASK (24, 16), KEYID (40, 32),
 * MISCMASK (72, 4), CONFIGSVN (76, 2), reserved (78, 434).
 */
public record KeyRequest(int keyName, int keyPolicy, int isvSvn, byte[] cpuSvn, Attributes attributeMask,
                         byte[] keyId, int miscMask, int configSvn) {
    public static final int SIZE = 512;

    /** KEYNAME values (SDM table 34-39). */
    public static final int EINITTOKEN_KEY = 0;
    public static final int PROVISION_KEY = 1;
    public static final int PROVISION_SEAL_KEY = 2;
    public static final int REPORT_KEY = 3;
    public static final int SEAL_KEY = 4;

    /** KEYPOLICY bits (SDM table 34-40). */
    public static final int POLICY_MRENCLAVE = 0x1;
    public static final int POLICY_MRSIGNER = 0x2;
    public static final int POLICY_NOISVPRODID = 0x4;
    public static final int POLICY_CONFIGID = 0x8;
    public static final int POLICY_ISVFAMILYID = 0x10;
    public static final int POLICY_ISVEXTPRODID = 0x20;
    /** Bits 15:6 of KEYPOLICY are reserved. */
    public static final int POLICY_RESERVED = 0xFFC0;

    public KeyRequest {
        cpuSvn = Fields.check("CPUSVN", cpuSvn, 16);
        keyId = Fields.check("KEYID", keyId, 32);
    }

    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        LittleEndian.put(b, 0, keyName, 2);
        LittleEndian.put(b, 2, keyPolicy, 2);
        LittleEndian.put(b, 4, isvSvn, 2);
        System.arraycopy(cpuSvn, 0, b, 8, 16);
        Fields.putAttributes(b, 24, attributeMask);
        System.arraycopy(keyId, 0, b, 40, 32);
        LittleEndian.put(b, 72, miscMask, 4);
        LittleEndian.put(b, 76, configSvn, 2);
        return b;
    }

    public static KeyRequest parse(byte[] b) {
        if (b.length != SIZE) {
            throw new IllegalArgumentException("a KEYREQUEST has 512 bytes, got " + b.length);
        }
        return new KeyRequest(LittleEndian.getUnsignedShort(b, 0), LittleEndian.getUnsignedShort(b, 2),
                LittleEndian.getUnsignedShort(b, 4), Fields.copy(b, 8, 16), Fields.attributes(b, 24),
                Fields.copy(b, 40, 32), LittleEndian.getInt(b, 72), LittleEndian.getUnsignedShort(b, 76));
    }

    /** True if the reserved fields of an encoded KEYREQUEST are zero (EGETKEY raises #GP otherwise). */
    public static boolean reservedFieldsZero(byte[] b) {
        return Fields.allZero(b, 6, 2) && Fields.allZero(b, 78, SIZE - 78);
    }
}
