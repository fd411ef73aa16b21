/**
 * Pipes ({@code pipe2}): a bounded byte ring shared by a read end and a write end, with Linux's
 * pipe(7) semantics — 64 KiB default capacity, F_GETPIPE_SZ/F_SETPIPE_SZ, PIPE_BUF atomicity,
 * EOF, EPIPE with SIGPIPE, POLLHUP/POLLERR, FIONREAD — and readiness pushed to the event layer on
 * every write. Replaces Occlum's 1 MiB channel pipes (W11); see docs/events.md.
 */
package io.jocclum.libos.pipe;
