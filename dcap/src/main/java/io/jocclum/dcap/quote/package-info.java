/** The SGX ECDSA quote format (v3, v4): header, report bodies, signature and certification data. */
package io.jocclum.dcap.quote;
