package io.jocclum.sgx.arch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * PCMD, the Paging Crypto MetaData EWB writes next to an evicted page (SDM Vol. 3D, 34.20):
 * 128 bytes, SECINFO (0, 64), ENCLAVEID (64, 8), reserved (72, 40), MAC (112, 16). Linux stores 32
 * of them per 4 KiB backing page after the enclave's contents ({@code sgx_encl_get_backing_page_pcmd_offset}).
 * The accessors take the backing page as an array or as a segment (a page outside the heap).
 */
public final class Pcmd {
    public static final int SIZE = 128;
    public static final int OFF_SECINFO = 0;
    public static final int OFF_ENCLAVEID = 64;
    public static final int OFF_MAC = 112;
    public static final int MAC_SIZE = 16;
    /** PCMD entries per backing page. */
    public static final int PER_PAGE = Pages.SIZE / SIZE;

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Pcmd() {
    }

    public static long secInfoFlags(byte[] page, int at) {
        return secInfoFlags(MemorySegment.ofArray(page), at);
    }

    public static long secInfoFlags(MemorySegment page, long at) {
        return page.get(LE_LONG, at + OFF_SECINFO);
    }

    public static long enclaveId(byte[] page, int at) {
        return enclaveId(MemorySegment.ofArray(page), at);
    }

    public static long enclaveId(MemorySegment page, long at) {
        return page.get(LE_LONG, at + OFF_ENCLAVEID);
    }

    public static void write(byte[] page, int at, long secInfoFlags, long enclaveId) {
        write(MemorySegment.ofArray(page), at, secInfoFlags, enclaveId);
    }

    public static void write(MemorySegment page, long at, long secInfoFlags, long enclaveId) {
        clear(page, at);
        page.set(LE_LONG, at + OFF_SECINFO, secInfoFlags);
        page.set(LE_LONG, at + OFF_ENCLAVEID, enclaveId);
    }

    /** Zeroes the 128 bytes of the PCMD at {@code at} (in place: no slice of the page is made). */
    public static void clear(MemorySegment page, long at) {
        for (long i = at; i < at + SIZE; i += Long.BYTES) {
            page.set(LE_LONG, i, 0L);
        }
    }

    /** True if the reserved parts (SECINFO bytes 8..63 and 72..111) are zero. */
    public static boolean reservedFieldsZero(byte[] page, int at) {
        return reservedFieldsZero(MemorySegment.ofArray(page), at);
    }

    /** True if the reserved parts (SECINFO bytes 8..63 and 72..111) are zero. */
    public static boolean reservedFieldsZero(MemorySegment page, long at) {
        return allZero(page, at + 8, 56) && allZero(page, at + 72, 40);
    }

    private static boolean allZero(MemorySegment s, long from, int len) {
        for (long i = from; i < from + len; i += Long.BYTES) {
            if (s.get(LE_LONG, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
