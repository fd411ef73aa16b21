package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random sequences of mmap (any, hint, MAP_FIXED, MAP_FIXED_NOREPLACE), munmap, mprotect, mremap
 * (grow, shrink, move, FIXED, DONTUNMAP), brk, MADV_DONTNEED, loads and stores, by two processes
 * sharing the user space, checked against a page-map reference model: which pages are mapped,
 * with which protection and kind, and what the first 8 bytes of each page hold. The expected
 * errno of every call is predicted by the model; where our placement freedom makes the outcome
 * open (where a mapping lands, whether growth in place fits), the model checks that the outcome
 * is one Linux allows. The seed is printed in every failure; set {@code -Dvm.seed=N} to replay
 * (and {@code -Dvm.seeds=K} to run K seeds from there).
 */
@ParameterizedClass
@EnumSource(Platform.class)
class ModelBasedVmTest extends VmTestBase {
    private static final int STEPS = 1200;
    private static final int[] PROTS = {PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
            PROT_READ | PROT_WRITE | PROT_EXEC};
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    /** What the model knows about a mapped page. */
    record Page(int prot, String kind, long tag) {
    }

    /** One process as the model sees it. */
    final class Proc {
        final ProcessVm vm;
        final GuestMemory mem;
        final TreeMap<Long, Page> pages = new TreeMap<>();
        final long heapStart;
        final long heapEnd;
        long brk;

        Proc(ProcessVm vm, long heapSize) {
            this.vm = vm;
            this.mem = vm.memory(AccessMode.USER);
            for (Mapping m : vm.mappings()) {
                for (long a = m.start(); a < m.end(); a += PAGE) {
                    pages.put(a, new Page(m.prot(), m.kind(), 0));
                }
            }
            heapStart = vm.heapStart();
            heapEnd = heapStart + heapSize;
            brk = heapStart;
        }

        boolean any(long s, long e) {
            return !pages.subMap(s, e).isEmpty();
        }

        boolean all(long s, long e) {
            return pages.subMap(s, e).size() == (e - s) / PAGE;
        }

        void remove(long s, long e) {
            pages.subMap(s, e).clear();
        }

        void fresh(long s, long e, int prot, String kind) {
            for (long a = s; a < e; a += PAGE) {
                pages.put(a, new Page(prot, kind, 0));
            }
        }

        /** End of the logical mapping (same prot and kind, contiguous) that contains {@code a}. */
        long runEnd(long a) {
            Page p = pages.get(a);
            long x = a;
            while (true) {
                Page q = pages.get(x);
                if (q == null || q.prot != p.prot || !q.kind.equals(p.kind)) {
                    return x;
                }
                x += PAGE;
            }
        }
    }

    private final Map<String, Integer> outcomes = new TreeMap<>();

    private void saw(String outcome) {
        outcomes.merge(outcome, 1, Integer::sum);
    }

    private SplittableRandom rnd;
    private long seed;
    private int step;
    private String op;
    private Proc p1;
    private Proc p2;

    private String where() {
        return "seed " + seed + " (replay with -Dvm.seed=" + seed + ") platform " + platform + " step " + step + " op " + op;
    }

    @Test
    void randomSequencesMatchThePageModel() {
        long base = Long.getLong("vm.seed", 0x5EEDL + platform.ordinal() * 1000L);
        int seeds = Integer.getInteger("vm.seeds", 2);
        for (long s = base; s < base + seeds; s++) {
            run(s);
        }
        // the sequences must have reached every kind of outcome the model predicts
        assertThat(outcomes.keySet()).as("seeds %d..%d on %s reached %s", base, base + seeds - 1, platform, outcomes)
                .contains("fixed ok", "fixed ENOMEM", "noreplace EEXIST", "mprotect ok", "mprotect ENOMEM", "mremap grown in place",
                        "mremap moved", "mremap fixed ok", "mremap fixed EINVAL", "mremap EFAULT", "dontunmap ok", "brk grow",
                        "brk shrink", "brk refused", "SEGV_MAPERR", "SEGV_ACCERR", "read tag");
    }

