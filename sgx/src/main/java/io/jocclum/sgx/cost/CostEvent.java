package io.jocclum.sgx.cost;

/**
 * Everything the cost model charges, with its default cost in CPU cycles and where that figure comes
 * from. Sources are the spec's section 6 ("Cost figures", {@code shared/spec/sgx-epc-cgroup.md});
 * where the spec has no figure the value is an estimate and says so. Every figure can be overridden
 * in the platform configuration ({@link CostModel#with}).
 */
public enum CostEvent {
    /** Source: estimate (spec §6 has no ECREATE figure). */
    ECREATE(20_000, "estimate; spec §6 has no ECREATE figure"),
    /**
     * Source: derived. harp's simulation constants (spec §6) charge 22.677 kcycles per KB of enclave
     * creation, i.e. 90,708 cycles per measured 4 KiB page; split as one EADD (10,000, estimate) plus
     * sixteen EEXTEND.
     */
    EADD(10_000, "derived: harp 22.677 kcycles/KB (spec §6) = 90,708/page, EADD share estimated"),
    /** Source: derived, (90,708 - 10,000) / 16 per 256-byte EEXTEND (see {@link #EADD}). */
    EEXTEND(5_044, "derived: (90,708 - EADD) / 16 from harp 22.677 kcycles/KB (spec §6)"),
    /** Source: Linux arch/x86/kernel/cpu/sgx/ioctl.c, sgx_encl_init comment "50k+ cycles on success" (spec §6). */
    EINIT(50_000, "Linux ioctl.c sgx_encl_init comment: 50k+ cycles (spec §6)"),
    /** Source: estimate. */
    EREMOVE(2_000, "estimate; spec §6 has no EREMOVE figure"),
    /** Source: estimate. */
    EPA(3_000, "estimate; spec §6 has no EPA figure"),
    /** Source: estimate. */
    EBLOCK(1_000, "estimate; spec §6 has no EBLOCK figure"),
    /** Source: estimate. */
    ETRACK(1_000, "estimate; spec §6 has no ETRACK figure"),
    /**
     * Source: derived. VAULT (ASPLOS 2018, spec §6): an EPC page swap (fault + EWB/ELDU) is about 40K
     * cycles; split here as EWB 15,000 + ELDU 15,000 + PAGE_FAULT 4,000 + AEX 3,000 + ERESUME 3,000
     * (the split is an estimate).
     */
    EWB(15_000, "derived: share of VAULT's ~40K-cycle page swap (spec §6)"),
    /** Source: derived, see {@link #EWB}. */
    ELDU(15_000, "derived: share of VAULT's ~40K-cycle page swap (spec §6)"),
    /** Source: estimate (spec §6 lists no EDMM per-instruction figures). */
    EAUG(6_000, "estimate; spec §6 has no EAUG figure"),
    /** Source: estimate. */
    EMODPR(3_000, "estimate; spec §6 has no EMODPR figure"),
    /** Source: estimate. */
    EMODT(3_000, "estimate; spec §6 has no EMODT figure"),
    /** Source: estimate. */
    EACCEPT(4_000, "estimate; spec §6 has no EACCEPT figure"),
    /** Source: estimate. */
    EACCEPTCOPY(6_000, "estimate; spec §6 has no EACCEPTCOPY figure"),
    /** Source: estimate. */
    EMODPE(1_500, "estimate; spec §6 has no EMODPE figure"),
    /** Source: estimate. */
    EREPORT(10_000, "estimate; spec §6 has no EREPORT figure"),
    /** Source: estimate. */
    EGETKEY(10_000, "estimate; spec §6 has no EGETKEY figure"),
    /** The kernel's #PF handling of an enclave fault (ELDU or EAUG path). Source: derived, see {@link #EWB}. */
    PAGE_FAULT(4_000, "derived: share of VAULT's ~40K-cycle page swap (spec §6)"),
    /** Asynchronous enclave exit. Source: derived, see {@link #EWB}. */
    AEX(3_000, "derived: share of VAULT's ~40K-cycle page swap (spec §6)"),
    /** ERESUME after an AEX. Source: derived, see {@link #EWB}. */
    ERESUME(3_000, "derived: share of VAULT's ~40K-cycle page swap (spec §6)"),
    /** An ECALL round trip (EENTER ... EEXIT). Source: harp simulation constants, 8.5 kcycles (spec §6). */
    ECALL(8_500, "harp sgxsimu Constants.java: ECALL 8.5 kcycles (spec §6)"),
    /** An OCALL round trip (EEXIT ... ERESUME/EENTER). Source: harp simulation constants, 9.0 kcycles (spec §6). */
    OCALL(9_000, "harp sgxsimu Constants.java: OCALL 9.0 kcycles (spec §6)");

    private final long defaultCycles;
    private final String source;

    CostEvent(long defaultCycles, String source) {
        this.defaultCycles = defaultCycles;
        this.source = source;
    }

    public long defaultCycles() {
        return defaultCycles;
    }

    /** Where the default figure comes from. */
    public String source() {
        return source;
    }
}
