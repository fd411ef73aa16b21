package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.PageType;

/**
 * A snapshot of one EPCM entry (SDM Vol. 3D, 34.21).
 *
 * @param valid    VALID
 * @param type     PT (null when invalid)
 * @param perms    R/W/X as SecInfo permission bits
 * @param pending  PENDING (EAUG'd, not yet EACCEPTed)
 * @param modified MODIFIED (EMODT'd, not yet EACCEPTed)
 * @param pr       PR (EMODPR'd, not yet EACCEPTed)
 * @param blocked  BLOCKED (EBLOCK'd)
 * @param linaddr  ENCLAVEADDRESS
 * @param ownerEid the enclave ID of ENCLAVESECS (0 for SECS and VA pages)
 */
public record EpcmEntry(boolean valid, PageType type, long perms, boolean pending, boolean modified, boolean pr,
                        boolean blocked, long linaddr, long ownerEid) {
}
