package io.jocclum.libos.events;

/**
 * The deterministic scheduler gate of one enclave's guest threads, installed only when the LibOS
 * runs in a scenario (null everywhere else, so {@code jocclum run} pays one null check per
 * boundary). Under a gate exactly one guest thread of the whole scenario runs at a time: it holds
 * the baton and hands it over at its boundaries — a system call, a guest-memory access, a wait —
 * to whichever thread of the scenario is due next in simulated time. The gate is also the LibOS's
 * {@link WaitClock}: a thread that waits releases the baton, and the thread or event that wakes
 * it makes it runnable again, with timeouts in simulated time.
 *
 * <p>The process layer calls {@link #admit} for every new guest thread before starting it,
 * {@link #enter} first thing on that thread and {@link #leave} last; the system-call layer calls
 * {@link #syscall} on every call's entry and {@link #access} on every guest-memory access. None of
 * them may be called while a lock of the LibOS is held (except {@link #admit}, which never
 * waits).
 */
public interface Gate extends WaitClock {
    /**
     * A new guest thread {@code thread} (not started yet) with its process and thread ids; it
     * becomes runnable at the caller's simulated time.
     */
    void admit(Thread thread, int pid, int tid);

    /** The calling (admitted) thread waits for the baton; its first act. */
    void enter();

    /** The calling thread ends: it gives the baton back for good; its last act. */
    void leave();

    /** A system call's entry: charges the call's time and may hand the baton over. */
    void syscall();

    /** A guest-memory access spanning {@code pages} pages: charges it and may hand the baton over. */
    void access(long pages);
}
