package io.jocclum.sgx.cgroup;

/**
 * The misc controller's state in one cgroup ({@code struct misc_cg}): per resource, the
 * hierarchical usage, the peak, the limit, the event counters and the resource owner's private
 * pointer. Charging goes through {@link MiscController#tryCharge}; this class is the read side.
 *
 * <p>All amounts are unsigned 64-bit byte counts held in Java longs (compare with
 * {@link Long#compareUnsigned}); {@link MiscController#MAX} ({@code -1L}, U64_MAX) means "max".
 * Reads are lock-free snapshots of atomics.
 */
public final class MiscCgroup extends Css<MiscCgroup> {
    private final MiscController controller;
    /** Indexed by {@link MiscResource#ordinal()}. */
    final MiscRes[] res;

    MiscCgroup(MiscController controller, Cgroup cgroup, MiscCgroup parent, long serial) {
        super(cgroup, parent, serial);
        this.controller = controller;
        MiscResource[] all = MiscResource.all();
        res = new MiscRes[all.length];
        for (int i = 0; i < all.length; i++) {
            res[i] = new MiscRes();
        }
    }

    /** The controller this css belongs to. */
    public MiscController controller() {
        return controller;
    }

    /** Hierarchical usage in bytes (misc.current). */
    public long usage(MiscResource r) {
        return res[r.ordinal()].usage.get();
    }

    /** Highest usage ever reached in bytes, cancelled charges included (misc.peak). */
    public long peak(MiscResource r) {
        return res[r.ordinal()].watermark.get();
    }

    /** The limit in bytes, {@link MiscController#MAX} for "max" (always "max" on the root). */
    public long max(MiscResource r) {
        return res[r.ordinal()].max;
    }

    /** Failed charges whose limit was hit here or below (misc.events; 0 on the root). */
    public long events(MiscResource r) {
        return res[r.ordinal()].events.get();
    }

    /** Failed charges whose limit was hit at this cgroup (misc.events.local). */
    public long eventsLocal(MiscResource r) {
        return res[r.ordinal()].eventsLocal.get();
    }

    /**
     * The resource owner's state for this cgroup ({@code cg->res[type].priv}): what
     * {@link MiscResOps#alloc} returned, the root's state given to {@link MiscController#setOps},
     * or null if the resource has no ops (or had no capacity when this css was created).
     */
    @SuppressWarnings("unchecked")
    public <P> P priv(MiscResource r) {
        return (P) res[r.ordinal()].priv;
    }

    @Override
    void released(MiscCgroup parent) {
        controller.released(this, parent);
    }
}
