package io.jocclum.sgx.enclave;

import io.jocclum.sgx.epc.EpcPage;

/**
 * {@code struct sgx_va_page}: an EPC page of type PT_VA with a bitmap of its 512 slots
 * (SGX_VA_SLOT_COUNT). Guarded by the enclave lock.
 */
final class VaPage {
    /** SGX_VA_SLOT_COUNT (sgx.h): 512 eight-byte versions per VA page. */
    static final int SLOTS = 512;

    EpcPage epcPage;
    private final long[] bitmap = new long[SLOTS / 64];
    private int used;
    VaPage prev;
    VaPage next;

    /** {@code sgx_alloc_va_slot}: the first free slot; the caller checked {@link #isFull()}. */
    int allocSlot() {
        for (int w = 0; w < bitmap.length; w++) {
            if (bitmap[w] != -1L) {
                int b = Long.numberOfTrailingZeros(~bitmap[w]);
                bitmap[w] |= 1L << b;
                used++;
                return w * 64 + b;
            }
        }
        throw new IllegalStateException("VA page is full");
    }

    /** {@code sgx_free_va_slot}. */
    void freeSlot(int slot) {
        long bit = 1L << (slot & 63);
        if ((bitmap[slot >>> 6] & bit) == 0) {
            throw new IllegalStateException("VA slot " + slot + " is not allocated");
        }
        bitmap[slot >>> 6] &= ~bit;
        used--;
    }

    boolean isUsed(int slot) {
        return (bitmap[slot >>> 6] & (1L << (slot & 63))) != 0;
    }

    /** {@code sgx_va_page_full}. */
    boolean isFull() {
        return used == SLOTS;
    }

    int used() {
        return used;
    }
}
