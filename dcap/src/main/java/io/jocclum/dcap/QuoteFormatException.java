package io.jocclum.dcap;

/**
 * A quote that cannot be read: too short, a declared size that does not fit, a version, key type,
 * TEE type or certification data type that is not supported, or a PCK certificate chain that does
 * not decode. {@link #field()} names the field and {@link #offset()} is its byte offset in the quote.
 */
public final class QuoteFormatException extends DcapFormatException {
    private final int offset;

    /**
     * @param field   the field, e.g. {@code header.version}
     * @param offset  byte offset of the field in the quote
     * @param problem what is wrong and what is allowed, e.g. "quote version 5 is not supported (allowed: 3, 4)"
     */
    public QuoteFormatException(String field, int offset, String problem) {
        this(field, offset, problem, null);
    }

    public QuoteFormatException(String field, int offset, String problem, Throwable cause) {
        super(field, problem + " (" + field + " at offset " + offset + ")", cause);
        this.offset = offset;
    }

    /** Byte offset of the field in the quote. */
    public int offset() {
        return offset;
    }
}
