package io.jocclum.sgx.arch;

import java.util.Arrays;

/**
 * REPORT (SDM Vol. 3D, 34.18; SDK {@code sgx_report_t}): 432 bytes. The 384-byte body: CPUSVN (0, 16),
 * MISCSELECT (16, 4), reserved (20, 12), ISVEXTPRODID (32, 16), ATTRIBUTES (48, 16), MRENCLAVE (64, 32),
 * reserved (96, 32), MRSIGNER (128, 32), reserved (160, 32), CONFIGID (192, 64), ISVPRODID (256, 2),
 * ISVSVN (258, 2), CONFIGSVN (260, 2), reserved (262, 42), ISVFAMILYID (304, 16), REPORTDATA (320, 64);
 * then KEYID (384, 32) and the AES-CMAC of the body under the target's REPORT key, MAC (416, 16).
 */
public record Report(byte[] cpuSvn, int miscSelect, byte[] isvExtProdId, Attributes attributes, byte[] mrEnclave,
                     byte[] mrSigner, byte[] configId, int isvProdId, int isvSvn, int configSvn, byte[] isvFamilyId,
                     byte[] reportData, byte[] keyId, byte[] mac) {
    public static final int SIZE = 432;
    public static final int BODY_SIZE = 384;

    public Report {
        cpuSvn = Fields.check("CPUSVN", cpuSvn, 16);
        isvExtProdId = Fields.check("ISVEXTPRODID", isvExtProdId, 16);
        mrEnclave = Fields.check("MRENCLAVE", mrEnclave, 32);
        mrSigner = Fields.check("MRSIGNER", mrSigner, 32);
        configId = Fields.check("CONFIGID", configId, 64);
        isvFamilyId = Fields.check("ISVFAMILYID", isvFamilyId, 16);
        reportData = Fields.check("REPORTDATA", reportData, 64);
        keyId = Fields.check("KEYID", keyId, 32);
        mac = Fields.check("MAC", mac, 16);
    }

    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        System.arraycopy(cpuSvn, 0, b, 0, 16);
        LittleEndian.put(b, 16, miscSelect, 4);
        System.arraycopy(isvExtProdId, 0, b, 32, 16);
        Fields.putAttributes(b, 48, attributes);
        System.arraycopy(mrEnclave, 0, b, 64, 32);
        System.arraycopy(mrSigner, 0, b, 128, 32);
        System.arraycopy(configId, 0, b, 192, 64);
        LittleEndian.put(b, 256, isvProdId, 2);
        LittleEndian.put(b, 258, isvSvn, 2);
        LittleEndian.put(b, 260, configSvn, 2);
        System.arraycopy(isvFamilyId, 0, b, 304, 16);
        System.arraycopy(reportData, 0, b, 320, 64);
        System.arraycopy(keyId, 0, b, 384, 32);
        System.arraycopy(mac, 0, b, 416, 16);
        return b;
    }

    /** The bytes the MAC covers: the 384-byte body. */
    public byte[] bodyBytes() {
        return Arrays.copyOf(toBytes(), BODY_SIZE);
    }

    public static Report parse(byte[] b) {
        if (b.length != SIZE) {
            throw new IllegalArgumentException("a REPORT has 432 bytes, got " + b.length);
        }
        return new Report(Fields.copy(b, 0, 16), LittleEndian.getInt(b, 16), Fields.copy(b, 32, 16),
                Fields.attributes(b, 48), Fields.copy(b, 64, 32), Fields.copy(b, 128, 32), Fields.copy(b, 192, 64),
                LittleEndian.getUnsignedShort(b, 256), LittleEndian.getUnsignedShort(b, 258),
                LittleEndian.getUnsignedShort(b, 260), Fields.copy(b, 304, 16), Fields.copy(b, 320, 64),
                Fields.copy(b, 384, 32), Fields.copy(b, 416, 16));
    }
}
