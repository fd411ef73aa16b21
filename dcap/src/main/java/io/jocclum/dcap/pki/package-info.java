/** X.509 pieces of DCAP: PEM/DER/hex decoding, P-256 ECDSA over raw signatures, the PCK certificate's SGX extension. */
package io.jocclum.dcap.pki;
