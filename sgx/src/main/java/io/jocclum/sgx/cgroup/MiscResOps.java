package io.jocclum.sgx.cgroup;

/**
 * Per-resource callbacks of the misc controller ({@code struct misc_res_ops}, v17 patch 02): how a
 * resource's owner (the {@code sgx_epc} controller) hangs its own state on every misc cgroup.
 *
 * <p>Registered once with {@link MiscController#setOps}. {@link #alloc} is called when a misc css
 * is created (mkdir, or {@code +misc} in the parent's {@code cgroup.subtree_control}) for every
 * resource that has ops and a non-zero capacity; its result becomes the css's private pointer
 * ({@link MiscCgroup#priv}). Throwing an {@link io.jocclum.api.ErrnoException} fails the css
 * creation, and the mkdir or write that caused it, with that errno. {@link #free} is called exactly
 * once for every successful {@code alloc}, when the css is released (its last reference dropped,
 * which is after it went offline). The root's private state is not allocated by {@code alloc}: it
 * is given to {@code setOps}, like the kernel's static root {@code sgx_cgroup}.
 *
 * <p>{@code alloc} runs under the cgroup mutex; {@code free} runs on the thread that dropped the
 * last reference (see {@link Css#put}).
 *
 * @param <P> the per-cgroup state type
 */
public interface MiscResOps<P> {
    /** Creates the state for the new css {@code cg}; may throw {@code ErrnoException}. */
    P alloc(MiscCgroup cg);

    /** Frees the state {@code priv} of the released css {@code cg}. */
    void free(MiscCgroup cg, P priv);

    /**
     * Called after a write to {@code cg}'s {@code misc.max} stored a new limit of this resource
     * (not a kernel callback). In the kernel a task refused a charge re-faults and meets the new
     * limit at its next attempt; where a model makes such tasks wait for an event instead, this is
     * the event. Nothing by default.
     */
    default void maxWritten(MiscCgroup cg) {
    }

    /**
     * Called after a task moved to another cgroup (not a kernel callback): from its next charge on
     * it charges there, which a task refused a charge would find at its next fault. Nothing by
     * default.
     */
    default void taskMoved() {
    }
}
