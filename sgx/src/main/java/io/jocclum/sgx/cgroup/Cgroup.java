package io.jocclum.sgx.cgroup;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A cgroup: a directory of the cgroup v2 hierarchy ({@code struct cgroup}). It has a name and a
 * parent, child cgroups, member tasks, the set of controllers it enables for its children
 * ({@code cgroup.subtree_control}) and, per controller, the css of that controller if the
 * controller is enabled here ({@link #misc()}, {@link #memory()}).
 *
 * <p>Structure (children, tasks, subtree control, online flag, css slots) changes only under the
 * hierarchy's cgroup mutex; the css slots and the online flag are also readable lock-free. The
 * typed accessors returning collections take the mutex and return snapshots.
 */
public final class Cgroup {
    private final CgroupHierarchy hierarchy;
    private final Cgroup parent;
    private final String name;
    private final String path;
    /** Live children by name. */
    @GuardedBy("CgroupHierarchy.mutex")
    final TreeMap<String, Cgroup> children = new TreeMap<>();
    /** Member tasks by pid. */
    @GuardedBy("CgroupHierarchy.mutex")
    final TreeMap<Integer, HostTask> tasks = new TreeMap<>();
    @GuardedBy("CgroupHierarchy.mutex")
    final EnumSet<Controller> subtreeControl = EnumSet.noneOf(Controller.class);
    /** Written under the cgroup mutex. False once removed. */
    private volatile boolean online = true;
    /** Written under the cgroup mutex. The live misc css, null where misc is not enabled. */
    private volatile MiscCgroup misc;
    /** Written under the cgroup mutex. The live memory css, null where memory is not enabled. */
    private volatile MemCgroup memory;

    Cgroup(CgroupHierarchy hierarchy, Cgroup parent, String name) {
        this.hierarchy = hierarchy;
        this.parent = parent;
        this.name = name;
        this.path = parent == null ? "/" : parent.parent == null ? "/" + name : parent.path + "/" + name;
    }

    /** The directory name ({@code ""} for the root). */
    public String name() {
        return name;
    }

    /** The path from the cgroup mount: {@code /} for the root, else {@code /a/b}. */
    public String path() {
        return path;
    }

    /** The parent cgroup, null for the root. */
    public Cgroup parent() {
        return parent;
    }

    /** Whether this is the root cgroup. */
    public boolean isRoot() {
        return parent == null;
    }

    /** False once the cgroup has been removed (rmdir). */
    public boolean isOnline() {
        return online;
    }

    /** The hierarchy this cgroup belongs to. */
    public CgroupHierarchy hierarchy() {
        return hierarchy;
    }

    /** This cgroup's own misc css, or null if misc is not enabled here. Lock-free. */
    public MiscCgroup misc() {
        return misc;
    }

    /** This cgroup's own memory css, or null if memory is not enabled here. Lock-free. */
    public MemCgroup memory() {
        return memory;
    }

    /** The css of {@code c} in this cgroup, or null. */
    Css<?> css(Controller c) {
        return switch (c) {
            case MISC -> misc;
            case MEMORY -> memory;
        };
    }

    void setCss(Controller c, Css<?> css) {
        switch (c) {
            case MISC -> misc = (MiscCgroup) css;
            case MEMORY -> memory = (MemCgroup) css;
        }
    }

    void markOffline() {
        online = false;
    }

    /**
     * The misc css that tasks of this cgroup charge: this cgroup's own, or the nearest ancestor's
     * (the root always has one). Lock-free.
     */
    MiscCgroup effectiveMisc() {
        for (Cgroup c = this; ; c = c.parent) {
            MiscCgroup m = c.misc;
            if (m != null) {
                return m;
            }
        }
    }

    /** The memory css that tasks of this cgroup charge (see {@link #effectiveMisc()}). */
    MemCgroup effectiveMemory() {
        for (Cgroup c = this; ; c = c.parent) {
            MemCgroup m = c.memory;
            if (m != null) {
                return m;
            }
        }
    }

    /** {@code cgroup_control()}: the controllers available here (root: all). Mutex held. */
    EnumSet<Controller> controlsLocked() {
        return parent == null ? EnumSet.allOf(Controller.class) : parent.subtreeControl;
    }

    /** Whether this cgroup or a descendant has tasks ({@code cgroup_is_populated()}). Mutex held. */
    boolean populatedLocked() {
        if (!tasks.isEmpty()) {
            return true;
        }
        for (Cgroup c : children.values()) {
            if (c.populatedLocked()) {
                return true;
            }
        }
        return false;
    }

    /** The controllers listed in {@code cgroup.controllers} (snapshot). */
    public Set<Controller> controllers() {
        hierarchy.mutex.lock();
        try {
            return EnumSet.copyOf(controlsLocked());
        } finally {
            hierarchy.unlock();
        }
    }

    /** The controllers listed in {@code cgroup.subtree_control} (snapshot). */
    public Set<Controller> subtreeControl() {
        hierarchy.mutex.lock();
        try {
            return EnumSet.copyOf(subtreeControl);
        } finally {
            hierarchy.unlock();
        }
    }

    /** The member tasks in pid order (snapshot). */
    public List<HostTask> tasks() {
        hierarchy.mutex.lock();
        try {
            return new ArrayList<>(tasks.values());
        } finally {
            hierarchy.unlock();
        }
    }

    /** The live child cgroups in name order (snapshot). */
    public List<Cgroup> children() {
        hierarchy.mutex.lock();
        try {
            return new ArrayList<>(children.values());
        } finally {
            hierarchy.unlock();
        }
    }

    @Override
    public String toString() {
        return "cgroup " + path + (online ? "" : " (removed)");
    }
}
