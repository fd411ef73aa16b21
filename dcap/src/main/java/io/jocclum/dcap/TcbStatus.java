package io.jocclum.dcap;

import java.util.Arrays;
import java.util.List;

/**
 * A TCB status in Intel PCS spelling (the {@code tcbStatus} values of TCB info and QE identity
 * levels, Intel PCS API v4), with the {@link QvResult} each becomes.
 */
public enum TcbStatus {
    UpToDate(QvResult.OK),
    SWHardeningNeeded(QvResult.SW_HARDENING_NEEDED),
    ConfigurationNeeded(QvResult.CONFIG_NEEDED),
    ConfigurationAndSWHardeningNeeded(QvResult.CONFIG_AND_SW_HARDENING_NEEDED),
    OutOfDate(QvResult.OUT_OF_DATE),
    OutOfDateConfigurationNeeded(QvResult.OUT_OF_DATE_CONFIG_NEEDED),
    Revoked(QvResult.REVOKED);

    private final QvResult result;

    TcbStatus(QvResult result) {
        this.result = result;
    }

    /** The verdict this status gives on its own. */
    public QvResult result() {
        return result;
    }

    /** The status spelled {@code s}, or null. */
    public static TcbStatus parse(String s) {
        for (TcbStatus t : values()) {
            if (t.name().equals(s)) {
                return t;
            }
        }
        return null;
    }

    /** Every spelling, for messages. */
    public static List<String> spellings() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
