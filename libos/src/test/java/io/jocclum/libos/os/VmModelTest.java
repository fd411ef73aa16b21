package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Syscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model-based random sequences of mmap, munmap, mprotect, mremap, brk and stores by a guest
 * program, checked step by step against a page map (page → protection, contents tag): every
 * result, every errno, the contents of readable pages, the protection of every page as the
 * kernel sees it (EFAULT) and which pages are mapped (madvise ENOMEM). After each seed the
 * invariant checker of the whole stack runs ({@code LibOs.checkInvariants}: VMAs ↔ chunks ↔
 * free space ↔ commit tracker ↔ EPCM ↔ page contents, platform and cgroup counters).
 *
 * <p>Seeds: {@code -Dos.vm.seed=N} replays seed N ({@code -Dos.vm.seeds=K} runs K seeds from
 * there); the default is fixed per matrix cell. The seed is in every failure message.
 */
class VmModelTest extends OsTestBase {
    static final long PAGE = Mman.PAGE_SIZE;
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    private static final int[] PROTS = {Mman.PROT_NONE, Mman.PROT_READ, RW};
    /** Pages of the window in which fixed mappings, munmap, mprotect and remap targets are chosen. */
    private static final int WINDOW = 192;
    private static final int STEPS = 400;
    /** {@code -Dos.vm.trace=true}: the guest prints every operation. */
    private static final boolean TRACE = Boolean.getBoolean("os.vm.trace");
    /** Pages of the file the sequences map privately. */
    private static final int FILE_PAGES = 32;

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void randomSequencesAgreeWithAPageMap(Matrix m) throws Exception {
        sequences(os(m), m, m.toString(), 0x0517L * 1000 + m.ordinal() * 7L);
    }

    /**
     * EDMM with 1MB of reserved memory: every mapping lives in the user region, committed on
     * demand (EAUG/EACCEPT), permission changes through EMODPR/EMODPE, large frees trimmed.
     */
    @Test
    void randomSequencesInTheEdmmUserRegion() throws Exception {
        Booted os = boot("user-region", Matrix.EDMM_ON_SGX2, PLATFORM, b -> b.set("resource_limits.user_space_size", "1MB"));
        long eaug = os.os.count(io.jocclum.sgx.cost.CostEvent.EAUG);
        sequences(os, Matrix.EDMM_ON_SGX2, "EDMM user region", 0x0517L * 1000 + 99);
        assertThat(os.os.count(io.jocclum.sgx.cost.CostEvent.EAUG)).as("pages committed on demand").isGreaterThan(eaug);
        assertThat(os.os.count(io.jocclum.sgx.cost.CostEvent.EMODPR)).as("permissions restricted in the EPCM").isPositive();
    }

    private void sequences(Booted os, Matrix m, String cell, long defaultSeed) throws Exception {
        long base = Long.getLong("os.vm.seed", defaultSeed);
        int seeds = Integer.getInteger("os.vm.seeds", 3);
        java.util.Map<String, Integer> coverage = new java.util.TreeMap<>();
        for (long seed = base; seed < base + seeds; seed++) {
            long s = seed;
            String replay = "seed " + s + " on " + cell + " (replay with -Dos.vm.seed=" + s + ")";
            System.out.println("VmModelTest: " + replay);
            Booted.Result r = os.run((sys, argv, envp) -> new Guest(sys, s, replay).run());
            if (TRACE) {
                System.out.println(r.out());
            }
            assertThat(r.status()).as("%s; stderr: %s", replay, r.err()).isZero();
            r.out().lines().filter(l -> l.startsWith("coverage ")).forEach(l -> {
                for (String kv : l.substring(9).split(" ")) {
                    String[] x = kv.split("=");
                    coverage.merge(x[0], Integer.parseInt(x[1]), Integer::sum);
                }
            });
            try {
                os.os.checkInvariants();
            } catch (IllegalStateException e) {
                throw new AssertionError(replay + ": " + e.getMessage(), e);
            }
        }
        System.out.println("coverage " + cell + ": " + coverage);
        // every kind of outcome was reached, so the sequences exercise what they claim to
        assertThat(coverage).as("outcomes over seeds %d..%d on %s", base, base + seeds - 1, cell)
                .containsKeys("mmap", "fixed", "noreplace-eexist", "munmap", "mprotect", "mprotect-enomem", "mremap-move",
                        "mremap-in-place", "mremap-fixed", "mremap-shrink", "brk", "store", "mmap-file", "dontneed",
                        "dontneed-enomem");
    }

