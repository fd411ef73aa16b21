package io.jocclum.libos.boot;

import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.cost.CostEvent;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run cost, as {@code jocclum run --stats} prints it and {@code --stats-json} writes it.
 *
 * <p>Start-up is everything from ECREATE to the end of the LibOS initialisation: the loader's
 * EADDs and EEXTENDs (and any eviction they caused), EINIT, the ECALL into the LibOS. Its
 * simulated time is the enclave's cycles at that point at the platform's CPU frequency. The run
 * totals add what the programs caused: EDMM commits (EAUG, EACCEPT), permission changes, paging
 * (EWB, ELDU), OCALLs, and the LibOS's own system calls at {@code syscallCycles} each.
 *
 * @param edmm                 EDMM in use (built for EDMM and running on SGX2)
 * @param builtForEdmm         how the instance was built
 * @param platform             the platform's one-line description
 * @param cpuHz                CPU frequency
 * @param startupCycles        enclave cycles at the end of start-up
 * @param startupCounts        leaf and event counts at the end of start-up
 * @param counts               leaf and event counts of the whole run (start-up included)
 * @param enclaveCycles        enclave cycles of the whole run
 * @param syscalls             system calls made by the programs
 * @param syscallCycles        simulated cycles of those calls (not part of {@code enclaveCycles})
 * @param syscallCounts        per system call (Linux names), non-zero only
 * @param committedAfterStartup EPC bytes the enclave held after start-up
 * @param committedPeak        the most EPC bytes it held (sampled wherever memory may be given back)
 * @param committedAtExit      EPC bytes it held after the programs ended
 * @param libosPageFaults      user page faults the LibOS handled by committing memory (EDMM)
 * @param pagesCommittedOnFault user-region pages committed by those faults
 * @param pagesCommittedEagerly user-region pages committed at map time (stacks, images, populate)
 * @param pagesTrimmed         pages given back to the platform (EMODT TRIM, EACCEPT, EREMOVE)
 * @param tcsAdded             TCSs added on demand (EDMM)
 * @param processes            processes spawned
 * @param threads              extra threads created
 * @param hostSleeps           times a guest thread slept on the host (blocked in a system call): an OCALL each
 * @param hostWakeups          wake-ups of a sleeping guest thread through the host: an OCALL each
 * @param exitStatus           the init process's wait status, or -1 when it has not exited
 * @param kernelHeap           the kernel heap account (docs/config.md, "Kernel heap"): Init, limit, use, peak, committed
 */
