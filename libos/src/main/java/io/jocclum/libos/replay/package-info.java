/**
 * Replay of a recorded program's memory behaviour: {@link io.jocclum.libos.replay.StraceReader} reads
 * {@code strace -f} output, {@link io.jocclum.libos.replay.Replay} plays its memory calls through guest
 * system calls in a booted enclave, one guest process and thread per traced one.
 */
package io.jocclum.libos.replay;
