package io.jocclum.sgx.epc;

/**
 * The reclaimer's constants (arch/x86/kernel/cpu/sgx/sgx.h and main.c, spec 2.5 and 3.1).
 *
 * @param nrToScan   SGX_NR_TO_SCAN = 16: pages per reclaim batch
 * @param lowPages   SGX_NR_LOW_PAGES = 32: below this many free pages an allocation wakes ksgxd
 * @param highPages  SGX_NR_HIGH_PAGES = 64: ksgxd reclaims while fewer pages are free
 */
public record EpcTunables(int nrToScan, int lowPages, int highPages) {
    /** SGX_NR_TO_SCAN (sgx.h). */
    public static final int SGX_NR_TO_SCAN = 16;
    /** SGX_NR_LOW_PAGES (sgx.h). */
    public static final int SGX_NR_LOW_PAGES = 32;
    /** SGX_NR_HIGH_PAGES (sgx.h). */
    public static final int SGX_NR_HIGH_PAGES = 64;

    public EpcTunables {
        if (nrToScan < 1) {
            throw new IllegalArgumentException("SGX_NR_TO_SCAN must be >= 1, got " + nrToScan);
        }
        if (lowPages < 0 || highPages < lowPages) {
            throw new IllegalArgumentException("watermarks must satisfy 0 <= low (" + lowPages + ") <= high (" + highPages + ")");
        }
    }

    public static EpcTunables linux() {
        return new EpcTunables(SGX_NR_TO_SCAN, SGX_NR_LOW_PAGES, SGX_NR_HIGH_PAGES);
    }
}
