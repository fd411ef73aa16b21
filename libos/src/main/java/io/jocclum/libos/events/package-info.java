/**
 * The LibOS event subsystem: readiness bit sets ({@link io.jocclum.libos.events.IoEvents}),
 * notifiers that push readiness changes to observers ({@link io.jocclum.libos.events.Notifier}),
 * waiters that park guest virtual threads ({@link io.jocclum.libos.events.Waiter},
 * {@link io.jocclum.libos.events.WaiterQueue}), the poller that lets one thread wait on many
 * files ({@link io.jocclum.libos.events.Poller}), the atomic readiness word of host-backed files
 * ({@link io.jocclum.libos.events.Pollee}), the one clock every timed wait goes through
 * ({@link io.jocclum.libos.events.WaitClock}) and the hook through which the process layer
 * interrupts waits with signals ({@link io.jocclum.libos.events.ThreadSignals}).
 *
 * <p>Models Occlum's {@code src/libos/src/events/} (notifier, observer, waiter, waiter queue,
 * poller) with the fixes listed in docs/events.md: subscriber snapshots with observers called
 * outside the lock, dead observers pruned instead of ending the broadcast, exclusive
 * subscriptions for EPOLLEXCLUSIVE, and no busy polling anywhere.
 */
package io.jocclum.libos.events;
