package io.jocclum.dcap.quote;

import io.jocclum.dcap.QuoteFormatException;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A parsed SGX ECDSA quote, version 3 or 4, with an ECDSA-256 (P-256) attestation key and the PCK
 * certificate chain as certification data: type 5 in v3, type 6 (QE report certification data
 * holding the QE report, its signature, the QE authentication data and a type-5 chain) in v4.
 * Layout: Intel SGX ECDSA Quote Library API, appendix "Quote Format"; Intel's {@code sgx_quote_3.h}
 * and {@code sgx_quote_4.h}.
 *
 * <p>{@link #parse} checks the structure only (sizes, versions, types); nothing here is verified.
 * Anything else is refused with a {@link QuoteFormatException} naming the field and its offset,
 * never misparsed. Byte arrays returned are copies.
 */
public final class Quote {
    /** Offset of the ISV enclave report body. */
    public static final int BODY_OFFSET = QuoteHeader.SIZE;
    /** Offset of the signature data length (u32). */
    public static final int SIGNATURE_DATA_LENGTH_OFFSET = BODY_OFFSET + ReportBody.SIZE;
    /** Offset of the signature data. */
    public static final int SIGNATURE_DATA_OFFSET = SIGNATURE_DATA_LENGTH_OFFSET + 4;
    /** Certification data type of a PCK certificate chain (PEM). */
    public static final int CERT_PCK_CHAIN = 5;
    /** Certification data type of the QE report certification data (v4). */
    public static final int CERT_QE_REPORT = 6;
    /** Smallest v3 quote Intel's library accepts ({@code QUOTE_MIN_SIZE}). */
    public static final int V3_MIN_SIZE = 1020;

    private final byte[] raw;
    private final QuoteHeader header;
    private final ReportBody body;
    private final long signatureDataLength;
    private final int qeReportOffset;
    private final ReportBody qeReport;
    private final int qeReportSignatureOffset;
    private final int qeAuthDataOffset;
    private final int qeAuthDataSize;
    private final int certificationDataType;
    private final long certificationDataSize;
    private final int pckChainOffset;
    private final int pckChainSize;

    private Quote(byte[] raw, Parsed p) {
        this.raw = raw;
        this.header = new QuoteHeader(raw);
        this.body = new ReportBody(raw, BODY_OFFSET);
        this.signatureDataLength = Le.u32(raw, SIGNATURE_DATA_LENGTH_OFFSET);
        this.qeReportOffset = p.qeReportOffset;
        this.qeReport = new ReportBody(raw, p.qeReportOffset);
        this.qeReportSignatureOffset = p.qeReportOffset + ReportBody.SIZE;
        this.qeAuthDataOffset = p.qeAuthDataOffset;
        this.qeAuthDataSize = p.qeAuthDataSize;
        this.certificationDataType = p.certificationDataType;
        this.certificationDataSize = p.certificationDataSize;
        this.pckChainOffset = p.pckChainOffset;
        this.pckChainSize = p.pckChainSize;
    }

    private record Parsed(int qeReportOffset, int qeAuthDataOffset, int qeAuthDataSize, int certificationDataType,
                          long certificationDataSize, int pckChainOffset, int pckChainSize) {
    }

    /**
     * Parses a quote (the array is copied).
     *
     * @throws QuoteFormatException when the quote is truncated, a declared size does not match the
     *                              bytes present, or a version or type is not supported
     */
    public static Quote parse(byte[] quote) {
        byte[] q = quote.clone();
        Cursor c = new Cursor(q);
        c.need("header.version", 2);
        int version = Le.u16(q, 0);
        if (version != 3 && version != 4) {
            throw new QuoteFormatException("header.version", 0, "quote version " + version + " is not supported (supported: 3, 4)");
        }
        c.need("header", QuoteHeader.SIZE);
        int keyType = Le.u16(q, 2);
        if (keyType != QuoteHeader.ECDSA_256_P256) {
            throw new QuoteFormatException("header.attestation_key_type", 2, "attestation key type " + keyType
                    + (keyType == 3 ? " (ECDSA-384)" : "") + " is not supported (supported: 2, ECDSA-256 with P-256)");
        }
        long tee = Le.u32(q, 4);
        if (version == 3 && tee != 0) {
            throw new QuoteFormatException("header.reserved", 4, "the reserved bytes 4-7 of a version 3 quote are 0x"
                    + Long.toHexString(tee) + ", not 0");
        }
        if (tee != QuoteHeader.TEE_SGX) {
            throw new QuoteFormatException("header.tee_type", 4, "TEE type 0x" + Long.toHexString(tee)
                    + (tee == QuoteHeader.TEE_TDX ? " (TDX)" : "") + " is not supported (supported: 0, SGX)");
        }
        String vendor = HexFormat.of().formatHex(q, 12, 28);
        if (!vendor.equals(QuoteHeader.INTEL_QE_VENDOR_ID)) {
            throw new QuoteFormatException("header.qe_vendor_id", 12, "QE vendor ID " + vendor + " is not Intel's ("
                    + QuoteHeader.INTEL_QE_VENDOR_ID + ")");
        }
        c.pos = QuoteHeader.SIZE;
        c.skip("report_body", ReportBody.SIZE);
        long sigLen = c.u32("signature_data_len");
        long present = q.length - (long) SIGNATURE_DATA_OFFSET;
        if (sigLen != present) {
            throw new QuoteFormatException("signature_data_len", SIGNATURE_DATA_LENGTH_OFFSET, "signature data length "
                    + sigLen + " does not match the " + present + " bytes that follow it");
        }
        c.skip("signature_data.isv_report_signature", 64);
        c.skip("signature_data.attestation_key", 64);
        Parsed p;
        if (version == 3) {
            int qeReport = c.pos;
            c.skip("signature_data.qe_report", ReportBody.SIZE);
            c.skip("signature_data.qe_report_signature", 64);
            int authSize = c.u16("signature_data.qe_auth_data_size");
            int auth = c.pos;
            c.skip("signature_data.qe_auth_data", authSize);
            int typeOff = c.pos;
            int type = c.u16("signature_data.certification_data_type");
            long size = c.u32("signature_data.certification_data_size");
            checkType(type, CERT_PCK_CHAIN, "signature_data.certification_data_type", typeOff);
            int data = c.pos;
            c.rest("signature_data.certification_data", size, typeOff + 2);
            p = new Parsed(qeReport, auth, authSize, type, size, data, (int) size);
        } else {
            int typeOff = c.pos;
            int type = c.u16("signature_data.certification_data_type");
            long size = c.u32("signature_data.certification_data_size");
            checkType(type, CERT_QE_REPORT, "signature_data.certification_data_type", typeOff);
            int start = c.pos;
            c.rest("signature_data.certification_data", size, typeOff + 2);
            c.pos = start;
            String f = "qe_report_certification_data";
            int qeReport = c.pos;
            c.skip(f + ".qe_report", ReportBody.SIZE);
            c.skip(f + ".qe_report_signature", 64);
            int authSize = c.u16(f + ".qe_auth_data_size");
            int auth = c.pos;
            c.skip(f + ".qe_auth_data", authSize);
            int innerTypeOff = c.pos;
            int inner = c.u16(f + ".certification_data_type");
            long innerSize = c.u32(f + ".certification_data_size");
            checkType(inner, CERT_PCK_CHAIN, f + ".certification_data_type", innerTypeOff);
            int data = c.pos;
            c.rest(f + ".certification_data", innerSize, innerTypeOff + 2);
            p = new Parsed(qeReport, auth, authSize, type, size, data, (int) innerSize);
        }
        return new Quote(q, p);
    }

    private static void checkType(int type, int expected, String field, int off) {
        if (type == expected) {
            return;
        }
        String what = switch (type) {
            case 1 -> " (PPID in clear text)";
            case 2 -> " (PPID RSA-2048-OAEP encrypted)";
            case 3 -> " (PPID RSA-3072-OAEP encrypted)";
            case 4 -> " (PCK leaf certificate)";
            case 5 -> " (PCK certificate chain)";
            case 6 -> " (QE report certification data)";
            case 7 -> " (platform manifest)";
            default -> "";
        };
        throw new QuoteFormatException(field, off, "certification data type " + type + what + " is not supported here (expected "
                + expected + (expected == CERT_PCK_CHAIN ? ", PCK certificate chain" : ", QE report certification data") + ")");
    }

    /** Bounds-checked reader that names the field it failed on. */
    private static final class Cursor {
        final byte[] b;
        int pos;

        Cursor(byte[] b) {
            this.b = b;
        }

        void need(String field, long n) {
            if (n > b.length - (long) pos) {
                throw new QuoteFormatException(field, pos, "the quote is truncated: " + field + " needs " + n + " bytes but only "
                        + Math.max(0, b.length - pos) + " remain of " + b.length);
            }
        }

        void skip(String field, long n) {
            need(field, n);
            pos += (int) n;
        }

        int u16(String field) {
            need(field, 2);
            int v = Le.u16(b, pos);
            pos += 2;
            return v;
        }

        long u32(String field) {
            need(field, 4);
            long v = Le.u32(b, pos);
            pos += 4;
            return v;
        }

        /** The last item: exactly {@code n} bytes must remain (the size field, {@code field}_size, is at {@code sizeOff}). */
        void rest(String field, long n, int sizeOff) {
            long remain = b.length - (long) pos;
            if (n != remain) {
                throw new QuoteFormatException(field + "_size", sizeOff,
                        "certification data size " + n + " does not match the " + remain + " bytes present");
            }
            pos += (int) n;
        }
    }

    /** The header. */
    public QuoteHeader header() {
        return header;
    }

    /** The ISV enclave's report body. */
    public ReportBody body() {
        return body;
    }

    /** Quote version (3 or 4). */
    public int version() {
        return header.version();
    }

    /** Length of the signature data (bytes after offset 436). */
    public long signatureDataLength() {
        return signatureDataLength;
    }

    /** The bytes the attestation key signs: header and report body (offsets 0-431). */
    public byte[] signedData() {
        return Arrays.copyOfRange(raw, 0, SIGNATURE_DATA_LENGTH_OFFSET);
    }

    /** ISV report signature r‖s (64 bytes, big-endian coordinates). */
    public byte[] quoteSignature() {
        return Arrays.copyOfRange(raw, SIGNATURE_DATA_OFFSET, SIGNATURE_DATA_OFFSET + 64);
    }

    /** ECDSA attestation public key X‖Y (64 bytes). */
    public byte[] attestationKey() {
        return Arrays.copyOfRange(raw, SIGNATURE_DATA_OFFSET + 64, SIGNATURE_DATA_OFFSET + 128);
    }

    /** The QE's report body. */
    public ReportBody qeReport() {
        return qeReport;
    }

    /** Offset of the QE report body in the quote (564 in v3, 570 in v4). */
    public int qeReportOffset() {
        return qeReportOffset;
    }

    /** The 384 QE report bytes, signed by the PCK key. */
    public byte[] qeReportBytes() {
        return Arrays.copyOfRange(raw, qeReportOffset, qeReportOffset + ReportBody.SIZE);
    }

    /** QE report signature r‖s by the PCK key (64 bytes). */
    public byte[] qeReportSignature() {
        return Arrays.copyOfRange(raw, qeReportSignatureOffset, qeReportSignatureOffset + 64);
    }

    /** Offset of the QE report signature. */
    public int qeReportSignatureOffset() {
        return qeReportSignatureOffset;
    }

    /** QE authentication data. */
    public byte[] qeAuthData() {
        return Arrays.copyOfRange(raw, qeAuthDataOffset, qeAuthDataOffset + qeAuthDataSize);
    }

    /** Offset of the QE authentication data. */
    public int qeAuthDataOffset() {
        return qeAuthDataOffset;
    }

    /** Outer certification data type: 5 (v3) or 6 (v4). */
    public int certificationDataType() {
        return certificationDataType;
    }

    /** Size of the outer certification data. */
    public long certificationDataSize() {
        return certificationDataSize;
    }

    /** The PCK certificate chain as stored (PEM, usually NUL-terminated). */
    public byte[] pckCertChainPem() {
        return Arrays.copyOfRange(raw, pckChainOffset, pckChainOffset + pckChainSize);
    }

    /** Offset of the PCK certificate chain in the quote. */
    public int pckCertChainOffset() {
        return pckChainOffset;
    }

    /** Size of the PCK certificate chain data. */
    public int pckCertChainSize() {
        return pckChainSize;
    }

    /** Size of the quote in bytes. */
    public int size() {
        return raw.length;
    }

    /** The whole quote. */
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public String toString() {
        return "Quote[v" + version() + ", " + raw.length + " bytes, " + body + "]";
    }
}
