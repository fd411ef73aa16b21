/**
 * Benchmarks of the misc-cgroup {@code sgx_epc} controller: per-cgroup reclaim with v17's per-cgroup
 * LRUs against one global LRU scanned for the cgroup's pages, the design the series' cover letter
 * rejects.
 */
package io.jocclum.bench.epccg;
