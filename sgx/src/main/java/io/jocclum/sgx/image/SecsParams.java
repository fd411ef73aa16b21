package io.jocclum.sgx.image;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.Secs;

/**
 * The ECREATE inputs of an {@link EnclaveImage}: SECS.SIZE (a power of two), SSAFRAMESIZE in
 * pages, ATTRIBUTES and MISCSELECT. SECS.BASEADDR is the loader's choice and not measured; every
 * offset of an image is relative to it.
 */
public record SecsParams(long size, int ssaFrameSize, Attributes attributes, int miscSelect) {
    public SecsParams {
        if (Long.bitCount(size) != 1 || size < 2 * Pages.SIZE) {
            throw new IllegalArgumentException("SECS.SIZE " + size + " is not a power of two of at least two pages");
        }
        if (ssaFrameSize < 1) {
            throw new IllegalArgumentException("SSAFRAMESIZE must be at least one page, got " + ssaFrameSize);
        }
    }

    /** The 4096-byte SECS for SGX_IOC_ENCLAVE_CREATE with SECS.BASEADDR {@code base}. */
    public byte[] secsPage(long base) {
        return Secs.forCreate(base, size, ssaFrameSize, miscSelect, attributes).toBytes();
    }
}
