package io.jocclum.bench.harness;

/**
 * What a native anchor's kernel entries cost it. A native anchor states how many system calls
 * (kernel entries) it makes per unit of work and measures the host's null system call (a
 * {@code getppid} loop) in each round; the anchor minus that many null system calls is what it
 * would measure on a host whose kernel entry costs nothing beyond the work itself. On a virtual
 * machine a kernel entry costs several times what it costs on bare metal, so this bounds how much
 * of a margin against a native anchor comes from the host rather than from the work.
 */
public final class KernelEntries {
    private KernelEntries() {
    }

    /**
     * Seconds per unit of work of a figure {@code value unit}: {@code ns/op}, {@code us/op},
     * {@code ms/op}, {@code s/op} (per op), {@code ops/s}, {@code ops/ms}, {@code ops/us} (per op),
     * {@code GiB/s}, {@code GB/s}, {@code MiB/s}, {@code MB/s} (per GiB, GB, MiB or MB).
     */
    public static double secondsPerWork(double value, String unit) {
        String[] p = unit.split("/");
        if (p.length != 2) {
            throw new IllegalArgumentException("unit " + unit + " is neither a time per work nor a rate");
        }
        if (isTime(p[0])) {
            return value * seconds(p[0]);
        }
        return seconds(p[1]) / value;
    }

    /** The inverse of {@link #secondsPerWork}: a time per unit of work back in {@code unit}. */
    public static double fromSecondsPerWork(double secondsPerWork, String unit) {
        String[] p = unit.split("/");
        if (isTime(p[0])) {
            return secondsPerWork / seconds(p[0]);
        }
        return seconds(p[1]) / secondsPerWork;
    }

    /**
     * The anchor's figure without its kernel entries: {@code entriesPerWork} null system calls of
     * {@code nullSyscallNs} each taken off its time per unit of work. NaN when the kernel entries
     * account for the whole time (the measurement cannot be split that way).
     */
    public static double withoutEntries(double value, String unit, double entriesPerWork, double nullSyscallNs) {
        double s = secondsPerWork(value, unit) - entriesPerWork * nullSyscallNs * 1e-9;
        return s <= 0 ? Double.NaN : fromSecondsPerWork(s, unit);
    }

    private static boolean isTime(String u) {
        return switch (u) {
            case "ns", "us", "ms", "s", "min" -> true;
            default -> false;
        };
    }

    private static double seconds(String u) {
        return switch (u) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            default -> throw new IllegalArgumentException("unknown time unit " + u);
        };
    }
}
