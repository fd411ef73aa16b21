/**
 * Signals of the LibOS (Linux {@code kernel/signal.c}): per-process dispositions and the
 * process-wide pending set ({@link io.jocclum.libos.signal.Sighand}, {@code sighand_struct} +
 * {@code signal_struct.shared_pending}), per-thread masks and pending sets
 * ({@link io.jocclum.libos.signal.ThreadSignalState}, which is the file layer's
 * {@link io.jocclum.libos.events.ThreadSignals} hook), and the default actions of signal(7)
 * ({@link io.jocclum.libos.signal.DefaultAction}). Sending to a process and delivering
 * (running Java handlers, killing) are the process layer's and the syscall façade's.
 */
package io.jocclum.libos.signal;
