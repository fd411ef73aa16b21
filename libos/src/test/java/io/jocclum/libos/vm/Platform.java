package io.jocclum.libos.vm;

/**
 * The platform matrix every VM test runs on: {fake, real} x {EDMM on SGX2, non-EDMM on SGX1,
 * non-EDMM on SGX2}. The EDMM build has small reserved memory, a gap and a large user region
 * committed on demand; the non-EDMM build has everything reserved and committed at load (on SGX2
 * it runs without EDMM). FAKE_* run on {@link io.jocclum.libos.vm.testing.FakeEnclave} (fast,
 * EPCM only); REAL_* on the simulated SGX platform of the {@code sgx} module (driver, EPC
 * allocator and reclaimer, paging crypto, cost model) through
 * {@link io.jocclum.libos.vm.testing.PlatformEnclave}.
 */
enum Platform {
    FAKE_EDMM(false, Mode.EDMM),
    FAKE_SGX1(false, Mode.SGX1),
    FAKE_NON_EDMM_ON_SGX2(false, Mode.NON_EDMM_ON_SGX2),
    REAL_EDMM(true, Mode.EDMM),
    REAL_SGX1(true, Mode.SGX1),
    REAL_NON_EDMM_ON_SGX2(true, Mode.NON_EDMM_ON_SGX2);

    enum Mode { EDMM, SGX1, NON_EDMM_ON_SGX2 }

    /** ELRANGE-relative base used by the tests: 64 GB. */
    static final long BASE = 0x10_0000_0000L;
    static final long RESERVED_EDMM = 32L << 20;
    static final long GAP = 32L << 20;
    static final long USER_REGION = 4L << 30;
    static final long RESERVED_NON_EDMM = 192L << 20;

    private final boolean real;
    final Mode mode;

    Platform(boolean real, Mode mode) {
        this.real = real;
        this.mode = mode;
    }

    UserSpaceLayout layout() {
        return switch (mode) {
            case EDMM -> new UserSpaceLayout(BASE, RESERVED_EDMM, BASE + RESERVED_EDMM + GAP, USER_REGION);
            case SGX1, NON_EDMM_ON_SGX2 -> UserSpaceLayout.reservedOnly(BASE, RESERVED_NON_EDMM);
        };
    }

    TestEnclave open() {
        return TestEnclave.open(this);
    }

    /** The build uses EDMM (a user region committed on demand). */
    boolean edmm() {
        return mode == Mode.EDMM;
    }

    /** The CPU has the SGX2 leaves. */
    boolean sgx2() {
        return mode != Mode.SGX1;
    }

    /** Runs on the simulated SGX platform rather than the fake. */
    boolean real() {
        return real;
    }
}
