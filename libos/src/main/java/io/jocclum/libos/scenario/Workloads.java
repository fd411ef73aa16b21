package io.jocclum.libos.scenario;

import io.jocclum.api.Mman;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.replay.StraceReader;
import io.jocclum.libos.replay.TraceEvent;
import io.jocclum.libos.replay.TraceFormatException;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.libos.vm.ProcessVm;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The programs a scenario's enclaves run: workload models executed by the engine on the enclave's
 * own user-space VM ({@link ProcessVm}, {@link GuestMemory}), so every page they touch goes through
 * the LibOS's VM, the SGX driver's fault path, EDMM's EAUG/EACCEPT and the EPC cgroup's reclaim.
 * Each step of a program is one operation (the unit of progress and latency) or set-up work; the
 * engine switches enclaves between steps.
 *
 * <pre>
 * hello                                                   one operation
 * memtest [--size 64MB] [--touch 1.0] [--rounds 1] [--pattern sequential|random] [--hold] [--compute 0us]
 * kv      [--working-set 32MB] [--ops 10000 | --duration D] [--pages-per-op 4] [--write-ratio 0.5] [--compute 20us]
 * scan    [--size 64MB] [--passes 1 | --duration D] [--compute 5us]
 * sleep   [--for 1s]
 * trace   --file FILE [--touch 1.0]                        a recorded strace's memory calls
 * </pre>
 */
public final class Workloads {
    /**
     * The time of one page access by a program (an estimate of a cache-missing load or store through
     * the memory encryption engine); faults, EAUG, ELDU and EWB are charged by the platform on top.
     */
    static final long TOUCH_NS = 100;
    /** Pages one memtest, scan or populate step touches. */
    static final int CHUNK_PAGES = 16;
    private static final long PAGE = Mman.PAGE_SIZE;
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;

    /** The built-in programs, in the order messages list them. */
    public static final List<String> NAMES = List.of("hello", "memtest", "kv", "scan", "sleep", "trace");

    private Workloads() {
    }

    /** What a step did. */
    enum Step {
        /** One operation of the program (counted, with its latency). */
        OP,
        /** Set-up or idle work (not counted). */
        WORK,
        /** Nothing: the program has ended. */
        DONE
    }

    /** What a program sees of its enclave. */
    interface Guest {
        ProcessVm vm();

        GuestMemory memory();

        SplittableRandom random();

        /** Adds {@code ns} of computation (or waiting) to the enclave's simulated time. */
        void compute(long ns);

        /** The enclave's simulated time now. */
        long now();
    }

    /** A running program. */
    abstract static class Program {
        abstract Step step(Guest g);

        /** One page access: {@value #TOUCH_NS} ns plus whatever the fault path charges. */
        static void touch(Guest g, long addr, boolean write) {
            g.compute(TOUCH_NS);
            if (write) {
                g.memory().writeByte(addr, (byte) 0x5a);
            } else {
                g.memory().readByte(addr);
            }
        }
    }

    private enum Kind { SIZE, COUNT, FRACTION, DURATION, FLAG, CHOICE, FILE }

    private record Opt(String name, Kind kind, Object dflt, List<String> choices) {
        static Opt of(String name, Kind kind, Object dflt) {
            return new Opt(name, kind, dflt, List.of());
        }
    }

