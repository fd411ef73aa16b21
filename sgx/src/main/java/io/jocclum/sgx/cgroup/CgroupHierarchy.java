package io.jocclum.sgx.cgroup;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One cgroup v2 hierarchy (the kernel's default hierarchy, {@code cgrp_dfl_root}) with the misc
 * and memory controllers, its host tasks, and the typed operations behind the cgroupfs files.
 *
 * <p><b>Design.</b> Structural changes - mkdir, rmdir, moving tasks, enabling/disabling
 * controllers, spawning and exiting tasks - are serialised by one lock, {@link #mutex}, like the
 * kernel's {@code cgroup_mutex}. Charging and uncharging never take it: they walk the css parent
 * chain with atomic per-level counters ({@link MiscController}, {@link MemoryController}). The
 * text interface is {@link #fs()}; this class is the typed one. Errors a real process would see
 * are {@link ErrnoException}s with the kernel's errno; misuse by host code (nulls, a cgroup of
 * another hierarchy) is {@link IllegalArgumentException}.
 *
 * <p>Not modelled: cgroup namespaces, permissions/delegation, threaded cgroups, freezer,
 * {@code cgroup.max.depth}/{@code cgroup.max.descendants}, controllers other than memory and misc.
 * Kernel WARNs are recorded in {@link #warnings()} (WARN_ONCE semantics per site).
 */
public final class CgroupHierarchy {
    /** NAME_MAX (include/uapi/linux/limits.h): longest directory name in bytes. */
    static final int NAME_MAX = 255;

    /** cgroup_mutex: guards every cgroup's structure, the task table and pid allocation. */
    final ReentrantLock mutex = new ReentrantLock();
    private final Cgroup root;
    private final MiscController misc;
    private final MemoryController memory;
    private final CgroupFs fs;
    /** css_serial_nr_next. Lock-free. */
    private final AtomicLong cssSerial = new AtomicLong();
    /** Live tasks by pid. */
    @GuardedBy("mutex")
    private final TreeMap<Integer, HostTask> tasksByPid = new TreeMap<>();
    @GuardedBy("mutex")
    private int nextPid = 1;
    /** Killed csses whose base reference is dropped at the outermost unlock. */
    @GuardedBy("mutex")
    private final List<Css<?>> deferredPuts = new ArrayList<>();
    /** Copy-on-write: read lock-free from the charge path. */
    private final CopyOnWriteArrayList<CgroupFileListener> listeners = new CopyOnWriteArrayList<>();
    /** WARN_ONCE sites already fired. Lock-free. */
    private final Set<String> warnedSites = ConcurrentHashMap.newKeySet();
    /** Recorded kernel warnings. Copy-on-write. */
    private final CopyOnWriteArrayList<String> warnings = new CopyOnWriteArrayList<>();

    /**
     * A hierarchy with only the root cgroup, no tasks, misc and memory available (both listed in
     * the root's {@code cgroup.controllers}, neither enabled in its {@code subtree_control}), all
     * misc capacities 0, swap on.
     */
    public CgroupHierarchy() {
        root = new Cgroup(this, null, "");
        misc = new MiscController(this, root);
        memory = new MemoryController(this, root);
        root.setCss(Controller.MISC, misc.root());
        root.setCss(Controller.MEMORY, memory.root());
        fs = new CgroupFs(this);
    }

    /** The root cgroup. */
    public Cgroup root() {
        return root;
    }

    /** The misc controller. */
    public MiscController misc() {
        return misc;
    }

    /** The memory controller. */
    public MemoryController memory() {
        return memory;
    }

    /** The cgroupfs text interface (paths, file reads and writes). */
    public CgroupFs fs() {
        return fs;
    }

    long nextSerial() {
        return cssSerial.incrementAndGet();
    }

    /**
     * Takes {@code css} offline now and drops its base reference once the mutex is fully
     * released, so a release and its free callbacks never run under the cgroup mutex (the kernel
     * too releases csses asynchronously from rmdir). Mutex held.
     */
    void kill(Css<?> css) {
        css.markOffline();
        deferredPuts.add(css);
    }

    /** Unlocks the mutex; the outermost unlock drops the base references of killed csses. */
    void unlock() {
        if (mutex.getHoldCount() > 1 || deferredPuts.isEmpty()) {
            mutex.unlock();
            return;
        }
        List<Css<?>> puts = new ArrayList<>(deferredPuts);
        deferredPuts.clear();
        mutex.unlock();
        for (Css<?> css : puts) {
            css.put();
        }
    }

    // ---------------------------------------------------------------- directories

    /**
     * Creates the child {@code name} of {@code parent} (mkdir): EEXIST if a child cgroup or an
     * interface file of that name exists (or the name is "." or ".."), ENOENT if {@code parent}
     * was removed or the name is empty, ENAMETOOLONG over 255 bytes, EINVAL if it contains a
     * newline ({@code cgroup_mkdir()}), or the errno of a failing misc {@code alloc} callback.
     * Every controller in the parent's {@code subtree_control} gets a css in the new cgroup.
     */
    public Cgroup mkdir(Cgroup parent, String name) {
        checkMine(parent);
        Objects.requireNonNull(name, "name");
        if (name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("cgroup name contains '/': " + name);
        }
        mutex.lock();
        try {
            if (!parent.isOnline() || name.isEmpty()) {
                throw Errno.ENOENT.exception(parent.path() + "/" + name);
            }
            if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
                throw Errno.ENAMETOOLONG.exception(name);
            }
            if (name.equals(".") || name.equals("..") || parent.children.containsKey(name)
                    || CgroupFile.lookup(parent, name) != null) {
                throw Errno.EEXIST.exception(parent.path() + "/" + name);
            }
            if (name.indexOf('\n') >= 0) {
                throw Errno.EINVAL.exception("cgroup name contains a newline");
            }
            Cgroup cg = new Cgroup(this, parent, name);
            List<Css<?>> created = new ArrayList<>();
            try {
                for (Controller c : parent.subtreeControl) {
                    Css<?> css = createCss(c, cg);
                    created.add(css);
                    cg.setCss(c, css);
                }
            } catch (RuntimeException e) {
                for (Css<?> css : created) {
                    kill(css);
                }
                throw e;
            }
            parent.children.put(name, cg);
            return cg;
        } finally {
            unlock();
        }
    }

    /** Creates, initialises and links the css of {@code c} in {@code cg}. Mutex held. */
    private Css<?> createCss(Controller c, Cgroup cg) {
        for (CgroupFile f : CgroupFile.of(c)) {
            if (f.placedIn(cg) && cg.children.containsKey(f.fileName())) {
                throw Errno.EEXIST.exception(cg.path() + "/" + f.fileName() + " is a cgroup");
            }
        }
        Css<?> css = switch (c) {
            case MISC -> misc.createCss(cg, cg.parent().misc());
            case MEMORY -> memory.createCss(cg, cg.parent().memory());
        };
        css.link();
        return css;
    }

    /**
     * Removes {@code cg} (rmdir): EBUSY for the root, for a cgroup with tasks in it or below, and
     * for one with child cgroups ({@code cgroup_destroy_locked()}); ENOENT if already removed.
     * Its csses go offline; charges still held against them stay accounted (in them and their
     * ancestors) until uncharged, and each css is released when its last reference goes.
     */
    public void rmdir(Cgroup cg) {
        checkMine(cg);
        mutex.lock();
        try {
            if (cg.isRoot()) {
                throw Errno.EBUSY.exception("cannot remove the root cgroup");
            }
            if (!cg.isOnline()) {
                throw Errno.ENOENT.exception(cg.path());
            }
            if (cg.populatedLocked()) {
                throw Errno.EBUSY.exception(cg.path() + " has tasks");
            }
            if (!cg.children.isEmpty()) {
                throw Errno.EBUSY.exception(cg.path() + " has child cgroups");
            }
            cg.parent().children.remove(cg.name());
            cg.markOffline();
            for (Controller c : Controller.values()) {
                Css<?> css = cg.css(c);
                if (css != null) {
                    cg.setCss(c, null);
                    kill(css);
                }
            }
        } finally {
            unlock();
        }
    }

    // ---------------------------------------------------------------- controllers

    /**
     * Changes {@code cgroup.subtree_control} of {@code cg} ({@code cgroup_subtree_control_write()}
     * after parsing): enabling a controller not in {@code cgroup.controllers} is ENOENT; disabling
     * one that a child still enables for its own children is EBUSY; enabling anything in a
     * non-root cgroup that has tasks is EBUSY (no internal processes); already enabled / already
     * disabled controllers are ignored. Enabling creates the controller's css in every child;
     * disabling kills them (their charges stay where they were made, tasks fall back to the
     * nearest ancestor's css). The sets must be disjoint.
     */
    public void setSubtreeControl(Cgroup cg, Set<Controller> enable, Set<Controller> disable) {
        checkMine(cg);
        EnumSet<Controller> en = enable.isEmpty() ? EnumSet.noneOf(Controller.class) : EnumSet.copyOf(enable);
        EnumSet<Controller> dis = disable.isEmpty() ? EnumSet.noneOf(Controller.class) : EnumSet.copyOf(disable);
        for (Controller c : en) {
            if (dis.contains(c)) {
                throw new IllegalArgumentException("controller both enabled and disabled: " + c);
            }
        }
        mutex.lock();
        try {
            if (!cg.isOnline()) {
                throw Errno.ENODEV.exception(cg.path());
            }
            for (Controller c : Controller.values()) {
                if (en.contains(c)) {
                    if (cg.subtreeControl.contains(c)) {
                        en.remove(c);
                    } else if (!cg.controlsLocked().contains(c)) {
                        throw Errno.ENOENT.exception(c.controllerName() + " is not in " + cg.path()
                                + "/cgroup.controllers");
                    }
                } else if (dis.contains(c)) {
                    if (!cg.subtreeControl.contains(c)) {
                        dis.remove(c);
                    } else {
                        for (Cgroup child : cg.children.values()) {
                            if (child.subtreeControl.contains(c)) {
                                throw Errno.EBUSY.exception(child.path() + " still enables " + c.controllerName());
                            }
                        }
                    }
                }
            }
            if (en.isEmpty() && dis.isEmpty()) {
                return;
            }
            if (!en.isEmpty() && !cg.isRoot() && !cg.tasks.isEmpty()) {
                throw Errno.EBUSY.exception(cg.path() + " has tasks (no internal processes)");
            }
            List<Css<?>> created = new ArrayList<>();
            try {
                for (Controller c : en) {
                    for (Cgroup child : cg.children.values()) {
                        Css<?> css = createCss(c, child);
                        created.add(css);
                        child.setCss(c, css);
                    }
                }
            } catch (RuntimeException e) {
                for (Css<?> css : created) {
                    css.cgroup().setCss(css instanceof MiscCgroup ? Controller.MISC : Controller.MEMORY, null);
                    kill(css);
                }
                throw e;
            }
            for (Controller c : dis) {
                for (Cgroup child : cg.children.values()) {
                    Css<?> css = child.css(c);
                    child.setCss(c, null);
                    kill(css);
                }
            }
            cg.subtreeControl.addAll(en);
            cg.subtreeControl.removeAll(dis);
        } finally {
            unlock();
        }
    }

    // ---------------------------------------------------------------- tasks

    /** A new task in the root cgroup (an init-spawned daemon, a login shell). */
    public HostTask spawn(String name) {
        Objects.requireNonNull(name, "name");
        mutex.lock();
        try {
            return newTask(name, root);
        } finally {
            unlock();
        }
    }

    /** A new task in {@code parent}'s cgroup (fork: the child inherits the cgroup). */
    public HostTask fork(HostTask parent, String name) {
        Objects.requireNonNull(name, "name");
        mutex.lock();
        try {
            if (parent.exited() || tasksByPid.get(parent.pid()) != parent) {
                throw new IllegalArgumentException("fork from a task that is not alive here: " + parent);
            }
            return newTask(name, parent.cgroup());
        } finally {
            unlock();
        }
    }

    private HostTask newTask(String name, Cgroup cg) {
        int pid = nextPid++;
        HostTask t = new HostTask(pid, name, cg);
        tasksByPid.put(pid, t);
        cg.tasks.put(pid, t);
        return t;
    }

    /**
     * The task leaves its cgroup for good (process exit). Its charges are not touched: whoever
     * holds them (enclave pages, backing store) uncharges them when freeing.
     */
    public void exit(HostTask task) {
        mutex.lock();
        try {
            if (task.exited()) {
                return;
            }
            if (tasksByPid.get(task.pid()) != task) {
                throw new IllegalArgumentException("not a task of this hierarchy: " + task);
            }
            tasksByPid.remove(task.pid());
            task.cgroup().tasks.remove(task.pid());
            task.markExited();
        } finally {
            unlock();
        }
    }

    /**
     * Moves {@code task} into {@code dst} (what writing its pid to {@code cgroup.procs} does):
     * EBUSY if {@code dst} is not the root and enables controllers for its children
     * ({@code cgroup_migrate_vet_dst()}, no internal processes), ESRCH for an exited task, ENODEV
     * for a removed cgroup. Charges stay with the cgroups they were made in.
     */
    public void attach(HostTask task, Cgroup dst) {
        checkMine(dst);
        mutex.lock();
        try {
            if (task.exited() || tasksByPid.get(task.pid()) != task) {
                throw Errno.ESRCH.exception(task.toString());
            }
            if (!dst.isOnline()) {
                throw Errno.ENODEV.exception(dst.path());
            }
            if (!dst.isRoot() && !dst.subtreeControl.isEmpty()) {
                throw Errno.EBUSY.exception(dst.path() + " enables controllers (no internal processes)");
            }
            Cgroup src = task.cgroup();
            if (src != dst) {
                src.tasks.remove(task.pid());
                dst.tasks.put(task.pid(), task);
                task.moveTo(dst);
                misc.taskMoved();
            }
        } finally {
            unlock();
        }
    }

    /** The live task with this pid. */
    public Optional<HostTask> task(int pid) {
        mutex.lock();
        try {
            return Optional.ofNullable(tasksByPid.get(pid));
        } finally {
            unlock();
        }
    }

    /** All live tasks in pid order (snapshot). */
    public List<HostTask> tasks() {
        mutex.lock();
        try {
            return new ArrayList<>(tasksByPid.values());
        } finally {
            unlock();
        }
    }

    // ---------------------------------------------------------------- notifications, warnings

    /** Registers a listener for file-modified notifications ({@code misc.events}, ...). */
    public void addFileListener(CgroupFileListener listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /** Removes a listener added with {@link #addFileListener}. */
    public void removeFileListener(CgroupFileListener listener) {
        listeners.remove(listener);
    }

    /** {@code cgroup_file_notify()}: tells listeners; no-op for a removed cgroup's files. */
    void notifyFile(Cgroup cg, String fileName) {
        if (!cg.isOnline() || listeners.isEmpty()) {
            return;
        }
        for (CgroupFileListener l : listeners) {
            l.modified(cg, fileName);
        }
    }

    /** WARN_ONCE: records {@code message} the first time {@code site} warns. */
    void warnOnce(String site, String message) {
        if (warnedSites.add(site)) {
            warnings.add(message);
        }
    }

    /**
     * Kernel warnings raised so far (e.g. "misc cgroup resource sgx_epc became less than 0" on an
     * unbalanced uncharge). A correct driver never causes one; the invariant checker reports them.
     */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    List<HostTask> tasksLocked() {
        return new ArrayList<>(tasksByPid.values());
    }

    private void checkMine(Cgroup cg) {
        Objects.requireNonNull(cg, "cgroup");
        if (cg.hierarchy() != this) {
            throw new IllegalArgumentException(cg + " belongs to another hierarchy");
        }
    }
}
