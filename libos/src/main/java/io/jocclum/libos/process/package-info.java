/**
 * Processes and threads of the LibOS (Occlum {@code src/libos/src/process/}, Linux
 * {@code kernel/fork.c}, {@code exit.c}): the {@link io.jocclum.libos.process.Kernel} (process
 * table, pid allocation, spawn, exit, wait4, kill, reparenting to init), a
 * {@link io.jocclum.libos.process.Process} per program run (its VM, fd table, fs context,
 * signal dispositions, threads), a {@link io.jocclum.libos.process.GuestThread} per guest thread
 * (a virtual thread entered into the enclave through a TCS of the
 * {@link io.jocclum.libos.process.TcsPool}). There is no fork: processes are spawned.
 */
package io.jocclum.libos.process;
