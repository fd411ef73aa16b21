package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many virtual threads access an oversubscribed enclave while ksgxd (a real thread) and an extra
 * reclaimer evict pages under them: no access may see a page mid-eviction, no byte may be lost.
 */
@ExtendWith(SgxInvariantsExtension.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang guard, not a speed assertion
class ConcurrencyTest {
    private static final long HEAP = BASE + 0x2000;

    @Test
    void virtualThreadsWhileKsgxdReclaims() throws Exception {
        long seed = Long.getLong("jocclum.test.seed", 77);
        int threads = 16;
        int pagesPerThread = 48;
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(192).ksgxd(Ksgxd.Mode.THREAD).build());
        long size = SgxTestSupport.pow2((threads * pagesPerThread + 2) * 4096L);
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("mt"), SgxTestSupport.image(size, threads * pagesPerThread));
        EnclaveContext ctx = fd.context();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        Thread reclaimer = Thread.ofVirtual().start(() -> {
            while (!done.get()) {
                p.controller().reclaimGlobal(null);
            }
        });
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(Thread.ofVirtual().start(() -> {
                SplittableRandom rnd = new SplittableRandom(seed * 31 + id);
                long base = HEAP + (long) id * pagesPerThread * 4096;
                byte[] model = new byte[pagesPerThread * 4096];
                byte[] buf = new byte[6000];
                try {
                    start.await();
                    for (int op = 0; op < 1500; op++) {
                        int len = 1 + rnd.nextInt(buf.length);
                        int off = rnd.nextInt(model.length - len);
                        if (rnd.nextBoolean()) {
                            for (int i = 0; i < len; i++) {
                                buf[i] = (byte) rnd.nextInt();
                            }
                            ctx.write(base + off, buf, 0, len);
                            System.arraycopy(buf, 0, model, off, len);
                        } else {
                            ctx.read(base + off, buf, 0, len);
                            if (!Arrays.equals(buf, 0, len, model, off, off + len)) {
                                failures.add("seed " + seed + " thread " + id + " op " + op + ": lost data at +" + off);
                                return;
                            }
                        }
                    }
                    byte[] all = new byte[model.length];
                    ctx.read(base, all, 0, all.length);
                    if (!Arrays.equals(all, model)) {
                        failures.add("seed " + seed + " thread " + id + ": final contents differ");
                    }
                } catch (Throwable e) {
                    failures.add("seed " + seed + " thread " + id + ": " + e);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        done.set(true);
        reclaimer.join();
        assertThat(failures).isEmpty();
        assertThat(p.ksgxd().rounds()).as("ksgxd took part").isPositive();
        fd.close();
    }

    @Test
    void racingEaugAndEacceptOfOnePage() throws Exception {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).ksgxd(Ksgxd.Mode.THREAD).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("race"), SgxTestSupport.image(1 << 22, 0));
        EnclaveContext ctx = fd.context();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger mismatch = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        long addr = BASE + 0x200000;
        for (int i = 0; i < 12; i++) {
            ts.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                int r = ctx.eaccept(addr, SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING));
                (r == 0 ? ok : mismatch).incrementAndGet();
                assertThat(r).isIn(0, SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code());
            }));
        }
        go.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(ok.get()).as("exactly one EACCEPT wins").isEqualTo(1);
        assertThat(mismatch.get()).isEqualTo(11);
        assertThat(fd.enclave().pageCount()).as("one EAUG, the racing faults retried").isEqualTo(3);
        fd.close();
    }

    @Test
    void closingWhileThreadsRunGivesSigbusOnly() throws Exception {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(128).ksgxd(Ksgxd.Mode.THREAD).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("dying"), SgxTestSupport.image(1 << 21, 300));
        EnclaveContext ctx = fd.context();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CountDownLatch running = new CountDownLatch(4);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            ts.add(Thread.ofVirtual().start(() -> {
                running.countDown();
                try {
                    for (int i = 0; ; i++) {
                        ctx.writeLong(HEAP + ((i * 7L + id) % 300) * 4096, i);
                    }
                } catch (EnclaveFault f) {
                    if (f.kind() != EnclaveFault.Kind.SIGBUS) {
                        unexpected.add(f);
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                }
            }));
        }
        running.await();
        fd.close();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(unexpected).isEmpty();
        p.ksgxd().awaitIdle(); // a batch in flight holds the enclave until it ends
        assertThat(p.epcManager().allocator().freePages()).isEqualTo(128);
    }
}
