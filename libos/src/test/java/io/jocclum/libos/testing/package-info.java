/**
 * Building instances without the CLI, for tests and benchmarks: {@link
 * io.jocclum.libos.testing.TestInstance} writes an Occlum.json (a template with overrides) and an
 * image, and produces the same build outputs as {@code jocclum build} (Enclave.xml, internal
 * config, image snapshot, SIGSTRUCT) with a signing key generated once per JVM. Part of libos's
 * test-jar (the benchmarks depend on it), never of the product.
 */
package io.jocclum.libos.testing;
