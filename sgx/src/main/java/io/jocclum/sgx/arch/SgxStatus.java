package io.jocclum.sgx.arch;

/**
 * SGX error codes returned in RAX by ENCLS/ENCLU leaves that report status rather than fault
 * (SDM Vol. 3D, table 38-4 "Error or Information Codes for Intel SGX Instructions").
 */
public enum SgxStatus {
    SUCCESS(0),
    INVALID_SIG_STRUCT(1),
    INVALID_ATTRIBUTE(2),
    BLKSTATE(3),
    INVALID_MEASUREMENT(4),
    NOTBLOCKABLE(5),
    PG_INVLD(6),
    EPC_PAGE_CONFLICT(7),
    INVALID_SIGNATURE(8),
    MAC_COMPARE_FAIL(9),
    PAGE_NOT_BLOCKED(10),
    NOT_TRACKED(11),
    VA_SLOT_OCCUPIED(12),
    CHILD_PRESENT(13),
    ENCLAVE_ACT(14),
    ENTRYEPOCH_LOCKED(15),
    INVALID_EINITTOKEN(16),
    PREV_TRK_INCMPL(17),
    PG_IS_SECS(18),
    PAGE_ATTRIBUTES_MISMATCH(19),
    PAGE_NOT_MODIFIABLE(20),
    PAGE_NOT_DEBUGGABLE(21),
    INVALID_COUNTER(25),
    PG_NONEPC(26),
    TRACK_NOT_REQUIRED(27),
    INVALID_CPUSVN(32),
    INVALID_ISVSVN(64),
    UNMASKED_EVENT(128),
    INVALID_KEYNAME(256);

    private final int code;

    SgxStatus(int code) {
        this.code = code;
    }

    /** The value in RAX. */
    public int code() {
        return code;
    }
}
