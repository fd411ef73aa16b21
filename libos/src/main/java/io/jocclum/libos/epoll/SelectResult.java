package io.jocclum.libos.epoll;

/**
 * What select/pselect6 return: the number of bits set in the three sets, and the time left of
 * the timeout in nanoseconds (Linux writes it back to the timeval/timespec; -1 without timeout).
 */
public record SelectResult(int ready, long remainingNanos) {
}
