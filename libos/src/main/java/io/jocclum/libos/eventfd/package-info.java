/**
 * {@code eventfd(2)} as a LibOS file: a 64-bit counter with EFD_SEMAPHORE, blocking on zero and
 * on overflow, and an event for every write. Occlum keeps eventfd on the host (a TODO in
 * fs/event_file.rs); here it lives entirely inside the LibOS. See docs/events.md.
 */
package io.jocclum.libos.eventfd;
