package io.jocclum.cli;

import io.jocclum.libos.config.Sizes;
import io.jocclum.sgx.selftest.EpcCgroupSelftest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code jocclum selftest NAME}: ports of kernel selftests run against the simulated platform. */
@Command(name = "selftest", description = "Run a kernel selftest against the simulated platform (TAP output).",
        subcommands = {SelftestCommand.EpcCgroup.class})
final class SelftestCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UserError(UsageErrors.EXIT, "no selftest given; use 'jocclum selftest epc-cgroup' (see 'jocclum selftest --help').");
    }

    /** {@code jocclum selftest epc-cgroup}: the v17 EPC cgroup selftests S0-S7. */
    @Command(name = "epc-cgroup", description = {
        "Run the v17 EPC cgroup selftests S0-S7 and print kselftest TAP.",
        "They are the series' run_epc_cg_selftests.sh, on a simulated platform with the misc cgroup sgx_epc controller;"
                + " exit 0 only when all pass.",
        "The limits derive from the capacity C: SMALL = C/512, LARGE = 4 x SMALL, LARGER = C; each workload W builds",
        "an enclave with a heap of C bytes. Memory needed: about 9/16 x C + 32MB of Java heap (refused if the heap is smaller);"
                + " the enclaves' pages, about 8 x C, live in files in /dev/shm or java.io.tmpdir, outside the heap."})
    static final class EpcCgroup implements Callable<Integer> {
        private final Cli cli;

        @Option(names = "--capacity", paramLabel = "SIZE",
                description = "EPC capacity C in Occlum's size syntax (default ${DEFAULT-VALUE}; at least 8MB).",
                defaultValue = "16MB")
        String capacity;

        @Option(names = "--seed", paramLabel = "N",
                description = "Seed of S5's kill (delay and victim) and of the data W writes (default: the clock; printed).")
        Long seed;

        @Option(names = "--controller-intent",
                description = "Use the series' stated intent: async reclaim queued after a successful charge at the soft "
                        + "threshold (dead code in v17 as posted).")
        boolean intent;

        EpcCgroup(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            long bytes;
            try {
                bytes = Sizes.parse(capacity);
            } catch (IllegalArgumentException e) {
                throw new UserError(UsageErrors.EXIT, "--capacity '" + capacity + "' " + e.getMessage() + ".");
            }
            String problem = EpcCgroupSelftest.capacityProblem(bytes);
            if (problem != null) {
                throw new UserError(UsageErrors.EXIT, "--capacity " + capacity.strip() + " " + problem + ".");
            }
            long need = EpcCgroupSelftest.heapNeeded(bytes);
            long have = cli.maxHeapBytes;
            if (need > have) {
                long fits = EpcCgroupSelftest.capacityFitting(have);
                String smaller = fits >= EpcCgroupSelftest.MIN_CAPACITY ? Sizes.format(fits) : "8MB";
                long heapGiB = Math.max(1, (need + (1L << 30) - 1) >> 30);
                String larger = (heapGiB << 30) + (512L << 20) <= cli.machineMemoryBytes
                        ? ", or a larger heap, e.g. JOCCLUM_JAVA_OPTS=-Xmx" + heapGiB + "g"
                        : " (this machine has " + Sizes.human(cli.machineMemoryBytes) + " of memory, too little for a"
                        + " heap that large)";
                throw new UserError("--capacity " + capacity.strip() + " needs about " + Sizes.human(need) + " of Java heap"
                        + " (the bookkeeping of eight enclaves of C bytes each, whose pages live outside the heap), but this JVM"
                        + " may use "
                        + Sizes.human(have) + "; give at most " + smaller + larger + ".");
            }
            long s = seed != null ? seed : cli.clock.millis();
            EpcCgroupSelftest.Report r = EpcCgroupSelftest.run(new EpcCgroupSelftest.Options(bytes, s, intent), cli.out);
            return r.allPassed() ? 0 : UserError.FAILURE;
        }
    }
}
