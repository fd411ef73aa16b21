package io.jocclum.sgx.cgroup;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads charging and uncharging at once while limits change, cgroups come and go and
 * walkers traverse the tree; afterwards every level's usage must equal the charges made at it and
 * below, no successful charge may have left a level over its limit, every failed attempt must be
 * counted exactly once in some events.local, and the invariant checker must pass.
 */
class CgroupConcurrencyTest extends CgroupTestBase {
    private static final int THREADS = 4;
    private static final int OPS = 40_000;
    private static final long CAP = 256 * PAGE;

    private final long seed = Long.getLong("jocclum.test.seed", ThreadLocalRandom.current().nextLong());

    record Held(MiscCgroup cg, long amount) {
    }

    @Test
    void concurrentMiscChargesKeepTheCountersExact() throws Exception {
        misc.setCapacity(SGX_EPC, CAP);
        chain("/a/a1");
        fs.mkdir("/a/a2");
        fs.mkdir("/b");
        fs.write("/b", "cgroup.subtree_control", "+misc");
        fs.write("/a", "misc.max", "sgx_epc " + 96 * PAGE);
        fs.write("/a/a1", "misc.max", "sgx_epc " + 64 * PAGE);
        List<MiscCgroup> targets = List.of(misc.root(), fs.cgroup("/a").misc(), fs.cgroup("/a/a1").misc(),
                fs.cgroup("/a/a2").misc(), fs.cgroup("/b").misc());

        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean chargersDone = new AtomicBoolean();
        AtomicLong failures = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<List<Held>> held = new ArrayList<>();
        List<Thread> chargers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            List<Held> mine = new ArrayList<>();
            held.add(mine);
            SplittableRandom rnd = new SplittableRandom(seed + t);
            chargers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < OPS; i++) {
                        if (mine.isEmpty() || rnd.nextInt(10) < 6) {
                            MiscCgroup cg = targets.get(rnd.nextInt(targets.size()));
                            long amount = PAGE * (1 + rnd.nextInt(4));
                            if (misc.tryCharge(SGX_EPC, cg, amount)) {
                                mine.add(new Held(cg, amount));
                            } else {
                                failures.incrementAndGet();
                            }
                        } else {
                            Held hd = mine.remove(rnd.nextInt(mine.size()));
                            misc.uncharge(SGX_EPC, hd.cg(), hd.amount());
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        Thread admin = Thread.ofPlatform().start(() -> {
            try {
                start.await();
                int round = 0;
                while (!chargersDone.get()) {
                    fs.write("/a/a1", "misc.max", "sgx_epc " + (round % 2 == 0 ? 32 : 64) * PAGE);
                    String path = "/b/tmp" + round;
                    MiscCgroup tmp = fs.mkdir(path).misc();
                    tmp.get();
                    boolean ok = misc.tryCharge(SGX_EPC, tmp, PAGE);
                    if (!ok) {
                        failures.incrementAndGet();
                    }
                    fs.rmdir(path);
                    assertThat(fs.read("/a", "misc.current")).startsWith("sgx_epc ");
                    if (ok) {
                        misc.uncharge(SGX_EPC, tmp, PAGE);
                    }
                    tmp.put();
                    round++;
                }
                fs.write("/a/a1", "misc.max", "sgx_epc " + 64 * PAGE);
            } catch (Throwable e) {
                errors.add(e);
            }
        });
        Thread walker = Thread.ofPlatform().start(() -> {
            try {
                start.await();
                while (!chargersDone.get()) {
                    int n = 0;
                    for (MiscCgroup cg : misc.root().descendantsPre()) {
                        assertThat(cg.peak(SGX_EPC)).isNotNegative();
                        n++;
                    }
                    assertThat(n).isGreaterThanOrEqualTo(5);
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        });
        start.countDown();
        for (Thread t : chargers) {
            t.join();
        }
        chargersDone.set(true);
        admin.join();
        walker.join();
        assertThat(errors).as("seed %d", seed).isEmpty();

        Map<MiscCgroup, Long> local = new IdentityHashMap<>();
        for (List<Held> mine : held) {
            for (Held hd : mine) {
                local.merge(hd.cg(), hd.amount(), Long::sum);
            }
        }
        for (MiscCgroup cg : targets) {
            long expected = 0;
            for (MiscCgroup d : cg.descendantsPre()) {
                expected += local.getOrDefault(d, 0L);
            }
            assertThat(cg.usage(SGX_EPC)).as("seed %d usage of %s", seed, cg).isEqualTo(expected);
            assertThat(cg.peak(SGX_EPC)).as("seed %d", seed).isGreaterThanOrEqualTo(cg.usage(SGX_EPC));
        }
        assertThat(fs.cgroup("/a/a1").misc().usage(SGX_EPC)).as("seed %d", seed).isLessThanOrEqualTo(64 * PAGE);
        assertThat(fs.cgroup("/a").misc().usage(SGX_EPC)).as("seed %d", seed).isLessThanOrEqualTo(96 * PAGE);
        assertThat(misc.root().usage(SGX_EPC)).as("seed %d", seed).isLessThanOrEqualTo(CAP);
        long counted = 0;
        for (MiscCgroup cg : misc.root().descendantsPre()) {
            counted += cg.eventsLocal(SGX_EPC);
        }
        assertThat(counted).as("seed %d: every failed attempt is one events.local", seed).isEqualTo(failures.get());
        assertThat(failures.get()).as("seed %d: the limits were exercised", seed).isPositive();
        CgroupInvariants.check(h);

        for (List<Held> mine : held) {
            for (Held hd : mine) {
                misc.uncharge(SGX_EPC, hd.cg(), hd.amount());
            }
        }
        assertThat(misc.root().usage(SGX_EPC)).isZero();
        assertThat(misc.root().descendantsPre()).hasSize(5);
    }

    @Test
    void concurrentMemoryChargesWithSwapKeepTheCountersExact() throws Exception {
        chain("/g/x");
        fs.mkdir("/g/y");
        fs.write("/g", "memory.max", Long.toString(128 * PAGE));
        fs.write("/g/y", "memory.max", Long.toString(48 * PAGE));
        List<MemCgroup> targets = List.of(fs.cgroup("/g").memory(), fs.cgroup("/g/x").memory(),
                fs.cgroup("/g/y").memory());
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Map<MemCgroup, Long>> held = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Map<MemCgroup, Long> mine = new IdentityHashMap<>();
            held.add(mine);
            SplittableRandom rnd = new SplittableRandom(seed + 100 + t);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < OPS / 4; i++) {
                        MemCgroup m = targets.get(rnd.nextInt(targets.size()));
                        long have = mine.getOrDefault(m, 0L);
                        if (have == 0 || rnd.nextInt(10) < 6) {
                            long n = 1 + rnd.nextInt(8);
                            if (mem.tryChargePages(m, n)) {
                                mine.merge(m, n, Long::sum);
                            }
                        } else {
                            long n = 1 + rnd.nextLong(have);
                            mem.unchargePages(m, n);
                            mine.merge(m, -n, Long::sum);
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        Thread toggler = Thread.ofPlatform().start(() -> {
            try {
                start.await();
                for (int i = 0; i < 200; i++) {
                    mem.setSwapEnabled(i % 2 == 1);
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        });
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        toggler.join();
        assertThat(errors).as("seed %d", seed).isEmpty();
        assertThat(mem.swapEnabled()).isTrue();
        for (MemCgroup m : targets) {
            long expected = 0;
            for (MemCgroup d : m.descendantsPre()) {
                for (Map<MemCgroup, Long> mine : held) {
                    expected += mine.getOrDefault(d, 0L);
                }
            }
            assertThat(m.usagePages() + m.swapPages()).as("seed %d pages of %s", seed, m).isEqualTo(expected);
        }
        CgroupInvariants.check(h);
        for (Map<MemCgroup, Long> mine : held) {
            mine.forEach(mem::unchargePages);
        }
        assertThat(mem.root().usagePages() + mem.root().swapPages()).isZero();
    }
}
