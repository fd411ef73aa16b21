package io.jocclum.dcap.quote;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A 384-byte SGX enclave report body ({@code sgx_report_body_t} in Intel's {@code sgx_report.h}):
 * the ISV enclave's report in a quote, and the QE's report in its signature data. Integers are
 * little-endian.
 */
public final class ReportBody {
    /** Size of a report body in bytes. */
    public static final int SIZE = 384;
    /** ATTRIBUTES.FLAGS bit of debug enclaves. */
    public static final long FLAG_DEBUG = 0x02;

    private final byte[] raw;

    ReportBody(byte[] src, int off) {
        this.raw = Arrays.copyOfRange(src, off, off + SIZE);
    }

    /** Wraps a 384-byte report body. */
    public static ReportBody of(byte[] body) {
        if (body.length != SIZE) {
            throw new IllegalArgumentException("a report body is 384 bytes, not " + body.length);
        }
        return new ReportBody(body, 0);
    }

    /** CPUSVN (16 bytes). */
    public byte[] cpuSvn() {
        return range(0, 16);
    }

    /** MISCSELECT. */
    public long miscSelect() {
        return Le.u32(raw, 16);
    }

    /** ISV extended product ID (16 bytes, KSS). */
    public byte[] isvExtProdId() {
        return range(32, 16);
    }

    /** ATTRIBUTES: FLAGS (8 bytes) then XFRM (8 bytes), as stored. */
    public byte[] attributes() {
        return range(48, 16);
    }

    /** ATTRIBUTES.FLAGS. */
    public long attributeFlags() {
        return Le.u64(raw, 48);
    }

    /** ATTRIBUTES.XFRM. */
    public long xfrm() {
        return Le.u64(raw, 56);
    }

    /** True when the DEBUG attribute is set. */
    public boolean debug() {
        return (attributeFlags() & FLAG_DEBUG) != 0;
    }

    /** MRENCLAVE (32 bytes). */
    public byte[] mrEnclave() {
        return range(64, 32);
    }

    /** MRSIGNER (32 bytes). */
    public byte[] mrSigner() {
        return range(128, 32);
    }

    /** CONFIGID (64 bytes, KSS). */
    public byte[] configId() {
        return range(192, 64);
    }

    /** ISVPRODID. */
    public int isvProdId() {
        return Le.u16(raw, 256);
    }

    /** ISVSVN. */
    public int isvSvn() {
        return Le.u16(raw, 258);
    }

    /** CONFIGSVN (KSS). */
    public int configSvn() {
        return Le.u16(raw, 260);
    }

    /** ISV family ID (16 bytes, KSS). */
    public byte[] isvFamilyId() {
        return range(304, 16);
    }

    /** REPORT DATA (64 bytes). */
    public byte[] reportData() {
        return range(320, 64);
    }

    /** The 384 bytes. */
    public byte[] raw() {
        return raw.clone();
    }

    private byte[] range(int off, int len) {
        return Arrays.copyOfRange(raw, off, off + len);
    }

    @Override
    public String toString() {
        HexFormat h = HexFormat.of();
        return "ReportBody[mrenclave=" + h.formatHex(mrEnclave()) + ", mrsigner=" + h.formatHex(mrSigner()) + ", isvProdId="
                + isvProdId() + ", isvSvn=" + isvSvn() + ", debug=" + debug() + "]";
    }
}
