package io.jocclum.sgx.arch;

/** Architectural sizes and limits (SDM Vol. 3D, chapters 34-35). */
public final class Sgx {
    /** EPC page size. */
    public static final int PAGE_SIZE = 4096;
    /** log2 of {@link #PAGE_SIZE}. */
    public static final int PAGE_SHIFT = 12;
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

    public static boolean isPageAligned(long value) {
        return (value & (PAGE_SIZE - 1)) == 0;
    }

    /** Rounds up to a page multiple; {@code ArithmeticException} on overflow. */
    public static long pageRoundUp(long value) {
        long r = Math.addExact(value, PAGE_SIZE - 1) & ~(long) (PAGE_SIZE - 1);
        return r;
    }
}
