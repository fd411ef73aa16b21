package io.jocclum.dcap;

/**
 * Which check decided a verification: the status of Intel's Quote Verification Library ({@code Status}
 * in QVL's {@code QuoteVerification.h}; names without the {@code STATUS_} prefix where QVL has one),
 * with the {@link Quote3Error} and {@link QvResult} Intel's QvE maps it to
 * ({@code status_error_to_quote3_error} and {@code status_error_to_ql_qve_result} in {@code qve.cpp}).
 */
public enum QvlStatus {
    /** Every check passed; the platform and QE TCB are up to date. */
    OK(Quote3Error.SUCCESS, QvResult.OK, "the quote verified and the platform's TCB is up to date"),
    TCB_SW_HARDENING_NEEDED(Quote3Error.SUCCESS, QvResult.SW_HARDENING_NEEDED,
            "the quote verified; the platform needs software hardening"),
    TCB_CONFIGURATION_NEEDED(Quote3Error.SUCCESS, QvResult.CONFIG_NEEDED,
            "the quote verified; the platform needs a configuration change"),
    TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED(Quote3Error.SUCCESS, QvResult.CONFIG_AND_SW_HARDENING_NEEDED,
            "the quote verified; the platform needs a configuration change and software hardening"),
    TCB_OUT_OF_DATE(Quote3Error.SUCCESS, QvResult.OUT_OF_DATE, "the quote verified; the platform's TCB is out of date"),
    TCB_OUT_OF_DATE_CONFIGURATION_NEEDED(Quote3Error.SUCCESS, QvResult.OUT_OF_DATE_CONFIG_NEEDED,
            "the quote verified; the platform's TCB is out of date and needs a configuration change"),
    TCB_REVOKED(Quote3Error.TCB_REVOKED, QvResult.REVOKED, "the platform's or the QE's TCB level is revoked"),
    TCB_NOT_SUPPORTED(Quote3Error.TCB_NOT_SUPPORTED, QvResult.UNSPECIFIED, "no TCB level matches the platform or the QE"),

    UNSUPPORTED_PCK_CERT_FORMAT(Quote3Error.PCK_CERT_UNSUPPORTED_FORMAT, QvResult.UNSPECIFIED,
            "the PCK certificate chain is not a 3-certificate P-256 chain with an SGX extension"),
    SGX_ROOT_CA_UNTRUSTED(Quote3Error.PCK_CERT_CHAIN_ERROR, QvResult.UNSPECIFIED,
            "the PCK certificate chain's root is not the trusted root"),
    SGX_ROOT_CA_INVALID(Quote3Error.PCK_CERT_CHAIN_ERROR, QvResult.UNSPECIFIED,
            "the PCK certificate chain's root is not a valid self-signed SGX Root CA"),
    SGX_INTERMEDIATE_CA_INVALID(Quote3Error.PCK_CERT_CHAIN_ERROR, QvResult.UNSPECIFIED,
            "the PCK certificate chain's intermediate CA is not signed by the root"),
    INVALID_PCK_CERT(Quote3Error.PCK_CERT_CHAIN_ERROR, QvResult.UNSPECIFIED,
            "the PCK certificate is not an SGX PCK Certificate signed by its CA"),
    SGX_CRL_UNKNOWN_ISSUER(Quote3Error.CRL_UNSUPPORTED_FORMAT, QvResult.UNSPECIFIED,
            "a CRL is not issued by the CA it must come from"),
    SGX_CRL_INVALID_EXTENSIONS(Quote3Error.CRL_UNSUPPORTED_FORMAT, QvResult.UNSPECIFIED,
            "a CRL lacks the CRL Number or Authority Key Identifier extension"),
    SGX_CRL_INVALID_SIGNATURE(Quote3Error.RESULT_INVALID_SIGNATURE, QvResult.INVALID_SIGNATURE,
            "a CRL's signature does not verify"),
    SGX_INTERMEDIATE_CA_REVOKED(Quote3Error.PCK_REVOKED, QvResult.REVOKED, "the root CA CRL revokes the PCK CA"),
    SGX_PCK_REVOKED(Quote3Error.PCK_REVOKED, QvResult.REVOKED, "the PCK CRL revokes the PCK certificate"),

