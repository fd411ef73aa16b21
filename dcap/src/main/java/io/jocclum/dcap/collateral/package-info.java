/**
 * Verification collateral (Intel's {@code sgx_ql_qve_collateral_t}): TCB info, QE identity, CRLs
 * and issuer chains, read from a directory of Intel PCS responses, dcap-qvl JSON or dcap-rs JSON.
 */
package io.jocclum.dcap.collateral;