    private static final Map<String, List<Opt>> OPTIONS = Map.of(
            "hello", List.of(),
            "memtest", List.of(Opt.of("--size", Kind.SIZE, 64L << 20), Opt.of("--touch", Kind.FRACTION, 1.0),
                    Opt.of("--rounds", Kind.COUNT, 1L), new Opt("--pattern", Kind.CHOICE, "sequential",
                            List.of("sequential", "random")), Opt.of("--hold", Kind.FLAG, false),
                    Opt.of("--compute", Kind.DURATION, 0L)),
            "kv", List.of(Opt.of("--working-set", Kind.SIZE, 32L << 20), Opt.of("--ops", Kind.COUNT, 10_000L),
                    Opt.of("--duration", Kind.DURATION, null), Opt.of("--pages-per-op", Kind.COUNT, 4L),
                    Opt.of("--write-ratio", Kind.FRACTION, 0.5), Opt.of("--compute", Kind.DURATION, 20_000L)),
            "scan", List.of(Opt.of("--size", Kind.SIZE, 64L << 20), Opt.of("--passes", Kind.COUNT, 1L),
                    Opt.of("--duration", Kind.DURATION, null), Opt.of("--compute", Kind.DURATION, 5_000L)),
            "sleep", List.of(Opt.of("--for", Kind.DURATION, 1_000_000_000L)),
            "trace", List.of(Opt.of("--file", Kind.FILE, null), Opt.of("--touch", Kind.FRACTION, 1.0)));

    /** A program's validated options; {@link #start} makes a fresh running instance. */
    public static final class Options {
        private final String program;
        private final Map<String, Object> values;

        private Options(String program, Map<String, Object> values) {
            this.program = program;
            this.values = values;
        }

        public String program() {
            return program;
        }

        long size(String k) {
            return (Long) values.get(k);
        }

        long count(String k) {
            return (Long) values.get(k);
        }

        double fraction(String k) {
            return (Double) values.get(k);
        }

        Long duration(String k) {
            return (Long) values.get(k);
        }

        Program start() {
            return switch (program) {
                case "hello" -> new Hello();
                case "memtest" -> new MemTest(this);
                case "kv" -> new Kv(this);
                case "scan" -> new Scan(this);
                case "sleep" -> new Sleep(duration("--for"));
                case "trace" -> new Trace(this);
                default -> throw new IllegalStateException(program);
            };
        }

        @SuppressWarnings("unchecked")
        List<TraceEvent> trace() {
            return (List<TraceEvent>) values.get("--file");
        }
    }

