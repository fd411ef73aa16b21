package io.jocclum.libos.process;

import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.ProcSource;
import io.jocclum.libos.vm.Mapping;
import io.jocclum.libos.vm.UserSpace;
import io.jocclum.libos.vm.VmStats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code /proc} shows of the kernel's processes and memory (Occlum's procfs: per-pid
 * files from the process table, {@code meminfo} from the user-space VM, {@code stat} with the
 * LibOS's boot time and running processes, {@code cpuinfo} read from the host once, untrusted,
 * as Occlum does).
 */
public final class ProcView implements ProcSource {
    private final Kernel kernel;
    private final long bootSeconds;
    private volatile String cpuinfo;

    public ProcView(Kernel kernel) {
        this.kernel = kernel;
        this.bootSeconds = kernel.wallClock().instant().getEpochSecond();
    }

    @Override
    public int pidOf(Caller c) {
        if (c == null) {
            return 0;
        }
        for (GuestProcess p : kernel.processes()) {
            if (p.files() == c.files()) {
                return p.pid();
            }
        }
        return 0;
    }

    @Override
    public List<Integer> pids() {
        List<Integer> l = new ArrayList<>();
        for (GuestProcess p : kernel.processes()) {
            l.add(p.pid());
        }
        l.sort(null);
        return l;
    }

    @Override
    public Process process(int pid) {
        GuestProcess p = kernel.process(pid);
        if (p == null) {
            return null;
        }
        boolean zombie = p.exited();
        List<Mapping> maps = zombie || p.vm().exited() ? List.of() : p.vm().mappings();
        long vsize = 0;
        for (Mapping m : maps) {
            vsize += m.size();
        }
        return new Process(pid, p.ppid(), p.path(), Arrays.asList(p.argv()), p.fs().cwd(), zombie ? 'Z' : 'R',
                Math.max(1, p.threads().size()), p.files(), maps, 0, vsize, vsize / 4096);
    }

    @Override
    public String meminfo() {
        UserSpace us = kernel.userSpace();
        VmStats s = us.stats();
        long total = us.layout().totalSize() / 1024;
        long free = s.freeBytes() / 1024;
        long slab = kernel.kernelHeap.used() / 1024;
        // the kernel heap's objects as Linux counts its kernel objects: Slab, all of it unreclaimable
        return String.format("MemTotal:       %8d kB%nMemFree:        %8d kB%nMemAvailable:   %8d kB%nSlab:           %8d kB%n"
                + "SUnreclaim:     %8d kB%n", total, free, free, slab, slab);
    }

    @Override
    public String stat() {
        int running = 0;
        for (GuestProcess p : kernel.processes()) {
            running += p.exited() ? 0 : 1;
        }
        return "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime " + bootSeconds
                + "\nprocesses " + kernel.processes().size() + "\nprocs_running " + running + "\nprocs_blocked 0\nsoftirq 0\n";
    }

    @Override
    public String cpuinfo() {
        String c = cpuinfo;
        if (c == null) {
            try {
                c = Files.readString(Path.of("/proc/cpuinfo"));
            } catch (IOException | RuntimeException e) {
                c = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: sgx sgx_lc\n\n";
            }
            cpuinfo = c;
        }
        return c;
    }
}
