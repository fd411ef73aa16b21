/**
 * Enclave measurement and signing exactly as the SDM defines them, in one place: the build step
 * computes MRENCLAVE with {@link io.jocclum.sgx.measure.MeasurementBuilder} from the layout, and
 * the simulated CPU feeds the same builder from ECREATE/EADD/EEXTEND, so the two can only agree.
 * {@link io.jocclum.sgx.measure.SigStruct} is the 1808-byte SIGSTRUCT with its RSA-3072
 * (exponent 3) signature, from which MRSIGNER follows.
 */
package io.jocclum.sgx.measure;
