package io.jocclum.sgx.cgroup;

/**
 * Told when the kernel would raise a file-modified notification on a cgroup interface file
 * ({@code cgroup_file_notify()}, what {@code poll}/{@code inotify} on {@code misc.events} or
 * {@code memory.events} observe). Called synchronously on the thread that caused the change,
 * possibly from the charge path: implementations must be quick and must not block or call back
 * into the hierarchy's structural operations.
 */
@FunctionalInterface
public interface CgroupFileListener {
    /** {@code fileName} (e.g. {@code misc.events}) of {@code cgroup} changed. */
    void modified(Cgroup cgroup, String fileName);
}
