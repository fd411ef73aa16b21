/**
 * Pure-Java verification of Intel SGX DCAP (ECDSA) quotes, as Intel's Quote Verification Enclave
 * and Quote Verification Library do it: {@link io.jocclum.dcap.QuoteVerifier} verifies a quote
 * with {@link io.jocclum.dcap.collateral.Collateral} at a given time against a
 * {@link io.jocclum.dcap.TrustedRoot} (Intel's SGX Root CA by default) and returns a
 * {@link io.jocclum.dcap.Verification}: Intel's verdict ({@link io.jocclum.dcap.QvResult}), the
 * check that decided it, advisories, TCB levels, collateral expiry, supplemental data, the parsed
 * quote and the PCK certificate's SGX extension. Input that cannot be read raises a
 * {@link io.jocclum.dcap.DcapFormatException}; verdicts are never exceptions.
 *
 * <p>Depends on the JDK (java.security) and Jackson only.
 */
package io.jocclum.dcap;
