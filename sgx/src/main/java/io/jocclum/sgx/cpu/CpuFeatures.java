package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Attributes;

/**
 * What the simulated CPU supports (CPUID leaf 0x12 in real life) and its security versions.
 *
 * @param sgx2                EDMM leaves (EAUG, EMODPR, EMODT, EACCEPT, EACCEPTCOPY, EMODPE) exist;
 *                            on SGX1 they raise #UD
 * @param kss                 Key Separation and Sharing (ATTRIBUTES.KSS, CONFIGID)
 * @param allowedAttributes   ATTRIBUTES.FLAGS bits ECREATE accepts (others are reserved: #GP)
 * @param allowedXfrm         XFRM bits ECREATE accepts (XCR0 of the platform)
 * @param allowedMiscSelect   MISCSELECT bits ECREATE accepts
 * @param maxEnclaveSize64Log2 log2 of the largest 64-bit enclave (CPUID.(12H,0):EDX[15:8])
 * @param cpuSvn              CR_CPUSVN, 16 bytes
 * @param ownerEpoch          CSR_SGX_OWNEREPOCH, 16 bytes (mixed into seal keys)
 */
public record CpuFeatures(boolean sgx2, boolean kss, long allowedAttributes, long allowedXfrm, int allowedMiscSelect,
                          int maxEnclaveSize64Log2, byte[] cpuSvn, byte[] ownerEpoch) {
    /** ATTRIBUTES bits of an SGX2 Ice Lake-class server: INIT, DEBUG, MODE64BIT, PROVISIONKEY, EINITTOKEN_KEY, KSS, AEXNOTIFY. */
    public static final long DEFAULT_ATTRIBUTES = Attributes.INIT | Attributes.DEBUG | Attributes.MODE64BIT
            | Attributes.PROVISIONKEY | Attributes.EINITTOKEN_KEY | Attributes.KSS | Attributes.AEXNOTIFY;
    /** x87, SSE, AVX, MPX (BNDREGS, BNDCSR), AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM). */
    public static final long DEFAULT_XFRM = 0xFFL;
    /** MISCSELECT.EXINFO (bit 0). */
    public static final int DEFAULT_MISCSELECT = 1;
    /** 2^56 bytes, what Ice Lake servers report. */
    public static final int DEFAULT_MAX_ENCLAVE_SIZE_64_LOG2 = 56;

    public CpuFeatures {
        if (cpuSvn == null || cpuSvn.length != 16) {
            throw new IllegalArgumentException("CPUSVN has 16 bytes");
        }
        if (ownerEpoch == null || ownerEpoch.length != 16) {
            throw new IllegalArgumentException("OWNEREPOCH has 16 bytes");
        }
        if (maxEnclaveSize64Log2 < 13 || maxEnclaveSize64Log2 > 63) {
            throw new IllegalArgumentException("maximum enclave size must be 2^13..2^63, got 2^" + maxEnclaveSize64Log2);
        }
        cpuSvn = cpuSvn.clone();
        ownerEpoch = ownerEpoch.clone();
    }

    public static CpuFeatures defaults(boolean sgx2) {
        byte[] svn = new byte[16];
        svn[0] = 0x0E;
        svn[1] = 0x0E;
        svn[2] = 0x02;
        svn[3] = 0x04;
        return new CpuFeatures(sgx2, true, DEFAULT_ATTRIBUTES, DEFAULT_XFRM, DEFAULT_MISCSELECT,
                DEFAULT_MAX_ENCLAVE_SIZE_64_LOG2, svn, new byte[16]);
    }

    @Override
    public byte[] cpuSvn() {
        return cpuSvn.clone();
    }

    @Override
    public byte[] ownerEpoch() {
        return ownerEpoch.clone();
    }
}
