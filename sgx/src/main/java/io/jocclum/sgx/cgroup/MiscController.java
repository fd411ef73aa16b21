package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The misc cgroup controller core ({@code kernel/cgroup/misc.c} of the v6.11 base with patches
 * 02-04 of the v17 EPC cgroup series): generic over {@link MiscResource}s, it keeps a platform
 * capacity per resource and, per misc cgroup, the hierarchical usage, peak, limit and events.
 *
 * <p><b>Charge</b> ({@code misc_cg_try_charge()}, spec 1.4): for each level from the charged
 * cgroup up to and including the root, atomically add the amount; if the new usage exceeds that
 * level's limit or the capacity, record an event at that level (1.5), take the amount back from
 * every level up to and including it, and fail (EBUSY); otherwise raise the level's peak to the
 * new usage and go on. Levels below the failing one keep the raised peak (the peak quirk). There
 * is no lock: concurrent charges may overshoot a limit transiently and one of them then fails,
 * exactly like the kernel's atomic64 loop.
 *
 * <p><b>Callbacks</b> (patch 02): a resource owner registers {@link MiscResOps} once; alloc/free
 * then run for every non-root misc css while the resource has a capacity, and the returned state
 * is the css's {@link MiscCgroup#priv}. The driver's boot order is: {@code setOps} (with the root's
 * state), then {@code setCapacity}; both before any child misc cgroup exists.
 *
 * <p>Interface files (rendered here, exposed by {@link CgroupFs}): {@code misc.capacity} (root
 * only), {@code misc.current} and {@code misc.peak} (all), {@code misc.max}, {@code misc.events},
 * {@code misc.events.local} (non-root). A resource's line appears only when its capacity is
 * non-zero, or, for current/peak/events, when the printed value is non-zero.
 */
public final class MiscController {
    /** U64_MAX, the "max" limit ({@code MAX_NUM} in kernel/cgroup/misc.c). */
    public static final long MAX = -1L;
    /** The literal meaning "no limit" in misc.max ({@code MAX_STR}). */
    static final String MAX_STR = "max";

    private final CgroupHierarchy hierarchy;
    private final MiscCgroup root;
    /** misc_res_capacity[]: u64 per resource. Lock-free. */
    private final AtomicLongArray capacity = new AtomicLongArray(MiscResource.all().length);
    /** misc_res_ops[]: set once per resource under the cgroup mutex, read lock-free. */
    private final AtomicReferenceArray<MiscResOps<?>> ops = new AtomicReferenceArray<>(MiscResource.all().length);

    MiscController(CgroupHierarchy hierarchy, Cgroup rootCgroup) {
        this.hierarchy = hierarchy;
        this.root = new MiscCgroup(this, rootCgroup, null, hierarchy.nextSerial());
    }

    /** The root misc cgroup ({@code misc_cg_root()}). */
    public MiscCgroup root() {
        return root;
    }

    /** The platform capacity of {@code r} (u64; 0 = resource not available). */
    public long capacity(MiscResource r) {
        return capacity.get(r.ordinal());
    }

    /**
     * Sets the capacity of {@code r} ({@code misc_cg_set_capacity()}); the SGX driver sets
     * {@code sgx_epc} to the total EPC bytes once at the end of its init, and back to 0 if that
     * init fails. Setting it does not touch usage or limits. {@code IllegalStateException} if
     * {@code r} has ops and this would turn it on while child misc cgroups exist (they would lack
     * their per-cgroup state).
     */
    public void setCapacity(MiscResource r, long bytes) {
        Objects.requireNonNull(r, "resource");
        hierarchy.mutex.lock();
        try {
            int i = r.ordinal();
            if (ops.get(i) != null && capacity.get(i) == 0 && bytes != 0 && !root.children.isEmpty()) {
                throw new IllegalStateException("capacity of " + r.resourceName()
                        + " turned on while child misc cgroups exist without its per-cgroup state");
            }
            capacity.set(i, bytes);
        } finally {
            hierarchy.unlock();
        }
    }

    /**
     * Registers the callbacks of {@code r} ({@code misc_cg_set_ops()}, patch 02) and the root's
     * private state (the kernel's static root {@code sgx_cgroup}). Once per resource, before any
     * child misc cgroup exists; otherwise {@code IllegalStateException}.
     */
    public <P> void setOps(MiscResource r, MiscResOps<P> resOps, P rootPriv) {
        Objects.requireNonNull(r, "resource");
        Objects.requireNonNull(resOps, "ops");
        hierarchy.mutex.lock();
        try {
            if (ops.get(r.ordinal()) != null) {
                throw new IllegalStateException("ops of " + r.resourceName() + " already set");
            }
            if (!root.children.isEmpty()) {
                throw new IllegalStateException("ops of " + r.resourceName()
                        + " set after child misc cgroups were created");
            }
            root.res[r.ordinal()].priv = rootPriv;
            ops.set(r.ordinal(), resOps);
        } finally {
            hierarchy.unlock();
        }
    }

