package io.jocclum.sgx.image;

import io.jocclum.sgx.arch.SecInfo;

/**
 * Receives the leaf sequence of loading an image from {@link EnclaveImage#load}: one
 * {@link #ecreate}, then for every page, in segment order, one {@link #eadd} followed (for measured
 * pages) by sixteen {@link #eextend} calls for its 256-byte chunks in ascending order.
 * {@link EnclaveImage#mrEnclave} drives the SDM hash from it.
 */
public interface LoadSink {

    void ecreate(SecsParams secs);

    /**
     * EADD of the page at {@code offset}. {@code page} holds its 4096 bytes; it is valid only
     * during the call and must not be modified (the caller reuses it).
     */
    void eadd(long offset, SecInfo secInfo, byte[] page);

    /** EEXTEND of the 256 bytes {@code page[from, from+256)} at {@code offset}, a chunk of the page just added. */
    void eextend(long offset, byte[] page, int from);
}
