package io.jocclum.sgx.attest;

/**
 * The {@code tcbStatus} values of Intel's TCB info (v3) and QE identity (v2) documents, as the Intel
 * PCS API documents them ("Get TCB Info", "Get Quoting Enclave Identity"). QE identity levels use
 * UpToDate, OutOfDate and Revoked only.
 */
public enum TcbStatus {
    UP_TO_DATE("UpToDate"),
    SW_HARDENING_NEEDED("SWHardeningNeeded"),
    CONFIGURATION_NEEDED("ConfigurationNeeded"),
    CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
    OUT_OF_DATE("OutOfDate"),
    OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
    REVOKED("Revoked");

    private final String json;

    TcbStatus(String json) {
        this.json = json;
    }

    /** The name in the JSON documents, e.g. {@code SWHardeningNeeded}. */
    public String json() {
        return json;
    }

    /** True for the statuses a QE identity level may have. */
    public boolean allowedForQe() {
        return this == UP_TO_DATE || this == OUT_OF_DATE || this == REVOKED;
    }

    /** The status with JSON name {@code s}, or null. */
    public static TcbStatus ofJson(String s) {
        for (TcbStatus t : values()) {
            if (t.json.equals(s)) {
                return t;
            }
        }
        return null;
    }

    /** The JSON names, comma-separated (for messages). */
    public static String names(boolean qe) {
        StringBuilder b = new StringBuilder();
        for (TcbStatus t : values()) {
            if (!qe || t.allowedForQe()) {
                b.append(b.isEmpty() ? "" : ", ").append(t.json);
            }
        }
        return b.toString();
    }
}
