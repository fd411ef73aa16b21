package io.jocclum.libos.programs;

import io.jocclum.api.Clocks;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.Syscalls;

import java.util.BitSet;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code /bin/memtest}: maps, touches, verifies and frees memory in patterns, and reports what it
 * did; the workload of {@code jocclum demo} and of the LibOS tests.
 *
 * <pre>
 * memtest [--size SIZE] [--regions N] [--touch FRACTION] [--pattern sequential|stride|random]
 *         [--prot rw|r|rwx|none] [--rounds N] [--hold] [--seed N]
 *         [--mode normal|write-readonly|use-after-unmap]
 * </pre>
 *
 * <p>Each round maps {@code N} anonymous regions of {@code SIZE} (default 1 x 64MB) with the
 * protection asked for, touches {@code FRACTION} of their pages (default 1.0) chosen
 * sequentially from the start, evenly strided or at random (seeded), writing a signature into
 * each touched page when the protection allows it and reading it back, checks that an untouched
 * page reads zero, then unmaps the regions ({@code --hold} keeps them to the end). On an EDMM
 * enclave only the touched pages are committed. {@code --prot none} makes the first touch a
 * SIGSEGV. Modes that end in SIGSEGV on purpose: {@code write-readonly} writes to a page after
 * mprotect(PROT_READ); {@code use-after-unmap} reads a page after munmap.
 *
 * <p>Exit status 0 when every check passed, 1 on a verification error, 2 on a usage error.
 */
public final class MemTest implements GuestProgram {

    private long size = 64L << 20;
    private int regions = 1;
    private double touch = 1.0;
    static final String USAGE = "usage: memtest [--size SIZE] [--regions N] [--touch FRACTION] [--pattern sequential|stride|random]"
            + " [--prot rw|r|rwx|none] [--rounds N] [--hold] [--seed N] [--mode normal|write-readonly|use-after-unmap]";

