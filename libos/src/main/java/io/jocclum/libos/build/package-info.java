/**
 * Building an instance: {@link io.jocclum.libos.build.EnclaveBuilder} turns a resolved Occlum.json
 * and an image into the build outputs (snapshot, internal config, Enclave.xml, SIGSTRUCT). It is
 * the one pipeline behind {@code jocclum build} and the instances the tests and benchmarks build.
 */
package io.jocclum.libos.build;
