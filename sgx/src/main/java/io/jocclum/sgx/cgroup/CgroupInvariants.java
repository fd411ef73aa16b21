package io.jocclum.sgx.cgroup;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the structural and accounting invariants of a {@link CgroupHierarchy}. Call it when no
 * charge is in flight (after a test, after a selftest run): the counters are only consistent at
 * quiescence, as in the kernel. The sgx_epc controller's own checker builds on this one (its LRUs
 * and page counts must agree with {@link MiscCgroup#usage}).
 *
 * <p>Checked: the cgroup tree (parent links, online flags, tasks, no internal processes, a css
 * exactly where its controller is enabled, css parents matching cgroup parents); every linked css
 * (online ones referenced by their cgroup, references &gt; 0, child links); per misc resource and
 * css: usage = charges made at that level + children's usage, usage &ge; 0, peak &ge; usage, root
 * usage &le; capacity, events = own limit hits + children's events (0 on the root), the private
 * state allocated wherever the resource has ops and a capacity; per memory cgroup the same for memory and swap pages and events,
 * and no swap usage while swap is off; no kernel warning recorded; and, first, that nobody holds
 * the cgroup mutex (a leaked mutex is reported alone: taking it would block or hide the leak).
 */
public final class CgroupInvariants {
    private CgroupInvariants() {
    }

    /** Throws {@link IllegalStateException} listing every violated invariant. */
    public static void check(CgroupHierarchy h) {
        List<String> v = violations(h);
        if (!v.isEmpty()) {
            throw new IllegalStateException("cgroup invariants violated:\n  " + String.join("\n  ", v));
        }
    }

    /** Every violated invariant, one message each; empty when all hold. */
    public static List<String> violations(CgroupHierarchy h) {
        List<String> out = new ArrayList<>();
        if (h.mutex.isLocked()) {
            out.add("cgroup mutex still held" + (h.mutex.isHeldByCurrentThread() ? " by the checking thread" : ""));
            return out;
        }
        h.mutex.lock();
        try {
            checkTree(h, h.root(), out);
            checkTasks(h, out);
            checkMisc(h, out);
            checkMemory(h, out);
        } finally {
            h.unlock();
        }
        for (String w : h.warnings()) {
            out.add("kernel warning: " + w);
        }
        return out;
    }

    private static void checkTree(CgroupHierarchy h, Cgroup cg, List<String> out) {
        if (!cg.isOnline()) {
            out.add(cg + " is linked but offline");
        }
        EnumSet<Controller> controls = cg.controlsLocked();
        if (!controls.containsAll(cg.subtreeControl)) {
            out.add(cg + " subtree_control " + cg.subtreeControl + " not within controllers " + controls);
        }
        if (!cg.isRoot() && !cg.tasks.isEmpty() && !cg.subtreeControl.isEmpty()) {
            out.add(cg + " has tasks and enables " + cg.subtreeControl + " (internal process)");
        }
        for (Controller c : Controller.values()) {
            Css<?> css = cg.css(c);
            boolean expected = cg.isRoot() || cg.parent().subtreeControl.contains(c);
            if ((css != null) != expected) {
                out.add(cg + ": " + c.controllerName() + " css " + (css == null ? "missing" : "present")
                        + " but controller " + (expected ? "enabled" : "not enabled"));
            }
            if (css != null) {
                if (css.cgroup() != cg) {
                    out.add(css + " is in the slot of " + cg);
                }
                if (!css.isOnline() || css.isReleased()) {
                    out.add(cg + " points at dead " + css);
                }
                Css<?> expectedParent = cg.isRoot() ? null : cg.parent().css(c);
                if (css.parent() != expectedParent) {
                    out.add(css + " has parent " + css.parent() + ", expected " + expectedParent);
                }
            }
        }
        for (Map.Entry<String, Cgroup> e : cg.children.entrySet()) {
            Cgroup child = e.getValue();
            if (child.parent() != cg || !child.name().equals(e.getKey())) {
                out.add(child + " is linked under " + cg + " as " + e.getKey());
            }
            checkTree(h, child, out);
        }
    }

    private static void checkTasks(CgroupHierarchy h, List<String> out) {
        Map<HostTask, Boolean> seen = new IdentityHashMap<>();
        collectTasks(h.root(), seen, out);
        for (HostTask t : h.tasksLocked()) {
            if (t.exited()) {
                out.add(t + " is registered but exited");
            }
            if (!seen.containsKey(t)) {
                out.add(t + " is not in the task set of " + t.cgroup());
            }
        }
        if (seen.size() != h.tasksLocked().size()) {
            out.add(seen.size() + " tasks in cgroups but " + h.tasksLocked().size() + " registered");
        }
    }

    private static void collectTasks(Cgroup cg, Map<HostTask, Boolean> seen, List<String> out) {
        for (HostTask t : cg.tasks.values()) {
            if (t.cgroup() != cg) {
                out.add(t + " is listed in " + cg + " but belongs to " + t.cgroup());
            }
            if (seen.put(t, Boolean.TRUE) != null) {
                out.add(t + " is listed twice");
            }
        }
        for (Cgroup c : cg.children.values()) {
            collectTasks(c, seen, out);
        }
    }

    private static <C extends Css<C>> void checkCss(C css, List<String> out) {
        if (css.isReleased()) {
            out.add(css + " is released but still linked");
        }
        if (css.refCount() <= 0) {
            out.add(css + " has reference count " + css.refCount());
        }
        if (css.isOnline() && css.cgroup().css(controllerOf(css)) != css) {
            out.add(css + " is online but not its cgroup's css");
        }
        for (C child : css.children.values()) {
            if (child.parent() != css) {
                out.add(child + " linked under " + css + " has parent " + child.parent());
            }
        }
    }

    private static Controller controllerOf(Css<?> css) {
        return switch (css) {
            case MiscCgroup m -> Controller.MISC;
            case MemCgroup m -> Controller.MEMORY;
        };
    }

    private static void checkMisc(CgroupHierarchy h, List<String> out) {
        MiscController misc = h.misc();
        for (MiscCgroup cg : misc.root().descendantsPre()) {
            checkCss(cg, out);
            for (MiscResource r : MiscResource.all()) {
                int i = r.ordinal();
                MiscRes res = cg.res[i];
                String at = cg + " " + r.resourceName();
                long usage = res.usage.get();
                long local = res.local.get();
                long childUsage = 0;
                long childEvents = 0;
                for (MiscCgroup child : cg.children.values()) {
                    childUsage += child.res[i].usage.get();
                    childEvents += child.res[i].events.get();
                }
                if (usage < 0) {
                    out.add(at + ": negative usage " + usage);
                }
                if (local < 0) {
                    out.add(at + ": more uncharged than charged at this level (" + local + ")");
                }
                if (usage != local + childUsage) {
                    out.add(at + ": usage " + usage + " != local charges " + local + " + children " + childUsage);
                }
                if (Long.compareUnsigned(res.watermark.get(), usage) < 0) {
                    out.add(at + ": peak " + res.watermark.get() + " < usage " + usage);
                }
                if (cg.isRoot()) {
                    long cap = misc.capacity(r);
                    if (cap != 0 && Long.compareUnsigned(usage, cap) > 0) {
                        out.add(at + ": root usage " + usage + " > capacity " + cap);
                    }
                    if (res.events.get() != 0) {
                        out.add(at + ": root has events " + res.events.get());
                    }
                    if (res.max != MiscController.MAX) {
                        out.add(at + ": root has a limit");
                    }
                } else {
                    long expected = res.eventsLocal.get() + childEvents + res.releasedEvents.get();
                    if (res.events.get() != expected) {
                        out.add(at + ": events " + res.events.get() + " != local " + res.eventsLocal.get()
                                + " + children " + childEvents + " + released " + res.releasedEvents.get());
                    }
                    if (misc.ops(r) != null && misc.capacity(r) != 0 && !res.allocated) {
                        out.add(at + ": resource has ops and capacity but no alloc was done");
                    }
                }
            }
        }
    }

    private static void checkMemory(CgroupHierarchy h, List<String> out) {
        MemoryController mem = h.memory();
        for (MemCgroup m : mem.root().descendantsPre()) {
            checkCss(m, out);
            long childMem = 0;
            long childSwap = 0;
            long[] childEvents = new long[MemoryEvent.values().length];
            for (MemCgroup child : m.children.values()) {
                childMem += child.memory.usage.get();
                childSwap += child.swap.usage.get();
                for (MemoryEvent e : MemoryEvent.values()) {
                    childEvents[e.ordinal()] += child.events.get(e.ordinal());
                }
            }
            long resident;
            long swapped;
            synchronized (m.localLock) {
                resident = m.localResident;
                swapped = m.localSwapped;
            }
            if (resident < 0 || swapped < 0) {
                out.add(m + ": negative local pages resident=" + resident + " swapped=" + swapped);
            }
            if (m.memory.usage.get() != resident + childMem) {
                out.add(m + ": memory " + m.memory.usage.get() + " != local " + resident + " + children " + childMem);
            }
            if (m.swap.usage.get() != swapped + childSwap) {
                out.add(m + ": swap " + m.swap.usage.get() + " != local " + swapped + " + children " + childSwap);
            }
            if (m.memory.watermark.get() < m.memory.usage.get()) {
                out.add(m + ": peak below usage");
            }
            if (!mem.swapEnabled() && m.swap.usage.get() != 0) {
                out.add(m + ": swap usage " + m.swap.usage.get() + " while swap is off");
            }
            for (MemoryEvent e : MemoryEvent.values()) {
                int i = e.ordinal();
                long expected = m.isRoot() ? m.eventsLocal.get(i)
                        : m.eventsLocal.get(i) + childEvents[i] + m.releasedEvents.get(i);
                if (m.events.get(i) != expected) {
                    out.add(m + ": " + e.key() + " events " + m.events.get(i) + " != expected " + expected);
                }
            }
        }
    }
}