    private String pattern = "sequential";
    private String prot = "rw";
    private int rounds = 1;
    private boolean hold;
    private long seed = 1;
    private String mode = "normal";

    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        if (ProgramArgs.help(sys, argv, USAGE)) {
            return 0;
        }
        try {
            parse(argv);
        } catch (ProgramArgs.Usage u) {
            Libc.println(sys, 2, "memtest: " + u.getMessage());
            Libc.println(sys, 2, USAGE);
            return 2;
        }
        return switch (mode) {
            case "write-readonly" -> writeReadOnly(sys);
            case "use-after-unmap" -> useAfterUnmap(sys);
            default -> normal(sys);
        };
    }

    private void parse(String[] argv) throws ProgramArgs.Usage {
        for (int i = 1; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "--size" -> size = ProgramArgs.size(a, ProgramArgs.value(argv, i++));
                case "--regions" -> regions = (int) ProgramArgs.number(a, ProgramArgs.value(argv, i++), 1, 1 << 20);
                case "--touch" -> touch = ProgramArgs.fraction(a, ProgramArgs.value(argv, i++));
                case "--pattern" -> pattern = oneOf(a, ProgramArgs.value(argv, i++), "sequential", "stride", "random");
                case "--prot" -> prot = oneOf(a, ProgramArgs.value(argv, i++), "rw", "r", "rwx", "none");
                case "--rounds" -> rounds = (int) ProgramArgs.number(a, ProgramArgs.value(argv, i++), 1, 1 << 20);
                case "--hold" -> hold = true;
                case "--seed" -> seed = ProgramArgs.number(a, ProgramArgs.value(argv, i++), Long.MIN_VALUE, Long.MAX_VALUE);
                case "--mode" -> mode = oneOf(a, ProgramArgs.value(argv, i++), "normal", "write-readonly", "use-after-unmap");
                default -> throw new ProgramArgs.Usage("unknown option " + a);
            }
        }
    }

    private static String oneOf(String opt, String v, String... allowed) throws ProgramArgs.Usage {
        for (String s : allowed) {
            if (s.equals(v)) {
                return v;
            }
        }
        throw new ProgramArgs.Usage(opt + " " + v + " is not one of " + String.join(", ", allowed));
    }

    private int protBits() {
        return switch (prot) {
            case "r" -> Mman.PROT_READ;
            case "rwx" -> Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC;
            case "none" -> Mman.PROT_NONE;
            default -> Mman.PROT_READ | Mman.PROT_WRITE;
        };
    }

    private int normal(Syscalls sys) {
        long pages = (size + Mman.PAGE_SIZE - 1) / Mman.PAGE_SIZE;
        long k = Math.round(pages * touch);
        boolean writable = prot.contains("w");
        boolean readable = !prot.equals("none");
        SplittableRandom rnd = new SplittableRandom(seed);
        long errors = 0;
        long touched = 0;
        long t0 = sys.clockGettime(Clocks.CLOCK_PROCESS_CPUTIME_ID);
        for (int r = 0; r < rounds; r++) {
            long[] addrs = new long[regions];
            for (int g = 0; g < regions; g++) {
                addrs[g] = sys.mmap(0, size, protBits(), Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
            }
            for (int g = 0; g < regions; g++) {
                long[] which = choose(pages, k, rnd);
                for (long p : which) {
                    long at = addrs[g] + p * Mman.PAGE_SIZE;
                    long sig = signature(r, g, p);
                    if (writable) {
                        sys.storeLong(at, sig);
                        if (sys.loadLong(at) != sig) {
                            errors++;
                        }
                    } else {
                        // read-only (or PROT_NONE: this load is the SIGSEGV)
                        if (sys.loadLong(at) != 0) {
                            errors++;
                        }
                    }
                }
                touched += which.length;
                if (readable && k < pages) {
                    long untouched = untouchedPage(which, pages);
                    if (untouched >= 0 && sys.loadLong(addrs[g] + untouched * Mman.PAGE_SIZE) != 0) {
                        errors++;
                    }
                }
                if (writable) {
                    for (long p : which) {
                        if (sys.loadLong(addrs[g] + p * Mman.PAGE_SIZE) != signature(r, g, p)) {
                            errors++;
                        }
                    }
                }
            }
            if (!hold) {
                for (long a : addrs) {
                    sys.munmap(a, size);
                }
            }
            Libc.puts(sys, String.format(Locale.ROOT, "memtest: round %d: %d x %s %s, touched %d of %d pages (%s), %s",
                    r + 1, regions, ProgramArgs.human(size), prot, k * regions, pages * regions, pattern,
                    hold ? "held" : "unmapped"));
        }
        long t1 = sys.clockGettime(Clocks.CLOCK_PROCESS_CPUTIME_ID);
        Libc.puts(sys, String.format(Locale.ROOT, "memtest: %s: %d rounds, %d pages touched, %d errors, %.3f ms simulated",
                errors == 0 ? "ok" : "FAILED", rounds, touched, errors, (t1 - t0) / 1e6));
        return errors == 0 ? 0 : 1;
    }

    private static long signature(int round, int region, long page) {
        return 0x6d656d7465737400L ^ ((long) round << 48) ^ ((long) region << 32) ^ page ^ 0x5a;
    }

    /** {@code k} distinct pages of {@code pages}, in the chosen pattern. */
    private long[] choose(long pages, long k, SplittableRandom rnd) {
        long[] out = new long[(int) k];
        switch (pattern) {
            case "stride" -> {
                for (int i = 0; i < k; i++) {
                    out[i] = (long) ((double) i * pages / k);
                }
            }
            case "random" -> {
                BitSet taken = new BitSet();
                if (k * 2 > pages) {
                    long[] all = new long[(int) pages];
                    for (int i = 0; i < pages; i++) {
                        all[i] = i;
                    }
                    for (int i = 0; i < k; i++) {
                        int j = i + rnd.nextInt((int) (pages - i));
                        long t = all[i];
                        all[i] = all[j];
                        all[j] = t;
                        out[i] = all[i];
                    }
                } else {
                    for (int i = 0; i < k; ) {
                        int p = (int) rnd.nextLong(pages);
                        if (!taken.get(p)) {
                            taken.set(p);
                            out[i++] = p;
                        }
                    }
                }
            }
            default -> {
                for (int i = 0; i < k; i++) {
                    out[i] = i;
                }
            }
        }
        return out;
    }

    private static long untouchedPage(long[] touched, long pages) {
        BitSet s = new BitSet();
        for (long p : touched) {
            s.set((int) p);
        }
        int u = s.nextClearBit(0);
        return u < pages ? u : -1;
    }

    private int writeReadOnly(Syscalls sys) {
        long a = sys.mmap(0, Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        sys.storeLong(a, 42);
        sys.mprotect(a, Mman.PAGE_SIZE, Mman.PROT_READ);
        Libc.puts(sys, String.format(Locale.ROOT, "memtest: writing to read-only memory at 0x%x", a));
        sys.storeLong(a, 43);
        Libc.println(sys, 2, "memtest: the write to read-only memory succeeded");
        return 3;
    }

    private int useAfterUnmap(Syscalls sys) {
        long a = sys.mmap(0, Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        sys.munmap(a, Mman.PAGE_SIZE);
        Libc.puts(sys, String.format(Locale.ROOT, "memtest: reading unmapped memory at 0x%x", a));
        sys.loadLong(a);
        Libc.println(sys, 2, "memtest: the read of unmapped memory succeeded");
        return 3;
    }
}
