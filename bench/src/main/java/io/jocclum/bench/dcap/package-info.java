/** DCAP quote verification benchmarks: a cached-collateral verification and a cold one vs the two raw ECDSA verifications. */
package io.jocclum.bench.dcap;
