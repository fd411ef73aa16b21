package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.SecInfo;

/**
 * Read-only inspection of the platform's EPCM and page contents, used by the invariant checker
 * to compare the VM's view (commit tracker, VMA permissions, clean-on-free) with the hardware.
 * The fake enclave implements it; {@link EnclaveEpcmView} adapts the simulated SGX platform.
 */
public interface EpcmView {

    /** The EPCM entry of the page at {@code address}. */
    record Entry(boolean valid, SecInfo flags) {
        public static final Entry ABSENT = new Entry(false, new SecInfo(0));
    }

    Entry entry(long address);

    /** True if the page at {@code address} holds only zero bytes (reads the page without EPCM checks). */
    boolean pageIsZero(long address);

    /** Number of valid EPC pages in [start, end). */
    long countValid(long start, long end);
}
