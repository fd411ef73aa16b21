package io.jocclum.sgx.arch;

/**
 * EPC page types, with the encodings of SECINFO.FLAGS.PAGE_TYPE (SDM Vol. 3D, table 34-21
 * "Supported PAGE_TYPE").
 */
public enum PageType {
    /** PT_SECS: the enclave control structure. */
    SECS(0),
    /** PT_TCS: a thread control structure. */
    TCS(1),
    /** PT_REG: a regular page. */
    REG(2),
    /** PT_VA: a version array page (512 eight-byte slots). */
    VA(3),
    /** PT_TRIM: a page being removed from a running enclave (SGX2). */
    TRIM(4),
    /** PT_SS_FIRST: first page of a CET shadow stack. */
    SS_FIRST(5),
    /** PT_SS_REST: the other pages of a CET shadow stack. */
    SS_REST(6);

    private final int encoding;

    PageType(int encoding) {
        this.encoding = encoding;
    }

    /** The PAGE_TYPE field value (bits 15:8 of SECINFO.FLAGS). */
    public int encoding() {
        return encoding;
    }

    /** Decodes a PAGE_TYPE value; {@code IllegalArgumentException} for a reserved one. */
    public static PageType fromEncoding(int value) {
        for (PageType t : values()) {
            if (t.encoding == value) {
                return t;
            }
        }
        throw new IllegalArgumentException("reserved SGX page type " + value + " (allowed 0..6)");
    }
}
