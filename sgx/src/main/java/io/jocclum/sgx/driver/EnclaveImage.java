package io.jocclum.sgx.driver;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.measure.MeasurementBuilder;
import io.jocclum.sgx.measure.SigStruct;

import java.security.interfaces.RSAPrivateCrtKey;
import java.util.List;

/**
 * What is loaded into an enclave at build time: the SECS parameters and the pages to EADD, in
 * order, each measured (EEXTEND) or not. {@link #mrEnclave()} computes MRENCLAVE from the layout
 * with the same {@link MeasurementBuilder} the CPU feeds from ECREATE/EADD/EEXTEND, which is how a
 * build tool predicts it.
 *
 * @param base         SECS.BASEADDR (naturally aligned to size)
 * @param size         SECS.SIZE (a power of two)
 * @param ssaFrameSize SECS.SSAFRAMESIZE in pages
 * @param attributes   SECS.ATTRIBUTES
 * @param miscSelect   SECS.MISCSELECT
 * @param segments     the page ranges to add, in order
 */
public record EnclaveImage(long base, long size, int ssaFrameSize, Attributes attributes, int miscSelect,
                           List<Segment> segments) {

    /**
     * A page-aligned range added with one SECINFO.
     *
     * @param offset   offset in ELRANGE
     * @param length   bytes (a multiple of 4096)
     * @param secInfo  SECINFO of every page
     * @param data     contents ({@code length} bytes), or null for zero pages
     * @param measured EEXTEND the pages
     */
    public record Segment(long offset, long length, SecInfo secInfo, byte[] data, boolean measured) {
        public Segment {
            if ((offset & 0xFFF) != 0 || length <= 0 || (length & 0xFFF) != 0) {
                throw new IllegalArgumentException("segment at 0x" + Long.toHexString(offset) + " of " + length
                        + " bytes is not a page-aligned range");
            }
            if (data != null && data.length != length) {
                throw new IllegalArgumentException("segment data has " + data.length + " bytes, length is " + length);
            }
        }
    }

    public EnclaveImage {
        segments = List.copyOf(segments);
    }

    /** The 4096-byte SECS for SGX_IOC_ENCLAVE_CREATE. */
    public byte[] secs() {
        return Secs.forCreate(base, size, ssaFrameSize, miscSelect, attributes).toBytes();
    }

    /** MRENCLAVE of this layout (SDM 38.3). */
    public byte[] mrEnclave() {
        MeasurementBuilder m = new MeasurementBuilder().ecreate(ssaFrameSize, size);
        byte[] zero = new byte[4096];
        for (Segment s : segments) {
            for (long off = 0; off < s.length(); off += 4096) {
                m.eadd(s.offset() + off, s.secInfo());
                if (s.measured()) {
                    byte[] page = zero;
                    if (s.data() != null) {
                        page = java.util.Arrays.copyOfRange(s.data(), (int) off, (int) off + 4096);
                    }
                    m.eextendPage(s.offset() + off, page);
                }
            }
        }
        return m.finish();
    }

    /** A SIGSTRUCT for this image signed with {@code key}, enforcing every attribute except DEBUG. */
    public SigStruct sign(RSAPrivateCrtKey key, int isvProdId, int isvSvn) {
        return SigStruct.unsigned(SigStruct.bcdDate(2026, 1, 1), miscSelect, 0xFFFFFFFF, new byte[16], attributes,
                Attributes.SDK_DEFAULT_MASK, mrEnclave(), new byte[16], isvProdId, isvSvn).sign(key);
    }
}
