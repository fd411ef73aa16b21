package io.jocclum.api;

/**
 * The ioctls of Occlum's {@code /dev/sgx} (occlum/occlum {@code src/libos/src/fs/dev_fs/dev_sgx/consts.rs}),
 * numbered like Linux's {@code _IOC}: bits 0-7 the command, 8-15 the magic {@code 's'}, 16-29 the size
 * of the argument struct (x86-64 layout), 30-31 the direction (1 write, 2 read, 3 both). The size is
 * part of the number: a caller built with another struct size gets ENOTTY. Argument layouts
 * (little-endian, pointers 8 bytes) are given at each constant; every pointer is a guest address.
 *
 * <p>Failures are Linux errnos: EFAULT (an argument or a buffer it points to is not accessible),
 * EINVAL (a NULL pointer where one is required, a buffer too small, a REPORT or key request the CPU
 * refuses, a quote the verifier rejects with a terminal verdict), EIO (the DCAP quote generator or
 * verifier is not available), EBUSY, EOPNOTSUPP (the EPID ioctls) and ENOTTY (an unknown number).
 * With the platform setting {@code "occlum_compat_errno": true} every failure is EINVAL, as on Occlum.
 * See docs/attestation.md.
 */
public final class SgxIoctls {
    private SgxIoctls() {
    }

    /** {@code _IOC(dir, 's', nr, size)}. */
    public static int ioc(int dir, int nr, int size) {
        return (dir << 30) | (size << 16) | ('s' << 8) | nr;
    }

    public static final int IOC_WRITE = 1;
    public static final int IOC_READ = 2;

    /** {@code _IOR('s', 0, int)}: 1 when the enclave uses EDMM (SGX2), else 0. */
    public static final int IS_EDMM_SUPPORTED = 0x80047300;
    /** {@code _IOR('s', 1, sgx_epid_group_id_t)}: EPID (retired by Intel): EOPNOTSUPP. */
    public static final int GET_EPID_GROUP_ID = 0x80047301;
    /** {@code _IOWR('s', 2, sgxioc_gen_epid_quote_arg_t)}: EPID: EOPNOTSUPP. */
    public static final int GEN_EPID_QUOTE = 0xC0807302;
    /** {@code _IOR('s', 3, sgx_target_info_t)}: the calling enclave's 512-byte TARGETINFO. */
    public static final int SELF_TARGET = 0x82007303;
    /**
     * {@code _IOWR('s', 4, sgxioc_create_report_arg_t)}: 24 bytes: {@code target_info} (0, optional,
     * NULL = all zeros), {@code report_data} (8, optional, 64 bytes), {@code report} (16, out, 432 bytes).
     */
    public static final int CREATE_REPORT = 0xC0187304;
    /** {@code _IOW('s', 5, sgx_report_t)}: the 432-byte REPORT itself; EINVAL unless it was made for this enclave on this platform. */
    public static final int VERIFY_REPORT = 0x41B07305;
    /** {@code _IOR('s', 6, int)}: 1 when the host has the DCAP SGX driver, else 0. */
    public static final int DETECT_DCAP_DRIVER = 0x80047306;
    /** {@code _IOR('s', 7, uint32_t)}: the size of a quote. */
    public static final int GET_DCAP_QUOTE_SIZE = 0x80047307;
    /**
     * {@code _IOWR('s', 8, sgxioc_gen_dcap_quote_arg_t)}: 24 bytes: {@code report_data} (0, in, 64
     * bytes), {@code quote_len} (8, in: pointer to the uint32 capacity of the buffer, not written
     * back), {@code quote_buf} (16, out: receives exactly the quote size).
     */
    public static final int GEN_DCAP_QUOTE = 0xC0187308;
    /** {@code _IOR('s', 9, uint32_t)}: the size of the supplemental data. */
    public static final int GET_DCAP_SUPPLEMENTAL_SIZE = 0x80047309;
    /**
     * {@code _IOWR('s', 10, sgxioc_ver_dcap_quote_arg_t)}: 48 bytes: {@code quote_buf} (0),
     * {@code quote_size} (8, uint32), {@code collateral_expiration_status} (16, out uint32 *),
     * {@code quote_verification_result} (24, out, 4-byte {@code sgx_ql_qv_result_t} *),
     * {@code supplemental_data_size} (32, uint32), {@code supplemental_data} (40, out, optional).
     */
    public static final int VER_DCAP_QUOTE = 0xC030730A;
    /**
     * {@code _IOWR('s', 11, sgxioc_get_key_arg_t)}: 16 bytes: {@code key_request} (0, in, 512-byte
     * KEYREQUEST), {@code key} (8, out, 16 bytes).
     */
    public static final int GET_KEY = 0xC010730B;

    /** Sizes of the structures. */
    public static final int TARGET_INFO_SIZE = 512;
    public static final int REPORT_SIZE = 432;
    public static final int REPORT_DATA_SIZE = 64;
    public static final int KEY_REQUEST_SIZE = 512;

    /** {@code sgx_ql_qv_result_t} values (Intel's {@code sgx_qve_header.h}). */
    public static final int QV_RESULT_OK = 0x0000;
    public static final int QV_RESULT_CONFIG_NEEDED = 0xA001;
    public static final int QV_RESULT_OUT_OF_DATE = 0xA002;
    public static final int QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED = 0xA003;
    public static final int QV_RESULT_INVALID_SIGNATURE = 0xA004;
    public static final int QV_RESULT_REVOKED = 0xA005;
    public static final int QV_RESULT_UNSPECIFIED = 0xA006;
    public static final int QV_RESULT_SW_HARDENING_NEEDED = 0xA007;
    public static final int QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED = 0xA008;

    /** The name of an {@code sgx_ql_qv_result_t}, e.g. {@code SGX_QL_QV_RESULT_OUT_OF_DATE}. */
    public static String resultName(int result) {
        return switch (result) {
            case QV_RESULT_OK -> "SGX_QL_QV_RESULT_OK";
            case QV_RESULT_CONFIG_NEEDED -> "SGX_QL_QV_RESULT_CONFIG_NEEDED";
            case QV_RESULT_OUT_OF_DATE -> "SGX_QL_QV_RESULT_OUT_OF_DATE";
            case QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED -> "SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED";
            case QV_RESULT_INVALID_SIGNATURE -> "SGX_QL_QV_RESULT_INVALID_SIGNATURE";
            case QV_RESULT_REVOKED -> "SGX_QL_QV_RESULT_REVOKED";
            case QV_RESULT_UNSPECIFIED -> "SGX_QL_QV_RESULT_UNSPECIFIED";
            case QV_RESULT_SW_HARDENING_NEEDED -> "SGX_QL_QV_RESULT_SW_HARDENING_NEEDED";
            case QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED -> "SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED";
            default -> String.format("0x%04X", result);
        };
    }

    /** True for the verdicts Occlum's demo treats as success with a warning (and OK). */
    public static boolean nonTerminal(int result) {
        return switch (result) {
            case QV_RESULT_OK, QV_RESULT_CONFIG_NEEDED, QV_RESULT_OUT_OF_DATE, QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED,
                 QV_RESULT_SW_HARDENING_NEEDED, QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED -> true;
            default -> false;
        };
    }
}
