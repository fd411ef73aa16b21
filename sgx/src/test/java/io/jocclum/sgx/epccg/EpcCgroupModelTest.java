package io.jocclum.sgx.epccg;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.MiscController;
import io.jocclum.sgx.cgroup.MiscResource;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.VirtualEpc;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded random multi-cgroup workloads against a reference model, with the platform's invariants
 * (EPCM ↔ free lists ↔ per-cgroup LRUs ↔ misc counters ↔ VA slots ↔ backing ↔ memcgs) checked
 * after every step. Steps: build an enclave, write and read its pages (faults: ELDU, async reclaim),
 * close it, migrate a task, change a leaf's limit (also below its usage), fault vEPC pages, run
 * background reclaim, reclaim a cgroup, remove and recreate a cgroup holding charges.
 *
 * <p>The reference model holds every enclave's page contents (a read must return the last value
 * written, zero if none) and checks that no step raises a cgroup's usage above its limit
 * (non-preemptive limits: usage may stay above a limit written below it, but never grow there).
 * Outcomes the model cannot predict exactly (ENOMEM at build, SIGBUS at a fault) are allowed only
 * where a limit or the capacity is involved. Limits are placed on leaves only: a parent limit
 * exhausted by one child livelocks another child's fault path in v17 (its async work finds it under
 * its own threshold), which a single-threaded test cannot wait out. Seed printed in every message;
 * {@code -Djocclum.test.seed=N} replays one, {@code -Djocclum.test.ops=N} sets the length.
 */
@ExtendWith(SgxInvariantsExtension.class)
class EpcCgroupModelTest {
    private static final List<String> LEAVES = List.of("/a", "/b", "/p/c", "/p/d", "/f");
    private static final long HEAP = BASE + 0x2000;

    private record Encl(EnclaveFd fd, HostTask owner, int heapPages, Map<Integer, Long> data) {
    }

