package io.jocclum.sgx.cgroup;

/**
 * The misc controller's resource types ({@code enum misc_res_type} and {@code misc_res_name[]} in
 * {@code kernel/cgroup/misc.c}). All are "compiled in"; a resource is usable once its capacity is
 * set ({@link MiscController#setCapacity}). Declaration order is the order of the lines in every
 * {@code misc.*} file. SEV and SEV-ES are mainline since v5.13, {@code sgx_epc} comes from patch 04
 * of the v17 EPC cgroup series (never merged), TDX was added to mainline around v6.16; the relative
 * order of {@code sgx_epc} and {@code tdx} is therefore our choice (series order first).
 */
public enum MiscResource {
    /** AMD SEV ASIDs: {@code "sev"} (MISC_CG_RES_SEV). */
    SEV("sev"),
    /** AMD SEV-ES ASIDs: {@code "sev_es"} (MISC_CG_RES_SEV_ES). */
    SEV_ES("sev_es"),
    /** SGX EPC bytes: {@code "sgx_epc"} (MISC_CG_RES_SGX_EPC, v17 patch 04). */
    SGX_EPC("sgx_epc"),
    /** Intel TDX host key IDs: {@code "tdx"} (MISC_CG_RES_TDX). */
    TDX("tdx");

    private static final MiscResource[] VALUES = values();

    private final String resourceName;

    MiscResource(String resourceName) {
        this.resourceName = resourceName;
    }

    /** The name in the {@code misc.*} files, e.g. {@code sgx_epc}. */
    public String resourceName() {
        return resourceName;
    }

    /** The key in {@code misc.events}: the resource name plus {@code .max}. */
    public String eventKey() {
        return resourceName + ".max";
    }

    /** The resource whose name equals {@code name} exactly, or {@code null}. */
    static MiscResource byName(String name) {
        for (MiscResource r : VALUES) {
            if (r.resourceName.equals(name)) {
                return r;
            }
        }
        return null;
    }

    static MiscResource[] all() {
        return VALUES;
    }
}
