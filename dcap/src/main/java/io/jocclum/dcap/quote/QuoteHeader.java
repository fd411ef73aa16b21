package io.jocclum.dcap.quote;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 48-byte quote header (Intel SGX ECDSA Quote Library API, "Quote Header"; {@code sgx_quote_3.h}
 * {@code sgx_quote_header_t}).
 */
public final class QuoteHeader {
    /** Size of the header in bytes. */
    public static final int SIZE = 48;
    /** Intel's QE vendor ID (the only one accepted). */
    public static final String INTEL_QE_VENDOR_ID = "939a7233f79c4ca9940a0db3957f0607";
    /** Attestation key type 2: ECDSA-256 with P-256. */
    public static final int ECDSA_256_P256 = 2;
    /** TEE type of SGX quotes. */
    public static final int TEE_SGX = 0;
    /** TEE type of TDX quotes. */
    public static final int TEE_TDX = 0x81;

    private final byte[] raw;

    QuoteHeader(byte[] quote) {
        this.raw = Arrays.copyOf(quote, SIZE);
    }

    /** Quote version (3 or 4). */
    public int version() {
        return Le.u16(raw, 0);
    }

    /** Attestation key type (2 = ECDSA-256 with P-256). */
    public int attestationKeyType() {
        return Le.u16(raw, 2);
    }

    /** TEE type (v4; 0 in v3 where the field is reserved): 0 SGX, 0x81 TDX. */
    public long teeType() {
        return Le.u32(raw, 4);
    }

    /** ISVSVN of the QE that made the quote. */
    public int qeSvn() {
        return Le.u16(raw, 8);
    }

    /** ISVSVN of the PCE. */
    public int pceSvn() {
        return Le.u16(raw, 10);
    }

    /** QE vendor ID (16 bytes). */
    public byte[] qeVendorId() {
        return Arrays.copyOfRange(raw, 12, 28);
    }

    /** User data (20 bytes; for Intel's QE the first 16 identify the platform's QE). */
    public byte[] userData() {
        return Arrays.copyOfRange(raw, 28, 48);
    }

    /** The 48 header bytes. */
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public String toString() {
        return "QuoteHeader[version=" + version() + ", attestationKeyType=" + attestationKeyType() + ", teeType=" + teeType()
                + ", qeSvn=" + qeSvn() + ", pceSvn=" + pceSvn() + ", qeVendorId=" + HexFormat.of().formatHex(qeVendorId()) + "]";
    }
}
