/**
 * Benchmarks of the LibOS event layer against native Linux in the same run: pipe throughput
 * with 64 KiB writes, epoll ping-pong round trips over two pipes, and epoll_wait cost with
 * 10,000 registered descriptors against 10.
 */
package io.jocclum.bench.events;
