package io.jocclum.sgx.cgroup;

/**
 * A host process as the cgroup core sees it: a pid, a name for diagnostics, and the cgroup it
 * belongs to. Created by {@link CgroupHierarchy#spawn} / {@link CgroupHierarchy#fork}, moved by
 * {@link CgroupHierarchy#attach} or a write to {@code cgroup.procs}, gone after
 * {@link CgroupHierarchy#exit}. The process model of whoever runs workloads (the selftest's W
 * processes, a LibOS instance) keeps a reference to its {@code HostTask}; the driver charges EPC to
 * {@code misc.getTaskCgroup(task)} and backing store to {@code memory.getTaskMemcg(task)}.
 */
public final class HostTask {
    private final int pid;
    private final String name;
    /** Written under the cgroup mutex, read lock-free. After exit: the last cgroup. */
    private volatile Cgroup cgroup;
    /** Written under the cgroup mutex. */
    private volatile boolean exited;

    HostTask(int pid, String name, Cgroup cgroup) {
        this.pid = pid;
        this.name = name;
        this.cgroup = cgroup;
    }

    /** The process id (1 and up; 0 in {@code cgroup.procs} means "the writer"). */
    public int pid() {
        return pid;
    }

    /** The name given at spawn. */
    public String name() {
        return name;
    }

    /** The cgroup the task is in (its last cgroup once exited). */
    public Cgroup cgroup() {
        return cgroup;
    }

    /** Whether {@link CgroupHierarchy#exit} was called. */
    public boolean exited() {
        return exited;
    }

    void moveTo(Cgroup dst) {
        cgroup = dst;
    }

    void markExited() {
        exited = true;
    }

    @Override
    public String toString() {
        return "task " + pid + " (" + name + ")";
    }
}