public record RunStats(boolean edmm, boolean builtForEdmm, String platform, long cpuHz, long startupCycles,
                       Map<CostEvent, Long> startupCounts, Map<CostEvent, Long> counts, long enclaveCycles, long syscalls,
                       long syscallCycles, Map<String, Long> syscallCounts, long committedAfterStartup, long committedPeak,
                       long committedAtExit, long libosPageFaults, long pagesCommittedOnFault, long pagesCommittedEagerly,
                       long pagesTrimmed, int tcsAdded, long processes, long threads, long hostSleeps, long hostWakeups,
                       int exitStatus, KernelHeap.Snapshot kernelHeap) {

    /** The counters shown by name in the text and JSON forms (all counters are in the JSON). */
    static final List<CostEvent> SHOWN = List.of(CostEvent.EADD, CostEvent.EEXTEND, CostEvent.EAUG, CostEvent.EACCEPT,
            CostEvent.PAGE_FAULT, CostEvent.EWB, CostEvent.ELDU, CostEvent.OCALL);

    public RunStats {
        startupCounts = new EnumMap<>(startupCounts);
        counts = new EnumMap<>(counts);
        syscallCounts = Map.copyOf(syscallCounts);
    }

    /** Simulated start-up time in nanoseconds. */
    public long startupNanos() {
        return nanos(startupCycles);
    }

    /** Simulated time of the whole run (enclave cycles plus LibOS syscalls) in nanoseconds. */
    public long runNanos() {
        return nanos(enclaveCycles + syscallCycles);
    }

    private long nanos(long cycles) {
        return (long) (cycles * 1e9 / cpuHz);
    }

    public long count(CostEvent e) {
        return counts.getOrDefault(e, 0L);
    }

    public long startupCount(CostEvent e) {
        return startupCounts.getOrDefault(e, 0L);
    }

    /** The text of {@code --stats}. */
    public List<String> format() {
        List<String> l = new java.util.ArrayList<>();
        l.add("jocclum run statistics: " + (edmm ? "EDMM build" : "non-EDMM build") + " on " + platform);
        l.add(String.format(Locale.ROOT, "  start-up (ECREATE .. EINIT + LibOS init): %,d cycles = %s simulated", startupCycles,
                time(startupNanos())));
        l.add(String.format(Locale.ROOT, "  whole run: %,d cycles = %s simulated (%,d syscalls at %,d cycles)",
                enclaveCycles + syscallCycles, time(runNanos()), syscalls, syscalls == 0 ? 0 : syscallCycles / syscalls));
        l.add(String.format(Locale.ROOT, "  %-14s %14s %14s", "", "start-up", "whole run"));
        for (CostEvent e : SHOWN) {
            l.add(String.format(Locale.ROOT, "  %-14s %,14d %,14d", label(e), startupCount(e), count(e)));
        }
        l.add(String.format(Locale.ROOT, "  %-14s %14s %,14d", "syscalls", "-", syscalls));
        l.add(String.format(Locale.ROOT, "  committed EPC: %s after start-up, %s at peak, %s at exit", Sizes.human(committedAfterStartup),
                Sizes.human(committedPeak), Sizes.human(committedAtExit)));
        l.add(String.format(Locale.ROOT, "  LibOS: %,d page faults committed %,d pages on demand, %,d pages committed eagerly,"
                + " %,d given back; %d processes, %d threads, %d TCSs added", libosPageFaults, pagesCommittedOnFault,
                pagesCommittedEagerly, pagesTrimmed, processes, threads, tcsAdded));
        l.add(kernelHeapLine(kernelHeap));
        l.add(String.format(Locale.ROOT, "  host waits: %,d sleeps of guest threads on the host and %,d wake-ups through it,"
                + " an OCALL each (in the OCALL row)", hostSleeps, hostWakeups));
        return l;
    }

    /** The kernel heap's line of {@code --stats}. */
    public static String kernelHeapLine(KernelHeap.Snapshot h) {
        StringBuilder at = new StringBuilder();
        for (KernelHeap.Kind k : KernelHeap.Kind.values()) {
            long n = h.liveAtPeak().getOrDefault(k, 0L);
            if (n > 0 && k != KernelHeap.Kind.LIBOS && k != KernelHeap.Kind.FS_CACHE) {
                at.append(at.isEmpty() ? "" : ", ").append(n).append(' ').append(k.name().toLowerCase(Locale.ROOT));
            }
        }
        return String.format(Locale.ROOT, "  kernel heap (estimated): peak %s of %s (Init %s, %s committed), %s at exit,"
                + " %d charges refused%s", Sizes.human(h.peak()), Sizes.human(h.limit()), Sizes.human(h.init()),
                Sizes.human(h.committed()), Sizes.human(h.used()), h.refusals(), at.isEmpty() ? "" : "; at the peak: " + at);
    }

    private static String label(CostEvent e) {
        return e == CostEvent.PAGE_FAULT ? "page faults" : e.name();
    }

    /** "1.234 ms" / "12.3 us" / "2.500 s". */
    public static String time(long nanos) {
        if (nanos >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
        }
        if (nanos >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f us", nanos / 1e3);
    }

    /**
     * The JSON of {@code --stats-json}: {@code startup} is the simulated start-up time in seconds
     * (a number); the other keys are documented in docs/run.md.
     */
    public byte[] toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("startup", startupNanos() / 1e9);
        root.put("startup_cycles", startupCycles);
        root.put("cpu_hz", cpuHz);
        root.put("edmm", edmm);
        root.put("built_for_edmm", builtForEdmm);
        root.put("platform", platform);
        ObjectNode sc = root.putObject("startup_counts");
        counters(sc, startupCounts);
        ObjectNode c = root.putObject("counts");
        counters(c, counts);
        c.put("syscalls", syscalls);
        ObjectNode run = root.putObject("run");
        run.put("seconds", runNanos() / 1e9);
        run.put("enclave_cycles", enclaveCycles);
        run.put("syscall_cycles", syscallCycles);
        ObjectNode epc = root.putObject("committed_epc_bytes");
        epc.put("after_startup", committedAfterStartup);
        epc.put("peak", committedPeak);
        epc.put("at_exit", committedAtExit);
        ObjectNode libos = root.putObject("libos");
        libos.put("page_faults", libosPageFaults);
        libos.put("pages_committed_on_fault", pagesCommittedOnFault);
        libos.put("pages_committed_eagerly", pagesCommittedEagerly);
        libos.put("pages_trimmed", pagesTrimmed);
        libos.put("tcs_added", tcsAdded);
        libos.put("processes", processes);
        libos.put("threads", threads);
        libos.put("host_sleeps", hostSleeps);
        libos.put("host_wakeups", hostWakeups);
        ObjectNode kh = root.putObject("kernel_heap");
        kh.put("init", kernelHeap.init());
        kh.put("limit", kernelHeap.limit());
        kh.put("peak", kernelHeap.peak());
        kh.put("at_exit", kernelHeap.used());
        kh.put("committed", kernelHeap.committed());
        kh.put("refusals", kernelHeap.refusals());
        ObjectNode live = kh.putObject("objects_at_peak");
        for (KernelHeap.Kind k : KernelHeap.Kind.values()) {
            live.put(k.name().toLowerCase(Locale.ROOT), kernelHeap.liveAtPeak().getOrDefault(k, 0L));
        }
        ObjectNode sys = root.putObject("syscalls");
        new java.util.TreeMap<>(syscallCounts).forEach(sys::put);
        root.put("exit_status", exitStatus);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
        String json = JsonMapper.builder().build().writer().with(pp).writeValueAsString(root) + "\n";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static void counters(ObjectNode n, Map<CostEvent, Long> m) {
        Map<String, Long> named = new LinkedHashMap<>();
        for (CostEvent e : CostEvent.values()) {
            named.put(e == CostEvent.PAGE_FAULT ? "page_faults" : e.name(), m.getOrDefault(e, 0L));
        }
        named.forEach(n::put);
    }
}
