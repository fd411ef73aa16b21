/**
 * Building instances without the CLI, for tests and benchmarks: {@link
 * io.jocclum.libos.testing.TestInstance} writes an Occlum.json (a template with overrides) and an
 * image, and produces the same build outputs as {@code jocclum build} (Enclave.xml, internal
 * config, image snapshot, SIGSTRUCT) with a signing key generated once per JVM.
 */
package io.jocclum.libos.testing;