    /**
     * The misc cgroup {@code task} charges, with a reference the caller must drop with
     * {@link Css#put()} ({@code get_current_misc_cg()} / {@code put_misc_cg()}): the css of the
     * task's cgroup or, where misc is not enabled, of its nearest ancestor.
     */
    public MiscCgroup getTaskCgroup(HostTask task) {
        while (true) {
            MiscCgroup cg = task.cgroup().effectiveMisc();
            if (cg.tryGet()) {
                return cg;
            }
            Thread.onSpinWait(); // raced with rmdir or a controller disable: look again
        }
    }

    /**
     * Charges {@code amount} bytes (u64) of {@code r} to {@code cg} and all its ancestors
     * ({@code misc_cg_try_charge()}). Returns true when charged, false when a limit or the capacity
     * was hit at some level (the kernel's EBUSY; the event is recorded there). EINVAL if
     * {@code r} or {@code cg} is null or the capacity of {@code r} is 0. An amount of 0 succeeds
     * without touching anything. Lock-free; safe from any number of threads.
     */
    public boolean tryCharge(MiscResource r, MiscCgroup cg, long amount) {
        if (r == null || cg == null || capacity.get(r.ordinal()) == 0) {
            throw Errno.EINVAL.exception("misc charge of " + (r == null ? "null" : r.resourceName())
                    + (cg == null ? " to a null cgroup" : " without capacity"));
        }
        if (cg.isReleased()) {
            throw new IllegalStateException("charge to released " + cg);
        }
        if (amount == 0) {
            return true;
        }
        int i = r.ordinal();
        for (MiscCgroup lvl = cg; lvl != null; lvl = lvl.parent()) {
            MiscRes res = lvl.res[i];
            long newUsage = res.usage.addAndGet(amount);
            if (Long.compareUnsigned(newUsage, res.max) > 0
                    || Long.compareUnsigned(newUsage, capacity.get(i)) > 0) {
                event(r, lvl);
                for (MiscCgroup j = cg; j != lvl; j = j.parent()) {
                    cancel(r, j, amount);
                }
                cancel(r, lvl, amount);
                return false;
            }
            raiseWatermark(res, newUsage);
        }
        cg.res[i].local.addAndGet(amount);
        return true;
    }

    /**
     * Returns {@code amount} bytes of {@code r} charged earlier to {@code cg}
     * ({@code misc_cg_uncharge()}): subtracts it from {@code cg} and every ancestor; a level
     * going negative raises a one-time kernel warning ({@link CgroupHierarchy#warnings()}). A null
     * resource or cgroup, or an amount of 0, does nothing. Lock-free.
     */
    public void uncharge(MiscResource r, MiscCgroup cg, long amount) {
        if (amount == 0 || r == null || cg == null) {
            return;
        }
        cg.res[r.ordinal()].local.addAndGet(-amount);
        for (MiscCgroup lvl = cg; lvl != null; lvl = lvl.parent()) {
            cancel(r, lvl, amount);
        }
    }

    /** {@code misc_cg_cancel_charge()}. */
    private void cancel(MiscResource r, MiscCgroup cg, long amount) {
        if (cg.res[r.ordinal()].usage.addAndGet(-amount) < 0) {
            hierarchy.warnOnce("misc_cg_cancel_charge",
                    "misc cgroup resource " + r.resourceName() + " became less than 0");
        }
    }

    /** {@code misc_cg_update_watermark()}: unsigned max by compare-and-swap. */
    private static void raiseWatermark(MiscRes res, long newUsage) {
        while (true) {
            long old = res.watermark.get();
            if (Long.compareUnsigned(newUsage, old) <= 0 || res.watermark.compareAndSet(old, newUsage)) {
                return;
            }
        }
    }

    /**
     * {@code misc_cg_event()}: events.local at the level whose limit was hit; events at it and
     * every ancestor except the root; a file notification for each (none for the root, which has
     * no such files).
     */
    private void event(MiscResource r, MiscCgroup at) {
        int i = r.ordinal();
        at.res[i].eventsLocal.incrementAndGet();
        if (!at.isRoot() && at.isOnline()) {
            hierarchy.notifyFile(at.cgroup(), CgroupFile.MISC_EVENTS_LOCAL.fileName());
        }
        for (MiscCgroup c = at; c.parent() != null; c = c.parent()) {
            c.res[i].events.incrementAndGet();
            if (c.isOnline()) {
                hierarchy.notifyFile(c.cgroup(), CgroupFile.MISC_EVENTS.fileName());
            }
        }
    }

    // ---------------------------------------------------------------- css lifecycle