    /** What the model knows of one page. */
    record Page(int prot, long tag, int origin, long fileOff) {
        Page(int prot, long tag, int origin) {
            this(prot, tag, origin, -1);
        }

        /** Same mapping as {@code o} (never true for the heap, origin -1, which this test does not remap). */
        boolean equalsOrigin(Page o) {
            return o != null && origin != -1 && o.origin == origin && o.prot == prot;
        }
    }

    /** The guest program: random operations, each checked against the page map. */
    static final class Guest {
        private final Syscalls sys;
        private final SplittableRandom rnd;
        private final String replay;
        private final TreeMap<Long, Page> pages = new TreeMap<>();
        private final List<Long> heapPages = new ArrayList<>();
        private int origins;
        private long window;
        private long brkStart;
        private long brk;
        private int step;
        private String op = "start";
        private int scratchFd;
        private int fileFd;
        private final Map<String, Integer> coverage = new TreeMap<>();

        private void hit(String what) {
            coverage.merge(what, 1, Integer::sum);
        }

        Guest(Syscalls sys, long seed, String replay) {
            this.sys = sys;
            this.rnd = new SplittableRandom(seed);
            this.replay = replay;
        }

        int run() {
            window = sys.mmap(0, WINDOW * PAGE, Mman.PROT_NONE, ANON, -1, 0);
            sys.munmap(window, WINDOW * PAGE);
            brkStart = sys.brk(0);
            brk = brkStart;
            scratchFd = sys.open("/tmp/model-" + sys.getpid(), OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.ftruncate(scratchFd, PAGE);
            // the file mapped privately: page i holds fileTag(i) at its start and fileTag(i) * 31 at its end
            fileFd = sys.open("/tmp/model-file-" + sys.getpid(), OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            long one = sys.mmap(0, PAGE, RW, ANON, -1, 0);
            for (long i = 0; i < FILE_PAGES; i++) {
                sys.storeLong(one, fileTag(i * PAGE));
                sys.storeLong(one + PAGE - 8, fileTag(i * PAGE) * 31);
                sys.pwrite(fileFd, one, PAGE, i * PAGE);
            }
            sys.munmap(one, PAGE);
            for (step = 0; step < STEPS; step++) {
                switch (rnd.nextInt(11)) {
                    case 0 -> mmapAnywhere();
                    case 9 -> mmapFile();
                    case 10 -> dontneed();
                    case 1, 2 -> mmapFixed();
                    case 3 -> munmap();
                    case 4 -> mprotect();
                    case 5 -> mremap();
                    case 6 -> brk();
                    default -> store();
                }
                if (TRACE) {
                    io.jocclum.api.Libc.puts(sys, "step " + step + ": " + op);
                }
                sample();
            }
            op = "final check";
            checkAll();
            for (long p : new ArrayList<>(pages.keySet())) {
                sys.munmap(p, PAGE);
            }
            sys.brk(brkStart);
            sys.close(scratchFd);
            sys.unlink("/tmp/model-" + sys.getpid());
            sys.close(fileFd);
            sys.unlink("/tmp/model-file-" + sys.getpid());
            StringBuilder line = new StringBuilder("coverage");
            coverage.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
            io.jocclum.api.Libc.puts(sys, line.toString());
            return 0;
        }

        private AssertionError fail(String what) {
            return new AssertionError(replay + " step " + step + " " + op + ": " + what);
        }

        private void expect(boolean ok, String what) {
            if (!ok) {
                throw fail(what);
            }
        }

        private long windowPage() {
            return window + rnd.nextInt(WINDOW) * PAGE;
        }

        private boolean anyMapped(long a, long n) {
            return n > 0 && !pages.subMap(a, true, a + (n - 1) * PAGE, true).isEmpty();
        }

        private boolean allMapped(long a, long n) {
            return pages.subMap(a, true, a + (n - 1) * PAGE, true).size() == n;
        }

        private void removeRange(long a, long n) {
            if (n > 0) {
                pages.subMap(a, true, a + (n - 1) * PAGE, true).clear();
            }
        }

        private void putZero(long a, long n, int prot) {
            int o = ++origins;
            for (long i = 0; i < n; i++) {
                pages.put(a + i * PAGE, new Page(prot, 0, o, -1));
            }
        }

        private Errno errno(Runnable r) {
            try {
                r.run();
                return null;
            } catch (ErrnoException e) {
                return e.errno();
            }
        }

        /** What a page {@code i} pages after {@code p} in the same mapping holds when the mapping grows over it. */
        private static Page grown(Page p, long i) {
            if (p.fileOff() < 0) {
                return new Page(p.prot(), 0, p.origin(), -1);
            }
            long off = p.fileOff() + i * PAGE;
            return new Page(p.prot(), fileTag(off), p.origin(), off);
        }

        /** The tag of the file page at {@code off}; 0 beyond end of file (modelled as zero pages, docs/vm.md). */
        private static long fileTag(long off) {
            return off < FILE_PAGES * PAGE ? 0xF11E0000L + off / PAGE : 0;
        }

        private void mmapFile() {
            long n = 1 + rnd.nextInt(8);
            long off = rnd.nextInt(FILE_PAGES + 2) * PAGE;
            int prot = PROTS[rnd.nextInt(3)];
            boolean fixed = rnd.nextBoolean();
            long at = fixed ? window + rnd.nextInt(WINDOW - 8) * PAGE : 0;
            op = "mmap file private offset " + off + " " + n + " pages prot " + prot + (fixed ? " MAP_FIXED 0x" + Long.toHexString(at) : "");
            long a = sys.mmap(at, n * PAGE, prot, Mman.MAP_PRIVATE | (fixed ? Mman.MAP_FIXED : 0), fileFd, off);
            expect(!fixed || a == at, "returned 0x" + Long.toHexString(a));
            expect(fixed || !anyMapped(a, n), "placed over a live mapping at 0x" + Long.toHexString(a));
            removeRange(a, n);
            int o = ++origins;
            for (long i = 0; i < n; i++) {
                pages.put(a + i * PAGE, new Page(prot, fileTag(off + i * PAGE), o, off + i * PAGE));
            }
            hit("mmap-file");
        }

        /** MADV_DONTNEED: anonymous pages become zero, private file pages show the file again; ENOMEM over holes (after doing the rest). */
        private void dontneed() {
            long a = rnd.nextBoolean() || pages.isEmpty() ? windowPage() : randomMapped();
            long n = 1 + rnd.nextInt(6);
            op = "MADV_DONTNEED 0x" + Long.toHexString(a) + " " + n + " pages";
            Errno e = errno(() -> sys.madvise(a, n * PAGE, Mman.MADV_DONTNEED));
            expect(e == (allMapped(a, n) ? null : Errno.ENOMEM), "gave " + e);
            for (long i = 0; i < n; i++) {
                Page p = pages.get(a + i * PAGE);
                if (p != null) {
                    pages.put(a + i * PAGE, new Page(p.prot(), p.fileOff() < 0 ? 0 : fileTag(p.fileOff()), p.origin(), p.fileOff()));
                }
            }
            hit(e == null ? "dontneed" : "dontneed-enomem");
        }

        private void mmapAnywhere() {
            long n = 1 + rnd.nextInt(16);
            int prot = PROTS[rnd.nextInt(3)];
            op = "mmap(0, " + n + " pages, prot " + prot + ")";
            long a = sys.mmap(0, n * PAGE, prot, ANON, -1, 0);
            expect(a % PAGE == 0, "unaligned result " + a);
            expect(!anyMapped(a, n), "placed over a live mapping at 0x" + Long.toHexString(a));
            putZero(a, n, prot);
            hit("mmap");
        }

        private void mmapFixed() {
            long a = windowPage();
            long n = 1 + rnd.nextInt((int) Math.min(24, (window + WINDOW * PAGE - a) / PAGE));
            int prot = PROTS[rnd.nextInt(3)];
            boolean noreplace = rnd.nextInt(3) == 0;
            op = (noreplace ? "MAP_FIXED_NOREPLACE" : "MAP_FIXED") + " 0x" + Long.toHexString(a) + " " + n + " pages prot " + prot;
            int flags = ANON | (noreplace ? Mman.MAP_FIXED_NOREPLACE : Mman.MAP_FIXED);
            if (noreplace && anyMapped(a, n)) {
                expect(errno(() -> sys.mmap(a, n * PAGE, prot, flags, -1, 0)) == Errno.EEXIST, "expected EEXIST");
                hit("noreplace-eexist");
                return;
            }
            long r = sys.mmap(a, n * PAGE, prot, flags, -1, 0);
            expect(r == a, "returned 0x" + Long.toHexString(r));
            removeRange(a, n);
            putZero(a, n, prot);
            hit("fixed");
        }

        private void munmap() {
            long a = rnd.nextBoolean() || pages.isEmpty() ? windowPage() : randomMapped();
            long n = 1 + rnd.nextInt(12);
            op = "munmap 0x" + Long.toHexString(a) + " " + n + " pages";
            sys.munmap(a, n * PAGE);
            removeRange(a, n);
            hit("munmap");
        }

        private long randomMapped() {
            Long k = pages.ceilingKey(pages.firstKey() + (long) (rnd.nextDouble() * (pages.lastKey() - pages.firstKey())));
            return k == null ? pages.firstKey() : k;
        }

        private void mprotect() {
            long a = rnd.nextBoolean() || pages.isEmpty() ? windowPage() : randomMapped();
            long n = 1 + rnd.nextInt(8);
            int prot = PROTS[rnd.nextInt(3)];
            op = "mprotect 0x" + Long.toHexString(a) + " " + n + " pages prot " + prot;
            if (!allMapped(a, n)) {
                expect(errno(() -> sys.mprotect(a, n * PAGE, prot)) == Errno.ENOMEM, "expected ENOMEM over a hole");
                hit("mprotect-enomem");
                return;
            }
            sys.mprotect(a, n * PAGE, prot);
            hit("mprotect");
            Map<Integer, Integer> renamed = new java.util.HashMap<>();
            for (long i = 0; i < n; i++) {
                Page p = pages.get(a + i * PAGE);
                // pages whose protection did not change stay part of their mapping; the changed part of each
                // mapping becomes a mapping of its own (never one with the changed part of a neighbour: an
                // anonymous and a file mapping do not merge)
                int o = p.origin() == -1 ? -1 : renamed.computeIfAbsent(p.origin(), k -> ++origins);
                pages.put(a + i * PAGE, p.prot() == prot ? p : new Page(prot, p.tag(), o, p.fileOff()));
            }
        }

        /** mremap of a run of pages of one origin (inside one mapping, whatever the merging). */
        private void mremap() {
            if (pages.isEmpty()) {
                return;
            }
            long a = randomMapped();
            Page first = pages.get(a);
            if (first.origin() == -1) {
                return;
            }
            long run = 1;
            while (run < 16 && first.equalsOrigin(pages.get(a + run * PAGE))) {
                run++;
            }
            long n = rnd.nextBoolean() ? run : 1 + rnd.nextInt((int) run); // often the whole run: it may grow in place
            long newN = 1 + rnd.nextInt(24);
            int kind = rnd.nextInt(3);
            op = "mremap 0x" + Long.toHexString(a) + " " + n + " -> " + newN + " pages, kind " + kind;
            if (kind == 2) {
                long t = windowPage();
                if (t + newN * PAGE > window + WINDOW * PAGE || (t < a + n * PAGE && a < t + newN * PAGE)) {
                    return;
                }
                op += " to 0x" + Long.toHexString(t);
                long r = sys.mremap(a, n * PAGE, newN * PAGE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, t);
                expect(r == t, "returned 0x" + Long.toHexString(r));
                moveModel(a, n, t, newN);
                hit("mremap-fixed");
                return;
            }
            int flags = kind == 1 ? Mman.MREMAP_MAYMOVE : 0;
            if (newN <= n) {
                expect(sys.mremap(a, n * PAGE, newN * PAGE, flags, 0) == a, "a shrink stays in place");
                removeRange(a + newN * PAGE, n - newN);
                hit("mremap-shrink");
                return;
            }
            boolean tailTaken = anyMapped(a + n * PAGE, newN - n);
            long r;
            try {
                r = sys.mremap(a, n * PAGE, newN * PAGE, flags, 0);
            } catch (ErrnoException e) {
                // without MAYMOVE Linux may refuse whenever it cannot grow in place; with it, never
                expect(e.errno() == Errno.ENOMEM && flags == 0, "unexpected " + e.errno());
                hit(tailTaken ? "mremap-enomem" : "mremap-enomem-tail-free");
                return;
            }
            expect(flags != 0 || !tailTaken, "grew in place over a live mapping");
            expect(flags != 0 || r == a, "moved without MAYMOVE");
            if (r == a) {
                expect(!tailTaken, "grew in place over a live mapping");
                Page p = pages.get(a);
                for (long i = n; i < newN; i++) {
                    pages.put(a + i * PAGE, grown(p, i));
                }
                hit("mremap-in-place");
            } else {
                expect(!anyMapped(r, newN), "moved over a live mapping (or over itself)");
                moveModel(a, n, r, newN);
                hit(tailTaken ? "mremap-move" : "mremap-move-tail-free");
            }
        }

        private void moveModel(long a, long n, long t, long newN) {
            List<Page> moved = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                moved.add(pages.get(a + i * PAGE));
            }
            removeRange(a, n);
            removeRange(t, newN);
            int o = ++origins;
            Page first = moved.getFirst();
            for (long i = 0; i < newN; i++) {
                Page p = i < n ? moved.get((int) i) : grown(first, i);
                pages.put(t + i * PAGE, new Page(first.prot(), p.tag(), o, p.fileOff()));
            }
        }

        private void brk() {
            long target = brkStart + rnd.nextInt(64 * (int) PAGE);
            op = "brk 0x" + Long.toHexString(target);
            long r = sys.brk(target);
            expect(r == target, "brk returned 0x" + Long.toHexString(r));
            long oldEnd = (brk + PAGE - 1) & -PAGE;
            long newEnd = (target + PAGE - 1) & -PAGE;
            for (long p = newEnd; p < oldEnd; p += PAGE) {
                pages.remove(p);
            }
            for (long p = oldEnd; p < newEnd; p += PAGE) {
                pages.put(p, new Page(RW, 0, -1)); // the heap: never remapped by this test
            }
            brk = target;
            hit("brk");
        }

        private void store() {
            if (pages.isEmpty()) {
                return;
            }
            long a = randomMapped();
            Page p = pages.get(a);
            if (p.prot() != RW) {
                return;
            }
            long tag = rnd.nextLong() | 1;
            op = "store at 0x" + Long.toHexString(a);
            sys.storeLong(a, tag);
            sys.storeLong(a + PAGE - 8, tag * 31);
            pages.put(a, new Page(p.prot(), tag, p.origin(), p.fileOff()));
            hit("store");
        }

        private void sample() {
            for (int i = 0; i < 4 && !pages.isEmpty(); i++) {
                check(randomMapped());
            }
            for (int i = 0; i < 3; i++) {
                long w = windowPage();
                if (!pages.containsKey(w)) {
                    check(w);
                }
            }
        }

        private void checkAll() {
            for (long w = window; w < window + WINDOW * PAGE; w += PAGE) {
                check(w);
            }
            for (Map.Entry<Long, Page> e : pages.entrySet()) {
                check(e.getKey());
            }
        }

        private void check(long a) {
            Page p = pages.get(a);
            String at = "page 0x" + Long.toHexString(a) + " (" + p + ")";
            Errno mapped = errno(() -> sys.madvise(a, PAGE, Mman.MADV_NORMAL));
            if (p == null) {
                expect(mapped == Errno.ENOMEM, at + " should be unmapped, madvise gave " + mapped);
                return;
            }
            expect(mapped == null, at + " should be mapped, madvise gave " + mapped);
            // the kernel reads it (pwrite) unless PROT_NONE, writes it (pread) only if writable
            Errno kread = errno(() -> sys.pwrite(scratchFd, a, 8, 0));
            expect((kread == null) == (p.prot() != Mman.PROT_NONE), at + ": kernel read gave " + kread);
            if (p.prot() == Mman.PROT_NONE) {
                return;
            }
            long v0 = sys.loadLong(a);
            long v1 = sys.loadLong(a + PAGE - 8);
            expect(v0 == p.tag() && v1 == p.tag() * 31, at + ": contents " + v0 + ", " + v1);
            if (p.prot() == RW) {
                // pread copies the same bytes back: contents unchanged, but the kernel wrote the page
                expect(errno(() -> sys.pread(scratchFd, a, 8, 0)) == null, at + ": kernel write failed");
            } else {
                expect(errno(() -> sys.pread(scratchFd, a, 8, 0)) == Errno.EFAULT, at + ": kernel write into read-only memory");
            }
        }
    }
}
