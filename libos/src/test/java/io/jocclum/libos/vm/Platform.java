package io.jocclum.libos.vm;

import io.jocclum.libos.vm.testing.FakeEnclave;

/**
 * The platform matrix every VM test runs on: an EDMM build on SGX2 (small reserved memory, a
 * gap, a large user region committed on demand), and a non-EDMM build (everything reserved and
 * committed at load), on SGX1 or on SGX2 (which then runs without EDMM).
 */
enum Platform {
    EDMM, SGX1, NON_EDMM_ON_SGX2;

    /** ELRANGE-relative base used by the tests: 64 GB. */
    static final long BASE = 0x10_0000_0000L;
    static final long RESERVED_EDMM = 32L << 20;
    static final long GAP = 32L << 20;
    static final long USER_REGION = 4L << 30;
    static final long RESERVED_NON_EDMM = 192L << 20;

    UserSpaceLayout layout() {
        return switch (this) {
            case EDMM -> new UserSpaceLayout(BASE, RESERVED_EDMM, BASE + RESERVED_EDMM + GAP, USER_REGION);
            case SGX1, NON_EDMM_ON_SGX2 -> UserSpaceLayout.reservedOnly(BASE, RESERVED_NON_EDMM);
        };
    }

    FakeEnclave enclave() {
        return FakeEnclave.forLayout(layout(), this == NON_EDMM_ON_SGX2);
    }

    boolean edmm() {
        return this == EDMM;
    }
}
