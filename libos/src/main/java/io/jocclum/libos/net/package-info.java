/**
 * Host sockets: TCP over the host's loopback through Java NIO, as LibOS files whose readiness
 * enters the same event path as pipes. One {@link io.jocclum.libos.net.HostNetwork} — a single
 * NIO {@link java.nio.channels.Selector} on one host thread — serves every socket of the LibOS
 * (Occlum keeps a private host epoll per guest epoll and polls it on every epoll_wait); it reads
 * arriving data into each socket's receive queue and accepts connections into its accept queue,
 * so a socket's readiness is exact rather than a cached host word (W15). See docs/events.md.
 */
package io.jocclum.libos.net;