    /**
     * Validates {@code args} of {@code program}; every problem goes to {@code problems} as one
     * sentence (without the path), and null comes back when there was any.
     */
    public static Options parse(String program, List<String> args, Path baseDir, Consumer<String> problems) {
        List<Opt> opts = OPTIONS.get(program);
        if (opts == null) {
            problems.accept(Json.quote(program) + " is not a scenario program; the programs are " + String.join(", ", NAMES)
                    + (program.endsWith(".jar") ? " (user jars and other LibOS programs cannot run in a scenario)" : ""));
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Opt o : opts) {
            values.put(o.name(), o.dflt());
        }
        boolean ok = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            String finalName = name;
            Opt opt = opts.stream().filter(o -> o.name().equals(finalName)).findFirst().orElse(null);
            if (opt == null) {
                problems.accept(program + " has no option " + Json.quote(a) + (opts.isEmpty() ? "; it takes none"
                        : "; its options are " + String.join(", ", opts.stream().map(Opt::name).toList())));
                ok = false;
                continue;
            }
            if (opt.kind() == Kind.FLAG) {
                values.put(opt.name(), true);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    problems.accept(program + " option " + opt.name() + " needs a value");
                    ok = false;
                    continue;
                }
                value = args.get(++i);
            }
            try {
                values.put(opt.name(), convert(opt, value, baseDir));
            } catch (IllegalArgumentException e) {
                problems.accept(program + " option " + opt.name() + " " + Json.quote(value) + " " + e.getMessage());
                ok = false;
            }
        }
        if (program.equals("trace") && values.get("--file") == null && ok) {
            problems.accept("trace needs --file FILE (a strace -f -tt output)");
            ok = false;
        }
        return ok ? new Options(program, values) : null;
    }

    private static Object convert(Opt opt, String value, Path baseDir) {
        return switch (opt.kind()) {
            case SIZE -> {
                long b = Sizes.parse(value);
                if (b <= 0) {
                    throw new IllegalArgumentException("is not a positive size");
                }
                yield (b + PAGE - 1) / PAGE * PAGE;
            }
            case COUNT -> {
                long n;
                try {
                    n = Long.parseLong(value.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("is not a whole number");
                }
                if (n < 1) {
                    throw new IllegalArgumentException("is below 1");
                }
                yield n;
            }
            case FRACTION -> {
                double f;
                try {
                    f = Double.parseDouble(value.strip());
                } catch (NumberFormatException e) {
                    f = Double.NaN;
                }
                if (!(f >= 0 && f <= 1)) {
                    throw new IllegalArgumentException("is not a fraction from 0 to 1");
                }
                yield f;
            }
            case DURATION -> Durations.parse(value);
            case CHOICE -> {
                if (!opt.choices().contains(value)) {
                    throw new IllegalArgumentException("is not one of " + String.join(", ", opt.choices()));
                }
                yield value;
            }
            case FLAG -> true;
            case FILE -> readTrace(baseDir.resolve(value));
        };
    }

    private static List<TraceEvent> readTrace(Path file) {
        StraceReader r = new StraceReader();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            r.read(in, 0);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        } catch (TraceFormatException e) {
            throw new IllegalArgumentException("is not an strace output: " + e.getMessage());
        }
        return r.events();
    }

    // ============================================================================ the programs

    private static final class Hello extends Program {
        private boolean done;

        @Override
        Step step(Guest g) {
            if (done) {
                return Step.DONE;
            }
            done = true;
            g.compute(10_000);
            return Step.OP;
        }
    }

    private static final class Sleep extends Program {
        private final long ns;
        private boolean done;

        Sleep(long ns) {
            this.ns = ns;
        }

        @Override
        Step step(Guest g) {
            if (done) {
                return Step.DONE;
            }
            done = true;
            g.compute(ns);
            return Step.WORK;
        }
    }

    /** Maps, touches a fraction of the pages CHUNK_PAGES per operation, unmaps (memtest's workload). */
    private static final class MemTest extends Program {
        private final long size;
        private final long touched;
        private final long rounds;
        private final boolean random;
        private final boolean hold;
        private final long compute;
        private long round;
        private long addr = -1;
        private long next;
        private long[] order;

        MemTest(Options o) {
            this.size = o.size("--size");
            this.touched = Math.round(o.fraction("--touch") * (size / PAGE));
            this.rounds = o.count("--rounds");
            this.random = o.values.get("--pattern").equals("random");
            this.hold = (Boolean) o.values.get("--hold");
            this.compute = o.duration("--compute");
        }

        @Override
        Step step(Guest g) {
            if (round >= rounds) {
                return Step.DONE;
            }
            if (addr < 0) {
                addr = g.vm().mmap(0, size, RW, ANON, null, 0);
                next = 0;
                if (random && order == null) {
                    order = choose(g.random(), size / PAGE, touched);
                }
                return Step.WORK;
            }
            if (next < touched) {
                long end = Math.min(touched, next + CHUNK_PAGES);
                for (; next < end; next++) {
                    touch(g, addr + (random ? order[(int) next] : next) * PAGE, true);
                }
                g.compute(compute);
                return Step.OP;
            }
            if (!hold) {
                g.vm().munmap(addr, size);
            }
            addr = -1;
            round++;
            return Step.WORK;
        }

        /** {@code k} distinct page indexes of {@code n}, in random order (partial Fisher-Yates). */
        private static long[] choose(SplittableRandom r, long n, long k) {
            int[] idx = new int[Math.toIntExact(n)];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i;
            }
            long[] out = new long[Math.toIntExact(k)];
            for (int i = 0; i < out.length; i++) {
                int j = i + r.nextInt(idx.length - i);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
                out[i] = idx[i];
            }
            return out;
        }
    }

    /** Populates a working set, then serves requests touching random pages of it. */
    private static final class Kv extends Program {
        private final long pages;
        private final long ops;
        private final Long duration;
        private final long perOp;
        private final double writeRatio;
        private final long compute;
        private long addr = -1;
        private long populated;
        private long done;
        private long startedAt = -1;

        Kv(Options o) {
            this.pages = o.size("--working-set") / PAGE;
            this.ops = o.count("--ops");
            this.duration = o.duration("--duration");
            this.perOp = o.count("--pages-per-op");
            this.writeRatio = o.fraction("--write-ratio");
            this.compute = o.duration("--compute");
        }

        @Override
        Step step(Guest g) {
            if (addr < 0) {
                addr = g.vm().mmap(0, pages * PAGE, RW, ANON, null, 0);
                return Step.WORK;
            }
            if (populated < pages) {
                long end = Math.min(pages, populated + CHUNK_PAGES);
                for (; populated < end; populated++) {
                    touch(g, addr + populated * PAGE, true);
                }
                return Step.WORK;
            }
            if (startedAt < 0) {
                startedAt = g.now();
            }
            boolean more = duration != null ? g.now() - startedAt < duration : done < ops;
            if (!more) {
                g.vm().munmap(addr, pages * PAGE);
                addr = -1;
                populated = 0;
                return Step.DONE;
            }
            SplittableRandom r = g.random();
            for (long i = 0; i < perOp; i++) {
                touch(g, addr + r.nextLong(pages) * PAGE, r.nextDouble() < writeRatio);
            }
            g.compute(compute);
            done++;
            return Step.OP;
        }
    }

    /** Sequential passes over a region, CHUNK_PAGES pages per operation: the LRU's worst case when it does not fit. */
    private static final class Scan extends Program {
        private final long pages;
        private final long passes;
        private final Long duration;
        private final long compute;
        private long addr = -1;
        private long pass;
        private long next;
        private long startedAt = -1;

        Scan(Options o) {
            this.pages = o.size("--size") / PAGE;
            this.passes = o.count("--passes");
            this.duration = o.duration("--duration");
            this.compute = o.duration("--compute");
        }

        @Override
        Step step(Guest g) {
            if (addr < 0) {
                addr = g.vm().mmap(0, pages * PAGE, RW, ANON, null, 0);
                startedAt = g.now();
                return Step.WORK;
            }
            if (next >= pages) {
                next = 0;
                pass++;
            }
            boolean more = duration != null ? g.now() - startedAt < duration : pass < passes;
            if (!more) {
                g.vm().munmap(addr, pages * PAGE);
                addr = -1;
                return Step.DONE;
            }
            long end = Math.min(pages, next + CHUNK_PAGES);
            for (; next < end; next++) {
                touch(g, addr + next * PAGE, true);
            }
            g.compute(compute);
            return Step.OP;
        }
    }

    /**
     * A recorded strace's memory calls in the trace's order, in one address space: mmap (file
     * mappings as anonymous ones of the same length), munmap, mremap and brk, trace addresses
     * translated to the enclave's; the touch fraction of each new range is written. Each replayed
     * call is an operation; other calls are skipped.
     */
    private static final class Trace extends Program {
        private final List<TraceEvent> events;
        private final double touch;
        private final TreeMap<Long, long[]> maps = new TreeMap<>(); // trace start -> {length, enclave address}
        private int next;
        private long traceBrkBase = -1;
        private long vmBrkBase;
        private long traceBrk;
        private int brkTid = -1;

        Trace(Options o) {
            this.events = o.trace();
            this.touch = o.fraction("--touch");
        }

        @Override
        Step step(Guest g) {
            while (next < events.size()) {
                TraceEvent e = events.get(next++);
                if (!(e instanceof TraceEvent.Call c) || !c.succeeded()) {
                    continue;
                }
                try {
                    if (replay(g, c)) {
                        return Step.OP;
                    }
                } catch (io.jocclum.api.ErrnoException x) {
                    throw new ProgramFailed("trace line " + c.line() + ": " + c.name() + " succeeded in the trace but failed"
                            + " in the enclave with " + x.errno());
                }
            }
            return Step.DONE;
        }

        private boolean replay(Guest g, TraceEvent.Call c) {
            switch (c.name()) {
                case "mmap", "mmap2" -> {
                    long len = pageUp(c.number(1));
                    long at = c.result();
                    unmap(g, at, len);
                    long vm = g.vm().mmap(0, len, prot(c.arg(2)) | Mman.PROT_READ, ANON, null, 0);
                    maps.put(at, new long[]{len, vm});
                    if (c.arg(2).contains("PROT_WRITE")) {
                        fill(g, vm, len);
                    }
                    return true;
                }
                case "munmap" -> {
                    unmap(g, c.number(0), pageUp(c.number(1)));
                    return true;
                }
                case "mremap" -> {
                    long old = c.number(0);
                    long oldLen = pageUp(c.number(1));
                    long newLen = pageUp(c.number(2));
                    var m = maps.floorEntry(old);
                    if (m == null || old + oldLen > m.getKey() + m.getValue()[0] || old != m.getKey()) {
                        return false;
                    }
                    long vm = g.vm().mremap(m.getValue()[1], oldLen, newLen, Mman.MREMAP_MAYMOVE, 0);
                    long rest = m.getValue()[0] - oldLen;
                    maps.remove(old);
                    if (rest > 0) {
                        maps.put(old + oldLen, new long[]{rest, m.getValue()[1] + oldLen});
                    }
                    maps.put(c.result(), new long[]{newLen, vm});
                    if (newLen > oldLen) {
                        fill(g, vm + oldLen, newLen - oldLen);
                    }
                    return true;
                }
                case "brk" -> {
                    if (brkTid < 0) {
                        brkTid = c.tid();
                    }
                    if (c.tid() != brkTid) {
                        return false;
                    }
                    long result = c.result();
                    if (traceBrkBase < 0) {
                        traceBrkBase = result;
                        traceBrk = result;
                        vmBrkBase = g.vm().currentBrk();
                        return true;
                    }
                    if (result == traceBrk) {
                        return true;
                    }
                    long before = g.vm().currentBrk();
                    long now = g.vm().brk(vmBrkBase + (result - traceBrkBase));
                    if (now > before) {
                        fill(g, pageUp(before), pageUp(now) - pageUp(before));
                    }
                    traceBrk = result;
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        private void unmap(Guest g, long start, long len) {
            long end = start + len;
            var it = maps.headMap(end, false).descendingMap().entrySet().iterator();
            List<long[]> add = new ArrayList<>();
            while (it.hasNext()) {
                var m = it.next();
                long ms = m.getKey();
                long ml = m.getValue()[0];
                long mv = m.getValue()[1];
                if (ms + ml <= start) {
                    break;
                }
                long lo = Math.max(ms, start);
                long hi = Math.min(ms + ml, end);
                g.vm().munmap(mv + (lo - ms), hi - lo);
                it.remove();
                if (ms < lo) {
                    add.add(new long[]{ms, lo - ms, mv});
                }
                if (hi < ms + ml) {
                    add.add(new long[]{hi, ms + ml - hi, mv + (hi - ms)});
                }
            }
            for (long[] a : add) {
                maps.put(a[0], new long[]{a[1], a[2]});
            }
        }

        private void fill(Guest g, long vm, long len) {
            long pages = Math.round(touch * (len / PAGE));
            for (long p = 0; p < pages; p++) {
                touch(g, vm + p * PAGE, true);
            }
        }

        private static int prot(String s) {
            int p = 0;
            for (String t : s.split("\\|")) {
                p |= switch (t.strip()) {
                    case "PROT_READ" -> Mman.PROT_READ;
                    case "PROT_WRITE" -> Mman.PROT_WRITE;
                    case "PROT_EXEC" -> Mman.PROT_EXEC;
                    default -> 0;
                };
            }
            return p;
        }

        private static long pageUp(long n) {
            return (n + PAGE - 1) / PAGE * PAGE;
        }
    }

    /** A program ended with an error of its own (exit status 1); the message is one sentence. */
    static final class ProgramFailed extends RuntimeException {
        ProgramFailed(String message) {
            super(message, null, false, false);
        }
    }
}
