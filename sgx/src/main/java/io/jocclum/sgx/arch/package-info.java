/**
 * Architectural values of Intel SGX as the SDM defines them (Intel 64 and IA-32 Architectures
 * Software Developer's Manual, Vol. 3D, chapters 34-38): page types, SECINFO flags, attribute
 * bits, sizes. Values only; the behaviour lives in the hardware model.
 */
package io.jocclum.sgx.arch;
