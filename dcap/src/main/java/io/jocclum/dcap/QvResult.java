package io.jocclum.dcap;

/**
 * Intel's quote verification result {@code sgx_ql_qv_result_t} ({@code sgx_qve_header.h} in Intel
 * SGX DCAP): the verdict, with Intel's names and codes. The first six are non-terminal (the quote
 * verified; the relying party decides whether the platform's state is acceptable); the others are
 * terminal.
 */
public enum QvResult {
    OK(0x0000),
    CONFIG_NEEDED(0xA001),
    OUT_OF_DATE(0xA002),
    OUT_OF_DATE_CONFIG_NEEDED(0xA003),
    INVALID_SIGNATURE(0xA004),
    REVOKED(0xA005),
    UNSPECIFIED(0xA006),
    SW_HARDENING_NEEDED(0xA007),
    CONFIG_AND_SW_HARDENING_NEEDED(0xA008);

    private final int code;

    QvResult(int code) {
        this.code = code;
    }

    /** Intel's numeric code, e.g. 0xA008. */
    public int code() {
        return code;
    }

    /** The code as Intel writes it: {@code 0x0000}, {@code 0xA008}. */
    public String hex() {
        return String.format("0x%04X", code);
    }

    /** Intel's name, e.g. {@code SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED}. */
    public String intelName() {
        return "SGX_QL_QV_RESULT_" + name();
    }

    /** True for INVALID_SIGNATURE, REVOKED and UNSPECIFIED. */
    public boolean terminal() {
        return this == INVALID_SIGNATURE || this == REVOKED || this == UNSPECIFIED;
    }

    /** The result named {@code name} (with or without the {@code SGX_QL_QV_RESULT_} prefix), or null. */
    public static QvResult byName(String name) {
        String n = name.startsWith("SGX_QL_QV_RESULT_") ? name.substring("SGX_QL_QV_RESULT_".length()) : name;
        for (QvResult r : values()) {
            if (r.name().equals(n)) {
                return r;
            }
        }
        return null;
    }
}
