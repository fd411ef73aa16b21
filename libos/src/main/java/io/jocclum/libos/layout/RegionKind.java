package io.jocclum.libos.layout;

/**
 * What a region of the enclave holds. The code is the value stored in the measured layout table
 * and must never change for an existing kind.
 */
public enum RegionKind {
    /** The LibOS entry page (TCS.OENTRY points here); stands in for the LibOS's code. */
    LIBOS_TEXT(1),
    /** The LibOS's measured data: version, image digest, internal config, this layout table. */
    LIBOS_DATA(2),
    /** Kernel heap up to HeapInitSize, added at load. */
    KERNEL_HEAP(3),
    /** Kernel heap from Init to HeapMaxSize, committed on demand (EDMM only). */
    KERNEL_HEAP_DYNAMIC(4),
    /** A page never added: catches stack overflows. */
    GUARD(5),
    /** A kernel stack (StackMaxSize), filled with 0xCC like the SDK's stacks. */
    STACK(6),
    /** A Thread Control Structure page. */
    TCS(7),
    /** The State Save Area frames of one TCS. */
    SSA(8),
    /** Per-thread data (the SDK's thread_data_t, FS/GS base). */
    THREAD_DATA(9),
    /** Room for the thread contexts from TCSNum to TCSMaxNum, added on demand (EDMM only). */
    TCS_POOL(10),
    /** Reserved user memory (ReservedMem*, RWX), added at load. */
    RESERVED_USER(11),
    /** The EDMM user region (UserRegionSize), committed on demand. */
    USER_REGION(12);

    private final int code;

    RegionKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static RegionKind fromCode(int code) {
        for (RegionKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown region kind code " + code);
    }

    /** True for the kinds that are committed later, on demand, on an EDMM platform. */
    public boolean dynamic() {
        return this == KERNEL_HEAP_DYNAMIC || this == TCS_POOL || this == USER_REGION;
    }
}
