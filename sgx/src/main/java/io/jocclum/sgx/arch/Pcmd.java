package io.jocclum.sgx.arch;

/**
 * PCMD, the Paging Crypto MetaData EWB writes next to an evicted page (SDM Vol. 3D, 34.20):
 * 128 bytes, SECINFO (0, 64), ENCLAVEID (64, 8), reserved (72, 40), MAC (112, 16). Linux stores 32
 * of them per 4 KiB backing page after the enclave's contents ({@code sgx_encl_get_backing_page_pcmd_offset}).
 */
public final class Pcmd {
    public static final int SIZE = 128;
    public static final int OFF_SECINFO = 0;
    public static final int OFF_ENCLAVEID = 64;
    public static final int OFF_MAC = 112;
    public static final int MAC_SIZE = 16;
    /** PCMD entries per backing page. */
    public static final int PER_PAGE = Pages.SIZE / SIZE;

    private Pcmd() {
    }

    public static long secInfoFlags(byte[] page, int at) {
        return LittleEndian.getLong(page, at + OFF_SECINFO);
    }

    public static long enclaveId(byte[] page, int at) {
        return LittleEndian.getLong(page, at + OFF_ENCLAVEID);
    }

    public static void write(byte[] page, int at, long secInfoFlags, long enclaveId) {
        java.util.Arrays.fill(page, at, at + SIZE, (byte) 0);
        LittleEndian.putLong(page, at + OFF_SECINFO, secInfoFlags);
        LittleEndian.putLong(page, at + OFF_ENCLAVEID, enclaveId);
    }

    /** True if the reserved parts (SECINFO bytes 8..63 and 72..111) are zero. */
    public static boolean reservedFieldsZero(byte[] page, int at) {
        return Fields.allZero(page, at + 8, 56) && Fields.allZero(page, at + 72, 40);
    }
}