    private void run(long s) {
        seed = s;
        rnd = new SplittableRandom(s);
        for (ProcessVm p : space.processes()) {
            p.exit();
        }
        ProcessVmSpec spec = new ProcessVmSpec(4 * MB, 256 * 1024, List.of());
        p1 = new Proc(space.createProcess(100, spec), 4 * MB);
        p2 = new Proc(space.createProcess(200, spec), 4 * MB);
        try {
            for (step = 0; step < STEPS; step++) {
                Proc me = rnd.nextInt(5) == 0 ? p2 : p1;
                Proc other = me == p1 ? p2 : p1;
                oneStep(me, other);
                if (step % 150 == 149) {
                    compare(p1);
                    compare(p2);
                    checkAll();
                }
            }
            compare(p1);
            compare(p2);
            checkAll();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(where() + ": " + e, e);
        }
        p1.vm.exit();
        p2.vm.exit();
        checkAll();
    }

    private long pages(int max) {
        return (1 + rnd.nextInt(max)) * PAGE;
    }

    private long length() {
        int r = rnd.nextInt(100);
        if (r < 3) {
            return (256 + rnd.nextInt(9000)) * PAGE; // 1-36 MB: single-VMA chunks
        }
        return pages(r < 60 ? 4 : 48);
    }

    /** A page-aligned address: near one of my pages, or anywhere around the user space. */
    private long address(Proc me) {
        UserSpaceLayout l = platform.layout();
        if (!me.pages.isEmpty() && rnd.nextInt(3) > 0) {
            long[] keys = me.pages.keySet().stream().mapToLong(Long::longValue).toArray();
            long k = keys[rnd.nextInt(keys.length)];
            return k + (rnd.nextInt(17) - 8) * PAGE;
        }
        if (rnd.nextInt(4) == 0) {
            return me.heapStart + rnd.nextLong(me.heapEnd - me.heapStart) & ~(PAGE - 1);
        }
        long lo = l.lowest() - 16 * PAGE;
        long hi = l.hasUserRegion() ? Math.min(l.highest(), l.userRegionBase() + 256 * MB) : l.highest();
        return (lo + rnd.nextLong(hi + 16 * PAGE - lo)) & ~(PAGE - 1);
    }

    private boolean userSpace(long s, long e) {
        UserSpaceLayout l = platform.layout();
        for (long a = s; a < e; a += PAGE) {
            if (l.regionOf(a) == null) {
                return false;
            }
        }
        return true;
    }

    /** Pages of [s, e) that the other process holds: its mappings and its unused heap reservation. */
    private boolean foreign(Proc other, long s, long e) {
        return other.any(s, e) || s < other.heapEnd && other.heapStart < e;
    }

    private void oneStep(Proc me, Proc other) {
        int r = rnd.nextInt(100);
        if (r < 22) {
            doMmap(me, other);
        } else if (r < 34) {
            op = "munmap";
            long a = address(me);
            long len = pages(24);
            me.vm.munmap(a, len);
            me.remove(a, a + len);
        } else if (r < 44) {
            doMprotect(me);
        } else if (r < 54) {
            doMremap(me, other);
        } else if (r < 60) {
            doBrk(me);
        } else if (r < 64) {
            doDontneed(me);
        } else if (r < 84) {
            doWrite(me);
        } else {
            doRead(me);
        }
    }

