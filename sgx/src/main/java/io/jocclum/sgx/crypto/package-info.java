/**
 * The simulated CPU's cryptography: AES-CMAC (RFC 4493) for REPORT MACs and key derivation, the
 * per-platform secrets derived from the platform seed ({@link io.jocclum.sgx.crypto.PlatformKeys}),
 * and the AES-GCM paging crypto of EWB/ELDU ({@link io.jocclum.sgx.crypto.PagingCrypto}). JDK crypto only.
 */
package io.jocclum.sgx.crypto;
