/**
 * Benchmarks. Each area puts its JMH classes in a sub-package and registers a
 * {@link io.jocclum.bench.harness.BenchSuite} in {@code META-INF/services}; {@code bin/bench}
 * ({@link io.jocclum.bench.BenchMain}) lists and runs them and prints one {@code compare:} line per
 * comparison of ours with its anchor, measured in the same run.
 */
package io.jocclum.bench;
