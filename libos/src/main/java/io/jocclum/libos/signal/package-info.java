/**
 * Signals of the LibOS (Linux {@code kernel/signal.c}): per-process dispositions and the
 * process-wide pending set ({@link io.jocclum.libos.signal.Sighand}, {@code sighand_struct} +
 * {@code signal_struct.shared_pending}), per-thread masks and pending sets
 * ({@link io.jocclum.libos.signal.ThreadSignalState}, which is the file layer's
 * {@link io.jocclum.libos.events.ThreadSignals} hook), and the default actions of signal(7)
 * ({@link io.jocclum.libos.signal.DefaultAction}), and delivery at a system-call boundary
 * ({@link io.jocclum.libos.signal.SignalDelivery}: Java handlers, fatal actions, restart or EINTR
 * per SA_RESTART). Sending to a process is the process layer's.
 */
package io.jocclum.libos.signal;