    SGX_TCB_SIGNING_CERT_CHAIN_UNTRUSTED(Quote3Error.TCBINFO_CHAIN_ERROR, QvResult.UNSPECIFIED,
            "the TCB info issuer chain is not a TCB Signing certificate signed by the trusted root"),
    SGX_TCB_SIGNING_CERT_REVOKED(Quote3Error.PCK_REVOKED, QvResult.REVOKED, "the root CA CRL revokes the TCB Signing certificate"),
    TCB_INFO_INVALID_SIGNATURE(Quote3Error.TCBINFO_CHAIN_ERROR, QvResult.INVALID_SIGNATURE,
            "the TCB info's signature does not verify"),
    SGX_ENCLAVE_IDENTITY_CHAIN_UNTRUSTED(Quote3Error.QEIDENTITY_CHAIN_ERROR, QvResult.UNSPECIFIED,
            "the QE identity issuer chain is not a TCB Signing certificate signed by the trusted root"),
    SGX_ENCLAVE_IDENTITY_SIGNING_CERT_REVOKED(Quote3Error.PCK_REVOKED, QvResult.REVOKED,
            "the root CA CRL revokes the QE identity's signing certificate"),
    SGX_ENCLAVE_IDENTITY_INVALID_SIGNATURE(Quote3Error.QEIDENTITY_CHAIN_ERROR, QvResult.INVALID_SIGNATURE,
            "the QE identity's signature does not verify"),

    TCB_INFO_MISMATCH(Quote3Error.TCBINFO_MISMATCH, QvResult.UNSPECIFIED,
            "the TCB info is not for this quote's TEE, FMSPC or PCE-ID"),
    INVALID_QE_REPORT_SIGNATURE(Quote3Error.QE_REPORT_INVALID_SIGNATURE, QvResult.INVALID_SIGNATURE,
            "the QE report's signature by the PCK key does not verify"),
    INVALID_QE_REPORT_DATA(Quote3Error.ERROR_UNEXPECTED, QvResult.UNSPECIFIED,
            "the QE report data does not bind the attestation key and QE authentication data"),
    QE_IDENTITY_MISMATCH(Quote3Error.QEIDENTITY_MISMATCH, QvResult.UNSPECIFIED,
            "the QE report does not match the QE identity"),
    UNSUPPORTED_QUOTE_FORMAT(Quote3Error.QUOTE_FORMAT_UNSUPPORTED, QvResult.UNSPECIFIED,
            "the attestation key is not a P-256 point"),
    INVALID_QUOTE_SIGNATURE(Quote3Error.RESULT_INVALID_SIGNATURE, QvResult.INVALID_SIGNATURE,
            "the quote's signature by the attestation key does not verify");

    private final Quote3Error error;
    private final QvResult result;
    private final String description;

    QvlStatus(Quote3Error error, QvResult result, String description) {
        this.error = error;
        this.result = result;
        this.description = description;
    }

    /** The {@code quote3_error_t} this status is reported with. */
    public Quote3Error error() {
        return error;
    }

    /** The verdict this status gives. */
    public QvResult result() {
        return result;
    }

    /** One clause saying what happened. */
    public String description() {
        return description;
    }

    /** The status of a TCB level status after convergence. */
    static QvlStatus of(TcbStatus s) {
        return switch (s) {
            case UpToDate -> OK;
            case SWHardeningNeeded -> TCB_SW_HARDENING_NEEDED;
            case ConfigurationNeeded -> TCB_CONFIGURATION_NEEDED;
            case ConfigurationAndSWHardeningNeeded -> TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED;
            case OutOfDate -> TCB_OUT_OF_DATE;
            case OutOfDateConfigurationNeeded -> TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
            case Revoked -> TCB_REVOKED;
        };
    }
}