    /** {@code misc_cg_alloc()}: a new css for {@code cg}, alloc callbacks run. Mutex held. */
    MiscCgroup createCss(Cgroup cg, MiscCgroup parent) {
        MiscCgroup css = new MiscCgroup(this, cg, parent, hierarchy.nextSerial());
        List<MiscResource> done = new ArrayList<>();
        try {
            for (MiscResource r : MiscResource.all()) {
                MiscResOps<?> o = ops.get(r.ordinal());
                if (o != null && capacity.get(r.ordinal()) != 0) {
                    MiscRes res = css.res[r.ordinal()];
                    res.priv = o.alloc(css);
                    res.allocated = true;
                    done.add(r);
                }
            }
        } catch (RuntimeException e) {
            for (int k = done.size() - 1; k >= 0; k--) {
                free(css, done.get(k));
            }
            throw e;
        }
        return css;
    }

    /** {@code misc_cg_free()}: free callbacks for every successful alloc, plus model bookkeeping. */
    void released(MiscCgroup cg, MiscCgroup parent) {
        for (MiscResource r : MiscResource.all()) {
            MiscRes res = cg.res[r.ordinal()];
            long left = res.usage.get();
            if (left != 0) {
                hierarchy.warnOnce("model:misc-released-charged", "model: misc cgroup " + cg.cgroup().path()
                        + " released with " + Long.toUnsignedString(left) + " of " + r.resourceName()
                        + " still charged (a charge without a reference)");
            }
            if (!parent.isRoot()) {
                parent.res[r.ordinal()].releasedEvents.addAndGet(res.events.get());
            }
            if (res.allocated) {
                free(cg, r);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void free(MiscCgroup cg, MiscResource r) {
        MiscRes res = cg.res[r.ordinal()];
        Object priv = res.priv;
        res.allocated = false;
        res.priv = null;
        ((MiscResOps<Object>) ops.get(r.ordinal())).free(cg, priv);
    }

    /** Tells every resource's ops that a task moved to another cgroup ({@link MiscResOps#taskMoved}). */
    void taskMoved() {
        for (int i = 0; i < ops.length(); i++) {
            MiscResOps<?> o = ops.get(i);
            if (o != null) {
                o.taskMoved();
            }
        }
    }

    MiscResOps<?> ops(MiscResource r) {
        return ops.get(r.ordinal());
    }

    // ---------------------------------------------------------------- files

    /** The text of a misc file of {@code cg}, exactly as the kernel's seq_show functions print it. */
    String show(CgroupFile f, MiscCgroup cg) {
        StringBuilder sb = new StringBuilder();
        for (MiscResource r : MiscResource.all()) {
            int i = r.ordinal();
            long cap = capacity.get(i);
            MiscRes res = cg.res[i];
            switch (f) {
                case MISC_CAPACITY -> line(sb, r.resourceName(), cap, cap != 0);
                case MISC_CURRENT -> {
                    long usage = res.usage.get();
                    line(sb, r.resourceName(), usage, cap != 0 || usage != 0);
                }
                case MISC_PEAK -> {
                    long watermark = res.watermark.get();
                    line(sb, r.resourceName(), watermark, cap != 0 || watermark != 0);
                }
                case MISC_MAX -> {
                    if (cap != 0) {
                        long max = res.max;
                        sb.append(r.resourceName()).append(' ')
                                .append(max == MAX ? MAX_STR : Long.toUnsignedString(max)).append('\n');
                    }
                }
                case MISC_EVENTS -> {
                    long events = res.events.get();
                    line(sb, r.eventKey(), events, cap != 0 || events != 0);
                }
                case MISC_EVENTS_LOCAL -> {
                    long events = res.eventsLocal.get();
                    line(sb, r.eventKey(), events, cap != 0 || events != 0);
                }
                default -> throw new IllegalArgumentException("not a misc file: " + f);
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String key, long value, boolean print) {
        if (print) {
            sb.append(key).append(' ').append(Long.toUnsignedString(value)).append('\n');
        }
    }

    /**
     * {@code misc_cg_max_write()} (spec 1.2): strip; split at the first space into name and value
     * (either missing: EINVAL); the name must equal a resource name exactly (EINVAL); the value is
     * {@code max} or a u64 in kstrtou64 base-0 syntax (EINVAL / ERANGE); a resource without
     * capacity is EINVAL. The value is stored as given: no page rounding, no check against usage
     * or capacity, nothing reclaimed.
     */
    void writeMax(MiscCgroup cg, String text) {
        String buf = KernelParse.strstrip(text);
        int sp = buf.indexOf(' ');
        if (sp < 0) {
            throw Errno.EINVAL.exception("misc.max needs '<resource> <value>': " + text.strip());
        }
        String token = buf.substring(0, sp);
        String value = buf.substring(sp + 1);
        MiscResource r = MiscResource.byName(token);
        if (r == null) {
            throw Errno.EINVAL.exception("unknown misc resource: " + token);
        }
        long max = value.equals(MAX_STR) ? MAX : KernelParse.kstrtoull(value);
        if (capacity.get(r.ordinal()) == 0) {
            throw Errno.EINVAL.exception(r.resourceName() + " has no capacity");
        }
        cg.res[r.ordinal()].max = max;
        MiscResOps<?> o = ops.get(r.ordinal());
        if (o != null) {
            o.maxWritten(cg);
        }
    }
}
