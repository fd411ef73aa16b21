package io.jocclum.sgx.arch;

/**
 * TARGETINFO (SDM Vol. 3D, 34.17; SDK {@code sgx_target_info_t}): 512 bytes naming the enclave an
 * EREPORT is for. Layout: MEASUREMENT (0, 32), ATTRIBUTES (32, 16), reserved (48, 2), CONFIGSVN (50, 2),
 * MISCSELECT (52, 4), reserved (56, 8), CONFIGID (64, 64), reserved (128, 384).
 */
public record TargetInfo(byte[] mrEnclave, Attributes attributes, int configSvn, int miscSelect, byte[] configId) {
    public static final int SIZE = 512;

    public TargetInfo {
        mrEnclave = Fields.check("MEASUREMENT", mrEnclave, 32);
        configId = Fields.check("CONFIGID", configId, 64);
    }

    /** The TARGETINFO of the enclave that produced {@code report} (what the SDK's sgx_self_target does). */
    public static TargetInfo of(Report report) {
        return new TargetInfo(report.mrEnclave(), report.attributes(), report.configSvn(), report.miscSelect(),
                report.configId());
    }

    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        System.arraycopy(mrEnclave, 0, b, 0, 32);
        Fields.putAttributes(b, 32, attributes);
        LittleEndian.put(b, 50, configSvn, 2);
        LittleEndian.put(b, 52, miscSelect, 4);
        System.arraycopy(configId, 0, b, 64, 64);
        return b;
    }

    public static TargetInfo parse(byte[] b) {
        if (b.length != SIZE) {
            throw new IllegalArgumentException("a TARGETINFO has 512 bytes, got " + b.length);
        }
        return new TargetInfo(Fields.copy(b, 0, 32), Fields.attributes(b, 32), LittleEndian.getUnsignedShort(b, 50),
                LittleEndian.getInt(b, 52), Fields.copy(b, 64, 64));
    }
}