    private void doMmap(Proc me, Proc other) {
        long len = length();
        int prot = PROTS[rnd.nextInt(PROTS.length)];
        int mode = rnd.nextInt(10);
        if (mode < 6) {
            op = "mmap any " + len;
            long a;
            try {
                a = me.vm.mmap(0, len, prot, ANON, null, 0);
            } catch (ErrnoException e) {
                assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
                return;
            }
            placedFreshly(me, other, a, len, prot);
        } else if (mode < 7) {
            long hint = address(me);
            op = "mmap hint 0x" + Long.toHexString(hint) + " " + len;
            long a;
            try {
                a = me.vm.mmap(hint, len, prot, ANON, null, 0);
            } catch (ErrnoException e) {
                assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
                return;
            }
            placedFreshly(me, other, a, len, prot);
        } else {
            boolean noreplace = mode == 9;
            long a = address(me);
            op = (noreplace ? "mmap noreplace 0x" : "mmap fixed 0x") + Long.toHexString(a) + " " + len;
            Errno expected = null;
            if (Long.compareUnsigned(a, ProcessVm.MMAP_MIN_ADDR) < 0) {
                expected = Errno.EPERM;
            } else if (!userSpace(a, a + len)) {
                expected = Errno.ENOMEM;
            } else if (foreign(other, a, a + len)) {
                expected = noreplace ? Errno.EEXIST : Errno.ENOMEM;
            } else if (noreplace && me.any(a, a + len)) {
                expected = Errno.EEXIST;
            }
            int flags = ANON | (noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED);
            if (expected != null) {
                Errno e = errno(() -> me.vm.mmap(a, len, prot, flags, null, 0));
                assertThat(e).isEqualTo(expected);
                saw((noreplace ? "noreplace " : "fixed ") + expected);
                return;
            }
            assertThat(me.vm.mmap(a, len, prot, flags, null, 0)).isEqualTo(a);
            saw(noreplace ? "noreplace ok" : "fixed ok");
            me.remove(a, a + len);
            me.fresh(a, a + len, prot, "mmap");
        }
    }

    private void placedFreshly(Proc me, Proc other, long a, long len, int prot) {
        assertThat(a & (PAGE - 1)).isZero();
        assertThat(userSpace(a, a + len)).as("placed in user space").isTrue();
        assertThat(me.any(a, a + len) || foreign(other, a, a + len)).as("placed over something").isFalse();
        me.fresh(a, a + len, prot, "mmap");
    }

    private void doMprotect(Proc me) {
        long a = address(me);
        long len = pages(24);
        int prot = PROTS[rnd.nextInt(PROTS.length)];
        op = "mprotect 0x" + Long.toHexString(a) + " " + len + " " + prot;
        if (!me.all(a, a + len)) {
            assertThat(errno(() -> me.vm.mprotect(a, len, prot))).isEqualTo(Errno.ENOMEM);
            saw("mprotect ENOMEM");
            return;
        }
        me.vm.mprotect(a, len, prot);
        saw("mprotect ok");
        for (Map.Entry<Long, Page> e : new ArrayList<>(me.pages.subMap(a, a + len).entrySet())) {
            me.pages.put(e.getKey(), new Page(prot, e.getValue().kind, e.getValue().tag));
        }
    }

