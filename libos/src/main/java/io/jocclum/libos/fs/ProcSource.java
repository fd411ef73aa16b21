package io.jocclum.libos.fs;

import io.jocclum.libos.vm.Mapping;

import java.util.List;

/**
 * What {@code /proc} shows, supplied by the process layer (the file layer cannot see
 * processes): the live processes, the calling process, and the memory figures.
 */
public interface ProcSource {
    /** The pid of the process whose call {@code c} is, or 0. */
    int pidOf(Caller c);

    /** Live pids, ascending. */
    List<Integer> pids();

    /** A snapshot of process {@code pid}, or null when it is gone. */
    Process process(int pid);

    /** {@code /proc/meminfo}'s text. */
    String meminfo();

    /** {@code /proc/stat}'s text. */
    String stat();

    /** {@code /proc/cpuinfo}'s text. */
    String cpuinfo();

    /**
     * One process as /proc shows it.
     *
     * @param state      Linux's state letter (R, S, Z)
     * @param startTicks start time in clock ticks (USER_HZ 100) since boot
     * @param vsize      virtual memory size in bytes
     * @param rssPages   resident pages
     */
    record Process(int pid, int ppid, String path, List<String> argv, String cwd, char state, int threads, FdTable files,
                   List<Mapping> maps, long startTicks, long vsize, long rssPages) {
    }
}
