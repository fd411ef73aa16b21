package io.jocclum.libos.layout;

import io.jocclum.sgx.arch.Attributes;

/**
 * The ECREATE inputs of the layout: SECS.SIZE (a power of two), SSAFRAMESIZE in pages,
 * ATTRIBUTES and MISCSELECT. SECS.BASEADDR is the driver's choice at load time; everything in the
 * layout is relative to it.
 */
public record Secs(long size, int ssaFrameSize, Attributes attributes, int miscSelect) {
    public Secs {
        if (Long.bitCount(size) != 1 || size < 2 * 4096) {
            throw new IllegalArgumentException("SECS.SIZE " + size + " is not a power of two of at least two pages");
        }
        if (ssaFrameSize < 1) {
            throw new IllegalArgumentException("SSAFRAMESIZE must be at least one page, got " + ssaFrameSize);
        }
    }
}
