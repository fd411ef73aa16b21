package io.jocclum.sgx.epc;

/**
 * Whether an EPC allocation may reclaim synchronously (v17 patch 01, "x86/sgx: Replace boolean
 * parameters with enums": {@code enum sgx_reclaim}). Ioctl paths (ECREATE, EADD, VA pages during the
 * build) use {@link #SGX_DO_RECLAIM}; fault paths (ELDU, EAUG, vEPC) use {@link #SGX_NO_RECLAIM} and
 * get EBUSY instead, leaving the reclaim to ksgxd or the cgroup's async work.
 */
public enum Reclaim {
    SGX_NO_RECLAIM,
    SGX_DO_RECLAIM
}
