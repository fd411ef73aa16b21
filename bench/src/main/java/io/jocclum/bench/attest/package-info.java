/** Attestation benchmarks: quote generation through /dev/sgx against the raw ECDSA signature. */
package io.jocclum.bench.attest;
