package io.jocclum.sgx.arch;

/** Architectural sizes and limits (SDM Vol. 3D, chapters 34-35); the page size is {@link Pages#SIZE}. */
public final class Sgx {
    /** EEXTEND measures 256 bytes per invocation (SDM EEXTEND; kernel SGX_EEXTEND_BLOCK_SIZE). */
    public static final int EEXTEND_BLOCK = 256;
    /** Slots in a version array page (SDM 34.20: 512 eight-byte versions). */
    public static final int VA_SLOTS = 512;
    /** Size of SIGSTRUCT in bytes (SDM 34.14). */
    public static final int SIGSTRUCT_SIZE = 1808;
    /** Size of a REPORT (SDM 34.18). */
    public static final int REPORT_SIZE = 432;

    private Sgx() {
    }
}