    @ParameterizedTest(name = "seed base {0}")
    @ValueSource(longs = {1, 2, 3})
    void randomWorkloadsKeepEveryInvariant(long base) {
        long seed = Long.getLong("jocclum.test.seed", 0xC6_0000L + base);
        int ops = Integer.getInteger("jocclum.test.ops", 400);
        SplittableRandom rnd = new SplittableRandom(seed);
        EpcCg f = new EpcCg(384);
        f.mkdir("/a", -1).mkdir("/b", -1).mkdir("/p", -1).mkdir("/p/c", -1).mkdir("/p/d", -1).mkdir("/f", -1);
        List<HostTask> tasks = new ArrayList<>();
        Map<HostTask, String> where = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            String leaf = i == 5 ? "/" : LEAVES.get(i % LEAVES.size());
            HostTask t = f.task("t" + i, leaf);
            tasks.add(t);
            where.put(t, leaf);
        }
        Map<String, Long> limit = new HashMap<>();
        List<Encl> encls = new ArrayList<>();
        List<VirtualEpc> vepcs = new ArrayList<>();
        int[] refused = new int[2]; // ENOMEM builds, SIGBUS faults
        for (int op = 0; op < ops; op++) {
            String msg = "seed " + seed + ", op " + op;
            Map<String, Long> before = usages(f);
            int kind = rnd.nextInt(100);
            if (kind < 12 && encls.size() < 6) {
                HostTask t = tasks.get(rnd.nextInt(tasks.size()));
                int heap = 1 + rnd.nextInt(120);
                try {
                    encls.add(new Encl(SgxTestSupport.load(f.p, t, SgxTestSupport.image(1 << 21, heap)), t, heap,
                            new HashMap<>()));
                } catch (ErrnoException e) {
                    assertThat(e.errno()).as(msg).isEqualTo(Errno.ENOMEM);
                    refused[0]++;
                    assertThat(limited(f, where.get(t)) || nearCapacity(f)).as(msg + ": ENOMEM without a limit").isTrue();
                }
            } else if (kind < 50 && !encls.isEmpty()) {
                Encl e = encls.get(rnd.nextInt(encls.size()));
                int page = rnd.nextInt(e.heapPages());
                long v = rnd.nextLong();
                try {
                    if (rnd.nextBoolean()) {
                        e.fd().context().writeLong(HEAP + page * 4096L + 8, v);
                        e.data().put(page, v);
                    } else {
                        long got = e.fd().context().readLong(HEAP + page * 4096L + 8);
                        assertThat(got).as(msg + ": page " + page).isEqualTo(e.data().getOrDefault(page, 0L));
                    }
                } catch (EnclaveFault fault) {
                    assertThat(fault.kind()).as(msg).isEqualTo(EnclaveFault.Kind.SIGBUS);
                    refused[1]++;
                    assertThat(limited(f, where.get(e.owner())) || nearCapacity(f)).as(msg + ": SIGBUS without a limit")
                            .isTrue();
                }
            } else if (kind < 58 && !encls.isEmpty()) {
                encls.remove(rnd.nextInt(encls.size())).fd().close();
            } else if (kind < 66) {
                HostTask t = tasks.get(rnd.nextInt(tasks.size()));
                String leaf = LEAVES.get(rnd.nextInt(LEAVES.size()));
                f.fs.write(t, leaf, "cgroup.procs", "0");
                where.put(t, leaf);
            } else if (kind < 78) {
                String leaf = LEAVES.get(rnd.nextInt(LEAVES.size()));
                long pages = rnd.nextInt(4) == 0 ? -1 : rnd.nextInt(200);
                f.fs.write(leaf, "misc.max", pages < 0 ? "sgx_epc max" : "sgx_epc " + pages * 4096);
                limit.put(leaf, pages);
            } else if (kind < 84) {
                if (vepcs.size() < 3 && rnd.nextBoolean()) {
                    vepcs.add(f.p.openVepc(tasks.get(rnd.nextInt(tasks.size())), 32));
                } else if (!vepcs.isEmpty()) {
                    VirtualEpc v = vepcs.get(rnd.nextInt(vepcs.size()));
                    if (rnd.nextInt(4) == 0) {
                        v.close();
                        vepcs.remove(v);
                    } else {
                        v.fault(rnd.nextInt(32), rnd.nextBoolean());
                    }
                }
            } else if (kind < 90) {
                f.p.controller().runPendingWork();
                f.p.ksgxd().wakeUp();
                f.p.ksgxd().runPending();
            } else if (kind < 95) {
                String leaf = LEAVES.get(rnd.nextInt(LEAVES.size()));
                f.ctl.reclaimPages(f.group(leaf), null, 16);
            } else {
                // /f goes away (its charges stay with the dying css) and comes back as a fresh cgroup
                for (HostTask t : tasks) {
                    if (where.get(t).equals("/f")) {
                        f.fs.write(t, "/", "cgroup.procs", "0");
                        where.put(t, "/");
                    }
                }
                f.fs.rmdir("/f");
                f.fs.mkdir("/f");
                limit.remove("/f");
            }
            Map<String, Long> after = usages(f);
            for (String cg : after.keySet()) {
                long max = limitPages(f, cg);
                long b = before.getOrDefault(cg, 0L);
                if (after.get(cg) > Math.max(max, b)) {
                    fail(msg + ": " + cg + " grew to " + after.get(cg) + " pages over its limit " + max + " (was " + b + ")");
                }
            }
            List<String> problems = f.p.checkInvariants();
            assertThat(problems).as(msg).isEmpty();
        }
        long events = 0;
        for (String leaf : LEAVES) {
            events += f.events(leaf);
        }
        assertThat(f.p.epcManager().reclaimer().evictedPages()).as("seed %d: pages were evicted", seed).isPositive();
        assertThat(events).as("seed %d: limits were hit (ENOMEM %d, SIGBUS %d)", seed, refused[0], refused[1]).isPositive();
        for (Encl e : encls) {
            for (Map.Entry<Integer, Long> d : e.data().entrySet()) {
                try {
                    assertThat(e.fd().context().readLong(HEAP + d.getKey() * 4096L + 8)).as("seed %d: final read", seed)
                            .isEqualTo(d.getValue());
                } catch (EnclaveFault fault) {
                    assertThat(limited(f, where.get(e.owner()))).as("seed %d", seed).isTrue();
                }
            }
            e.fd().close();
        }
        vepcs.forEach(VirtualEpc::close);
        assertThat(f.fs.read("/", "misc.current")).as("seed %d: everything uncharged", seed).isEqualTo("sgx_epc 0\n");
    }

    private static Map<String, Long> usages(EpcCg f) {
        Map<String, Long> m = new HashMap<>();
        for (String cg : List.of("/a", "/b", "/p", "/p/c", "/p/d", "/f")) {
            m.put(cg, f.usage(cg));
        }
        return m;
    }

    private static long limitPages(EpcCg f, String cg) {
        long max = f.fs.cgroup(cg).misc().max(MiscResource.SGX_EPC);
        return max == MiscController.MAX ? Long.MAX_VALUE : max / 4096;
    }

    private static boolean limited(EpcCg f, String leaf) {
        return !leaf.equals("/") && limitPages(f, leaf) != Long.MAX_VALUE;
    }

    private static boolean nearCapacity(EpcCg f) {
        return f.usage("/a") + f.usage("/b") + f.usage("/p") + f.usage("/f") + rootOwn(f) >= 384 - 16;
    }

    private static long rootOwn(EpcCg f) {
        return f.fs.cgroup("/").misc().usage(MiscResource.SGX_EPC) / 4096 - f.usage("/a") - f.usage("/b") - f.usage("/p")
                - f.usage("/f");
    }
}
