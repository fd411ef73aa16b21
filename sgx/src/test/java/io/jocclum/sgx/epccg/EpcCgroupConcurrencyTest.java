package io.jocclum.sgx.epccg;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller with real concurrency: ksgxd on its thread, the cgroup work queue on virtual
 * threads, tasks on virtual threads building, faulting, migrating and closing enclaves in limited
 * cgroups while limits change underneath them; enclaves are released while reclaimers hold their
 * pages. Every read must return what its task wrote; afterwards every invariant holds and nothing
 * is charged. Seeded per worker ({@code -Djocclum.test.seed=N}); the interleaving is not.
 */
@ExtendWith(SgxInvariantsExtension.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang guard, not a speed assertion
class EpcCgroupConcurrencyTest {
    private static final List<String> LEAVES = List.of("/a", "/b", "/c", "/d");
    private static final long HEAP = BASE + 0x2000;

    @Test
    void concurrentWorkloadsInLimitedCgroupsKeepTheirDataAndTheAccounts() throws InterruptedException {
        long seed = Long.getLong("jocclum.test.seed", 0xC0C0L);
        EpcCg f = new EpcCg(SgxTestSupport.config(384).ksgxd(Ksgxd.Mode.THREAD).epcCgroup(PlatformConfig.EpcCgroup.V17));
        f.mkdir("/a", 60).mkdir("/b", 100).mkdir("/c", -1).mkdir("/d", 40);
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        int[] refused = new int[1];
        for (int w = 0; w < 6; w++) {
            SplittableRandom rnd = new SplittableRandom(seed + w);
            HostTask t = f.task("w" + w, LEAVES.get(w % LEAVES.size()));
            int id = w;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                    for (int it = 0; it < 12; it++) {
                        f.fs.write(t, LEAVES.get(rnd.nextInt(LEAVES.size())), "cgroup.procs", "0");
                        int heap = 20 + rnd.nextInt(80);
                        EnclaveFd fd;
                        try {
                            fd = SgxTestSupport.load(f.p, t, SgxTestSupport.image(1 << 21, heap));
                        } catch (ErrnoException e) {
                            if (e.errno() != Errno.ENOMEM) {
                                errors.add("w" + id + ": build " + e);
                            }
                            synchronized (refused) {
                                refused[0]++;
                            }
                            continue;
                        }
                        Map<Integer, Long> model = new HashMap<>();
                        EnclaveContext ctx = fd.context();
                        try {
                            for (int k = 0; k < 150; k++) {
                                int page = rnd.nextInt(heap);
                                if (rnd.nextBoolean()) {
                                    long v = rnd.nextLong();
                                    ctx.writeLong(HEAP + page * 4096L, v);
                                    model.put(page, v);
                                } else {
                                    long got = ctx.readLong(HEAP + page * 4096L);
                                    if (got != model.getOrDefault(page, 0L)) {
                                        errors.add("w" + id + " (seed " + (seed + id) + "): page " + page + " read " + got);
                                    }
                                }
                            }
                        } catch (EnclaveFault fault) {
                            if (fault.kind() != EnclaveFault.Kind.SIGBUS) {
                                errors.add("w" + id + ": " + fault);
                            }
                        }
                        fd.close();
                    }
                } catch (InterruptedException | RuntimeException e) {
                    errors.add("w" + id + ": " + e);
                }
            }));
        }
        Thread admin = Thread.ofVirtual().start(() -> {
            SplittableRandom rnd = new SplittableRandom(seed - 1);
            try {
                go.await();
                for (int i = 0; i < 200; i++) {
                    String leaf = LEAVES.get(rnd.nextInt(LEAVES.size()));
                    f.fs.write(leaf, "misc.max", rnd.nextInt(5) == 0 ? "sgx_epc max" : "sgx_epc " + (20 + rnd.nextInt(120)) * 4096);
                    Thread.yield();
                }
            } catch (InterruptedException | RuntimeException e) {
                errors.add("admin: " + e);
            }
        });
        go.countDown();
        for (Thread th : threads) {
            th.join();
        }
        admin.join();
        assertThat(errors).as("seed %d", seed).isEmpty();
        f.p.ksgxd().awaitIdle();
        f.p.controller().runPendingWork();
        assertThat(f.fs.read("/", "misc.current")).as("seed %d: everything uncharged", seed).isEqualTo("sgx_epc 0\n");
        assertThat(f.p.epcManager().reclaimer().evictedPages()).as("seed %d", seed).isPositive();
    }
}
