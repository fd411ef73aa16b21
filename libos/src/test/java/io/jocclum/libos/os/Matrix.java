package io.jocclum.libos.os;

/** Build × platform combinations the LibOS runs in (config-edmm.md: an EDMM build on SGX1 is refused, see MismatchTest). */
enum Matrix {
    /** Built for EDMM, SGX2 platform: commit on demand. */
    EDMM_ON_SGX2(true, true),
    /** Built without EDMM, SGX2 platform: runs without EDMM. */
    PLAIN_ON_SGX2(false, true),
    /** Built without EDMM, SGX1 platform. */
    PLAIN_ON_SGX1(false, false);

    final boolean edmmBuild;
    final boolean sgx2;

    Matrix(boolean edmmBuild, boolean sgx2) {
        this.edmmBuild = edmmBuild;
        this.sgx2 = sgx2;
    }
}
