/** Benchmarks of trace replay ({@code jocclum replay}). */
package io.jocclum.bench.replay;
