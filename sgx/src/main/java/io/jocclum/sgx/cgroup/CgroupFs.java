package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The cgroupfs view of a {@link CgroupHierarchy}: directories by path and interface files read
 * and written as text, with exactly the kernel's contents and errnos (what a shell script such as
 * the v17 selftests sees under {@code /sys/fs/cgroup}).
 *
 * <p>Paths are relative to the cgroup mount: {@code "/"} (or {@code ""}) is the root, {@code "a/b"}
 * and {@code "/a/b"} are the same cgroup; "." and ".." are resolved. Lookup errors follow the VFS:
 * ENOENT for a missing component, ENOTDIR for a file used as a directory, EISDIR for a directory
 * used as a file, ENAMETOOLONG for a component over 255 bytes. Opening a read-only file for writing
 * is EACCES (kernfs), a write longer than a page is E2BIG (cgroup files' {@code atomic_write_len}).
 * A successful write returns the number of bytes written (UTF-8), as {@code write(2)} does.
 *
 * <p>Files: {@code cgroup.controllers}, {@code cgroup.procs}, {@code cgroup.subtree_control}
 * (everywhere), {@code cgroup.events} (non-root); {@code misc.capacity} (root), {@code misc.current},
 * {@code misc.peak} (where misc is enabled), {@code misc.max}, {@code misc.events},
 * {@code misc.events.local} (non-root where misc is enabled); {@code memory.current},
 * {@code memory.peak}, {@code memory.max}, {@code memory.events}, {@code memory.events.local},
 * {@code memory.swap.current}, {@code memory.swap.max} (non-root where memory is enabled).
 */
public final class CgroupFs {
    /** kernfs {@code atomic_write_len} of cgroup files (PAGE_SIZE): longer writes are E2BIG. */
    static final int MAX_WRITE = Pages.SIZE;

    private final CgroupHierarchy h;

    CgroupFs(CgroupHierarchy h) {
        this.h = h;
    }

    /** The cgroup at {@code path}: ENOENT / ENOTDIR / ENAMETOOLONG as the VFS. */
    public Cgroup cgroup(String path) {
        h.mutex.lock();
        try {
            return walk(components(path));
        } finally {
            h.unlock();
        }
    }

    /** mkdir: see {@link CgroupHierarchy#mkdir}; EEXIST for the root, "." and "..". */
    public Cgroup mkdir(String path) {
        List<String> comps = components(path);
        h.mutex.lock();
        try {
            if (comps.isEmpty()) {
                throw Errno.EEXIST.exception("/");
            }
            Cgroup parent = walk(comps.subList(0, comps.size() - 1));
            return h.mkdir(parent, comps.getLast());
        } finally {
            h.unlock();
        }
    }

    /**
     * rmdir: see {@link CgroupHierarchy#rmdir}; EBUSY for the root (a mount point), EINVAL for a
     * last component ".", ENOTEMPTY for "..", ENOTDIR for a file.
     */
    public void rmdir(String path) {
        List<String> comps = components(path);
        h.mutex.lock();
        try {
            if (comps.isEmpty()) {
                throw Errno.EBUSY.exception("/ is the cgroup mount point");
            }
            Cgroup parent = walk(comps.subList(0, comps.size() - 1));
            String last = comps.getLast();
            if (last.equals(".")) {
                throw Errno.EINVAL.exception(path);
            }
            if (last.equals("..")) {
                throw Errno.ENOTEMPTY.exception(path);
            }
            Cgroup cg = parent.children.get(last);
            if (cg == null) {
                throw (CgroupFile.lookup(parent, last) != null ? Errno.ENOTDIR : Errno.ENOENT).exception(path);
            }
            h.rmdir(cg);
        } finally {
            h.unlock();
        }
    }

    /** The entries of the directory {@code path} (interface files and child cgroups), sorted. */
    public List<String> list(String path) {
        h.mutex.lock();
        try {
            Cgroup cg = walk(components(path));
            TreeSet<String> names = new TreeSet<>(cg.children.keySet());
            for (CgroupFile f : CgroupFile.values()) {
                if (f.presentIn(cg)) {
                    names.add(f.fileName());
                }
            }
            return new ArrayList<>(names);
        } finally {
            h.unlock();
        }
    }

    /** Reads the whole interface file {@code file} of the cgroup at {@code path}. */
    public String read(String path, String file) {
        h.mutex.lock();
        try {
            Cgroup cg = resolveDir(path, file);
            CgroupFile f = resolveFile(cg, path, file);
            return switch (f) {
                case CGROUP_CONTROLLERS -> controllerList(cg.controlsLocked());
                case CGROUP_SUBTREE_CONTROL -> controllerList(cg.subtreeControl);
                case CGROUP_PROCS -> {
                    StringBuilder sb = new StringBuilder();
                    for (int pid : cg.tasks.keySet()) {
                        sb.append(pid).append('\n');
                    }
                    yield sb.toString();
                }
                case CGROUP_EVENTS -> "populated " + (cg.populatedLocked() ? 1 : 0) + "\nfrozen 0\n";
                case MISC_CAPACITY, MISC_CURRENT, MISC_PEAK, MISC_MAX, MISC_EVENTS, MISC_EVENTS_LOCAL ->
                        h.misc().show(f, cg.misc());
                case MEMORY_CURRENT, MEMORY_PEAK, MEMORY_MAX, MEMORY_EVENTS, MEMORY_EVENTS_LOCAL,
                     MEMORY_SWAP_CURRENT, MEMORY_SWAP_MAX -> h.memory().show(f, cg.memory());
            };
        } finally {
            h.unlock();
        }
    }

    /**
     * Writes {@code text} to an interface file as a kernel context with no task: writing "0" to
     * {@code cgroup.procs} is then EINVAL (as for a kernel thread). See
     * {@link #write(HostTask, String, String, String)}.
     */
    public int write(String path, String file, String text) {
        return write(null, path, file, text);
    }

    /**
     * Writes {@code text} to the interface file {@code file} of the cgroup at {@code path} as
     * {@code writer} (the process doing the write; "0" in {@code cgroup.procs} means it) and
     * returns the number of bytes written.
     */
    public int write(HostTask writer, String path, String file, String text) {
        Objects.requireNonNull(text, "text");
        int n = text.getBytes(StandardCharsets.UTF_8).length;
        MemCgroup memRef;
        h.mutex.lock();
        try {
            Cgroup cg = resolveDir(path, file);
            CgroupFile f = resolveFile(cg, path, file);
            if (!f.writable()) {
                throw Errno.EACCES.exception(file + " is read-only");
            }
            if (n > MAX_WRITE) {
                throw Errno.E2BIG.exception("write of " + n + " bytes to " + file);
            }
            switch (f) {
                case CGROUP_PROCS -> {
                    writeProcs(writer, cg, text);
                    return n;
                }
                case CGROUP_SUBTREE_CONTROL -> {
                    writeSubtreeControl(cg, text);
                    return n;
                }
                case MISC_MAX -> {
                    h.misc().writeMax(cg.misc(), text);
                    return n;
                }
                case MEMORY_SWAP_MAX -> {
                    h.memory().writeSwapMax(cg.memory(), text);
                    return n;
                }
                case MEMORY_MAX -> {
                    memRef = cg.memory();
                    memRef.get(); // enforced below without the mutex: the OOM killer may exit tasks
                }
                default -> throw Errno.EACCES.exception(file + " is read-only");
            }
        } finally {
            h.unlock();
        }
        try {
            h.memory().writeMax(memRef, text);
        } finally {
            memRef.put();
        }
        return n;
    }

    /**
     * {@code cgroup_procs_write_start()} + {@code cgroup_attach_task()}: the stripped text must be
     * an int (kstrtoint, base 0) &gt;= 0, else EINVAL; 0 is the writer; an unknown pid is ESRCH.
     */
    private void writeProcs(HostTask writer, Cgroup dst, String text) {
        int pid;
        try {
            pid = KernelParse.kstrtoint(KernelParse.strstrip(text));
        } catch (ErrnoException e) {
            throw Errno.EINVAL.exception("not a pid: " + text.strip());
        }
        if (pid < 0) {
            throw Errno.EINVAL.exception("negative pid " + pid);
        }
        HostTask task;
        if (pid == 0) {
            if (writer == null) {
                throw Errno.EINVAL.exception("a kernel context cannot migrate itself");
            }
            task = writer;
        } else {
            task = h.task(pid).orElseThrow(() -> Errno.ESRCH.exception("no process " + pid));
        }
        h.attach(task, dst);
    }

    /**
     * {@code cgroup_subtree_control_write()} parsing: strip, split at single spaces, skip empty
     * tokens; each token is '+' or '-' and a controller name (else EINVAL); for a controller named
     * twice the last token wins.
     */
    private void writeSubtreeControl(Cgroup cg, String text) {
        EnumSet<Controller> enable = EnumSet.noneOf(Controller.class);
        EnumSet<Controller> disable = EnumSet.noneOf(Controller.class);
        for (String tok : KernelParse.strstrip(text).split(" ", -1)) {
            if (tok.isEmpty()) {
                continue;
            }
            Controller c = Controller.byName(tok.substring(1));
            if (c == null) {
                throw Errno.EINVAL.exception("unknown controller in '" + tok + "'");
            }
            switch (tok.charAt(0)) {
                case '+' -> {
                    enable.add(c);
                    disable.remove(c);
                }
                case '-' -> {
                    disable.add(c);
                    enable.remove(c);
                }
                default -> throw Errno.EINVAL.exception("'" + tok + "' must start with + or -");
            }
        }
        h.setSubtreeControl(cg, enable, disable);
    }

    /** {@code cgroup_print_ss_mask()}: names separated by spaces, a newline only if non-empty. */
    private static String controllerList(EnumSet<Controller> set) {
        if (set.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Controller c : set) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(c.controllerName());
        }
        return sb.append('\n').toString();
    }

    // ---------------------------------------------------------------- path resolution

    private static List<String> components(String path) {
        Objects.requireNonNull(path, "path");
        List<String> out = new ArrayList<>();
        for (String c : path.split("/")) {
            if (!c.isEmpty()) {
                out.add(c);
            }
        }
        return out;
    }

    /** Resolves directory components from the root. Mutex held. */
    private Cgroup walk(List<String> comps) {
        Cgroup cur = h.root();
        for (String c : comps) {
            if (c.getBytes(StandardCharsets.UTF_8).length > CgroupHierarchy.NAME_MAX) {
                throw Errno.ENAMETOOLONG.exception(c);
            }
            if (c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                cur = cur.isRoot() ? cur : cur.parent();
                continue;
            }
            Cgroup next = cur.children.get(c);
            if (next == null) {
                throw (CgroupFile.lookup(cur, c) != null ? Errno.ENOTDIR : Errno.ENOENT)
                        .exception(cur.path() + (cur.isRoot() ? "" : "/") + c);
            }
            cur = next;
        }
        return cur;
    }

    /** The directory holding {@code path/file}. Mutex held. */
    private Cgroup resolveDir(String path, String file) {
        Objects.requireNonNull(file, "file");
        List<String> comps = components(path + "/" + file);
        if (comps.isEmpty()) {
            throw Errno.EISDIR.exception("/");
        }
        return walk(comps.subList(0, comps.size() - 1));
    }

    /** The interface file at {@code path/file} in {@code dir}. Mutex held. */
    private static CgroupFile resolveFile(Cgroup dir, String path, String file) {
        List<String> comps = components(path + "/" + file);
        String last = comps.getLast();
        if (last.equals(".") || last.equals("..") || dir.children.containsKey(last)) {
            throw Errno.EISDIR.exception(path + "/" + file);
        }
        CgroupFile f = CgroupFile.lookup(dir, last);
        if (f == null) {
            throw Errno.ENOENT.exception(path + "/" + file);
        }
        return f;
    }
}
