package io.jocclum.dcap;

/**
 * Input that cannot be read: a quote or collateral that is truncated, malformed, or in a version or
 * variant this library does not support. The message is one sentence naming the field, where it
 * is (a byte offset in the quote, a JSON path in the collateral) and what is allowed.
 *
 * <p>Verification verdicts (bad signatures, revocation, unsupported TCB, ...) are never reported
 * this way; they are {@link Verification} results.
 */
public abstract sealed class DcapFormatException extends RuntimeException
        permits QuoteFormatException, CollateralFormatException {
    private final String field;

    DcapFormatException(String field, String message, Throwable cause) {
        super(message, cause, false, false);
        this.field = field;
    }

    /** The field that could not be read, e.g. {@code header.version} or {@code tcb_info}. */
    public String field() {
        return field;
    }
}