    private void doMremap(Proc me, Proc other) {
        if (me.pages.isEmpty()) {
            return;
        }
        long[] keys = me.pages.keySet().stream().mapToLong(Long::longValue).toArray();
        long old = keys[rnd.nextInt(keys.length)];
        long runEnd = me.runEnd(old);
        int lenKind = rnd.nextInt(8);
        long oldLen = lenKind < 2 ? pages(8) : lenKind == 2 ? runEnd - old + PAGE : runEnd - old;
        long newLen = rnd.nextInt(3) == 0 ? Math.max(PAGE, oldLen - pages(4)) : oldLen + pages(16);
        int kind = rnd.nextInt(10);
        Page first = me.pages.get(old);
        if (kind < 2) {
            long target = rnd.nextInt(4) == 0 ? old + (rnd.nextInt(9) - 4) * PAGE : address(me);
            op = "mremap fixed 0x" + Long.toHexString(old) + " " + oldLen + " -> 0x" + Long.toHexString(target) + " " + newLen;
            long copy = Math.min(oldLen, newLen);
            Errno expected = null;
            if (old + oldLen > target && target + newLen > old) {
                expected = Errno.EINVAL;
            } else if (old + copy > runEnd) {
                expected = Errno.EFAULT;
            } else if (!userSpace(target, target + newLen) || foreign(other, target, target + newLen)) {
                expected = Errno.ENOMEM;
            }
            if (expected != null) {
                assertThat(errno(() -> me.vm.mremap(old, oldLen, newLen, MREMAP_MAYMOVE | MREMAP_FIXED, target))).isEqualTo(expected);
                saw("mremap fixed " + expected);
                return;
            }
            assertThat(me.vm.mremap(old, oldLen, newLen, MREMAP_MAYMOVE | MREMAP_FIXED, target)).isEqualTo(target);
            saw("mremap fixed ok");
            moveModel(me, old, oldLen, copy, target, newLen, first, false);
            return;
        }
        if (kind < 3) {
            long len = Math.min(oldLen, runEnd - old);
            op = "mremap dontunmap 0x" + Long.toHexString(old) + " " + len;
            long b;
            try {
                b = me.vm.mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
            } catch (ErrnoException e) {
                assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
                return;
            }
            assertThat(me.any(b, b + len) || foreign(other, b, b + len)).isFalse();
            moveModel(me, old, len, len, b, len, first, true);
            saw("dontunmap ok");
            return;
        }
        boolean maymove = kind < 8;
        op = "mremap " + (maymove ? "maymove " : "") + "0x" + Long.toHexString(old) + " " + oldLen + " -> " + newLen;
        int flags = maymove ? MREMAP_MAYMOVE : 0;
        if (newLen <= oldLen) {
            assertThat(me.vm.mremap(old, oldLen, newLen, flags, 0)).isEqualTo(old);
            me.remove(old + newLen, old + oldLen);
            return;
        }
        if (old + oldLen > runEnd) {
            assertThat(errno(() -> me.vm.mremap(old, oldLen, newLen, flags, 0))).isEqualTo(Errno.EFAULT);
            saw("mremap EFAULT");
            return;
        }
        long b;
        try {
            b = me.vm.mremap(old, oldLen, newLen, flags, 0);
        } catch (ErrnoException e) {
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
            return;
        }
        if (b == old) {
            assertThat(old + oldLen).as("grown in place only at the end of the mapping").isEqualTo(runEnd);
            assertThat(me.any(runEnd, old + newLen) || foreign(other, runEnd, old + newLen)).as("grew over something").isFalse();
            me.fresh(runEnd, old + newLen, first.prot, first.kind);
            saw("mremap grown in place");
        } else {
            saw("mremap moved");
            assertThat(maymove).isTrue();
            assertThat(me.any(b, b + newLen) || foreign(other, b, b + newLen)).isFalse();
            moveModel(me, old, oldLen, oldLen, b, newLen, first, false);
        }
    }

    private void moveModel(Proc me, long old, long oldLen, long copy, long target, long newLen, Page first, boolean dontunmap) {
        List<Page> moved = new ArrayList<>();
        for (long a = old; a < old + copy; a += PAGE) {
            moved.add(me.pages.get(a));
        }
        String kind = first.kind.equals("heap") ? "mmap" : first.kind;
        if (dontunmap) {
            for (long a = old; a < old + copy; a += PAGE) {
                me.pages.put(a, new Page(first.prot, first.kind, 0));
            }
        } else {
            me.remove(old, old + oldLen);
        }
        me.remove(target, target + newLen);
        for (int i = 0; i < moved.size(); i++) {
            me.pages.put(target + i * PAGE, new Page(first.prot, kind, moved.get(i).tag));
        }
        me.fresh(target + copy, target + newLen, first.prot, kind);
    }

    private void doBrk(Proc me) {
        long v = me.heapStart - 2 * PAGE + rnd.nextLong(me.heapEnd - me.heapStart + 4 * PAGE);
        if (rnd.nextBoolean()) {
            v &= ~(PAGE - 1);
        }
        long target = v;
        op = "brk 0x" + Long.toHexString(target);
        long oldTop = Pages.up(me.brk);
        long newTop = Pages.up(target);
        long expected;
        if (target < me.heapStart || target > me.heapEnd) {
            expected = me.brk;
        } else if (newTop == oldTop) {
            expected = target;
        } else if (target < me.brk) {
            expected = target;
            me.remove(newTop, oldTop);
            saw("brk shrink");
        } else if (me.any(oldTop, Math.min(me.heapEnd, newTop + PAGE))) {
            expected = me.brk;
            saw("brk refused");
        } else {
            expected = target;
            me.fresh(oldTop, newTop, PROT_READ | PROT_WRITE, "heap");
            saw("brk grow");
        }
        assertThat(me.vm.brk(target)).isEqualTo(expected);
        me.brk = expected;
    }

