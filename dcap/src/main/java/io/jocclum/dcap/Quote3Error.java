package io.jocclum.dcap;

/**
 * The {@code quote3_error_t} values Intel's quote verification returns alongside the verdict
 * ({@code sgx_ql_lib_common.h} in Intel SGX DCAP): {@link #SUCCESS} for non-terminal verdicts, an
 * error naming the failed check otherwise.
 */
public enum Quote3Error {
    SUCCESS(0x0000),
    ERROR_UNEXPECTED(0xE001),
    QUOTE_FORMAT_UNSUPPORTED(0xE01D),
    QE_REPORT_INVALID_SIGNATURE(0xE01F),
    PCK_CERT_UNSUPPORTED_FORMAT(0xE021),
    PCK_CERT_CHAIN_ERROR(0xE022),
    TCBINFO_MISMATCH(0xE024),
    QEIDENTITY_MISMATCH(0xE026),
    PCK_REVOKED(0xE031),
    TCB_REVOKED(0xE032),
    CRL_UNSUPPORTED_FORMAT(0xE038),
    QEIDENTITY_CHAIN_ERROR(0xE039),
    TCBINFO_CHAIN_ERROR(0xE03A),
    TCB_NOT_SUPPORTED(0xE066),
    RESULT_INVALID_SIGNATURE(0xE068);

    private final int code;

    Quote3Error(int code) {
        this.code = code;
    }

    /** Intel's numeric code. */
    public int code() {
        return code;
    }

    /** The code as Intel writes it, e.g. {@code 0xE031}. */
    public String hex() {
        return String.format("0x%04X", code);
    }

    /** Intel's name, e.g. {@code SGX_QL_PCK_REVOKED}. */
    public String intelName() {
        return "SGX_QL_" + name();
    }
}