    private void doDontneed(Proc me) {
        long a = address(me);
        long len = pages(16);
        op = "madvise dontneed 0x" + Long.toHexString(a) + " " + len;
        boolean all = me.all(a, a + len);
        for (Map.Entry<Long, Page> e : new ArrayList<>(me.pages.subMap(a, a + len).entrySet())) {
            me.pages.put(e.getKey(), new Page(e.getValue().prot, e.getValue().kind, 0));
        }
        if (all) {
            me.vm.madvise(a, len, MADV_DONTNEED);
        } else {
            assertThat(errno(() -> me.vm.madvise(a, len, MADV_DONTNEED))).isEqualTo(Errno.ENOMEM);
        }
    }

    private void doWrite(Proc me) {
        long a = address(me);
        long tag = rnd.nextLong() | 1;
        op = "write 0x" + Long.toHexString(a);
        Page p = me.pages.get(a);
        if (p == null) {
            assertThat(signal(() -> me.mem.writeLong(a, tag)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
            saw("SEGV_MAPERR");
        } else if ((p.prot & PROT_WRITE) == 0) {
            assertThat(signal(() -> me.mem.writeLong(a, tag)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
            saw("SEGV_ACCERR");
        } else {
            me.mem.writeLong(a, tag);
            me.pages.put(a, new Page(p.prot, p.kind, tag));
        }
    }

    private void doRead(Proc me) {
        long a = address(me);
        if (rnd.nextBoolean()) {
            long[] written = me.pages.entrySet().stream().filter(e -> e.getValue().tag != 0).mapToLong(Map.Entry::getKey).toArray();
            if (written.length > 0) {
                a = written[rnd.nextInt(written.length)];
            }
        }
        long addr = a;
        op = "read 0x" + Long.toHexString(a);
        Page p = me.pages.get(a);
        if (p == null) {
            assertThat(signal(() -> me.mem.readLong(addr)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
            saw("SEGV_MAPERR");
        } else if (p.prot == PROT_NONE) {
            assertThat(signal(() -> me.mem.readLong(addr)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
            saw("SEGV_ACCERR");
        } else {
            assertThat(me.mem.readLong(addr)).as("contents of 0x%x", addr).isEqualTo(p.tag);
            saw(p.tag != 0 ? "read tag" : "read zero");
        }
    }

    /** Every page the model knows, and only those, is mapped with the model's protection, kind and contents. */
    private void compare(Proc me) {
        op = "compare pid " + me.vm.pid();
        TreeMap<Long, Page> seen = new TreeMap<>();
        for (Mapping m : me.vm.mappings()) {
            for (long a = m.start(); a < m.end(); a += PAGE) {
                seen.put(a, new Page(m.prot(), m.kind(), 0));
            }
        }
        if (!seen.keySet().equals(me.pages.keySet())) {
            TreeMap<Long, Page> extra = new TreeMap<>(seen);
            extra.keySet().removeAll(me.pages.keySet());
            TreeMap<Long, Page> missing = new TreeMap<>(me.pages);
            missing.keySet().removeAll(seen.keySet());
            fail("mapped pages differ: extra " + hexKeys(extra) + " missing " + hexKeys(missing));
        }
        GuestMemory k = me.vm.memory(AccessMode.KERNEL);
        for (Map.Entry<Long, Page> e : me.pages.entrySet()) {
            Page want = e.getValue();
            Page got = seen.get(e.getKey());
            assertThat(got.prot).as("prot of 0x%x", e.getKey()).isEqualTo(want.prot);
            assertThat(got.kind).as("kind of 0x%x", e.getKey()).isEqualTo(want.kind);
            if (want.prot != PROT_NONE) {
                assertThat(k.readLong(e.getKey())).as("contents of 0x%x", e.getKey()).isEqualTo(want.tag);
            }
        }
    }

    private static String hexKeys(TreeMap<Long, Page> m) {
        StringBuilder b = new StringBuilder("[");
        int n = 0;
        for (Long k : m.keySet()) {
            if (n++ == 8) {
                b.append("... ").append(m.size()).append(" pages");
                break;
            }
            b.append("0x").append(Long.toHexString(k)).append(' ');
        }
        return b.append(']').toString();
    }
}
