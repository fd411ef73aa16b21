package io.jocclum.sgx.cost;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Deferred charges ({@link CostAccount#deferCharges}) against the same charges made one by one. */
class CostAccountTest {
    private static final CostEvent[] EVENTS = CostEvent.values();

    /**
     * Seeded: random runs of charges, some deferred (some nested), some not, on one account give
     * the same counts, cycles and clock as the same charges on an account that never defers; the
     * deferring thread's own reads include its deferred charges while the run lasts.
     */
    @Test
    void deferredRunsChargeTheSameTotals() {
        long seed = Long.getLong("jocclum.test.seed", System.nanoTime());
        System.out.println("CostAccountTest seed=" + seed + " (rerun with -Djocclum.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        CostModel model = CostModel.defaults().with(CostEvent.EAUG, 123);
        CycleClock deferringClock = new CycleClock(model);
        CycleClock plainClock = new CycleClock(model);
        CostAccount deferring = new CostAccount("deferring", model, deferringClock);
        CostAccount plain = new CostAccount("plain", model, plainClock);
        for (int run = 0; run < 500; run++) {
            boolean defer = rnd.nextBoolean();
            boolean mine = defer && deferring.deferCharges();
            assertThat(mine).as("seed %d run %d", seed, run).isEqualTo(defer);
            try {
                int n = rnd.nextInt(40);
                for (int i = 0; i < n; i++) {
                    CostEvent e = EVENTS[rnd.nextInt(EVENTS.length)];
                    if (rnd.nextInt(5) == 0) {
                        long times = rnd.nextInt(70);
                        deferring.charge(e, times);
                        plain.charge(e, times);
                    } else {
                        deferring.charge(e);
                        plain.charge(e);
                    }
                    if (rnd.nextInt(10) == 0) {
                        long bytes = rnd.nextInt(10_000);
                        deferring.chargeCopy(bytes);
                        plain.chargeCopy(bytes);
                    }
                    if (mine && rnd.nextInt(8) == 0) {
                        assertThat(deferring.deferCharges()).as("nested").isFalse();
                    }
                    assertThat(deferring.count(e)).as("seed %d run %d: own read of %s", seed, run, e).isEqualTo(plain.count(e));
                }
                assertThat(deferring.cycles()).as("seed %d run %d: own read of the cycles", seed, run).isEqualTo(plain.cycles());
            } finally {
                if (mine) {
                    deferring.addDeferred();
                }
            }
            assertThat(deferring.snapshot().counts()).as("seed %d run %d", seed, run).isEqualTo(plain.snapshot().counts());
            assertThat(deferringClock.cycles()).as("seed %d run %d", seed, run).isEqualTo(plainClock.cycles());
        }
        assertThat(plain.cycles()).isPositive();
    }

    @Test
    void anotherThreadSeesADeferredRunAtItsEndAndChargesAsUsualMeanwhile() throws Exception {
        CostAccount a = new CostAccount("a", CostModel.defaults(), null);
        assertThat(a.deferCharges()).isTrue();
        a.charge(CostEvent.EAUG, 3);
        AtomicReference<long[]> seen = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            boolean deferred = a.deferCharges();
            a.charge(CostEvent.EAUG);
            seen.set(new long[] {deferred ? 1 : 0, a.count(CostEvent.EAUG)});
            done.countDown();
        });
        done.await();
        other.join();
        assertThat(seen.get()).as("the other thread does not defer; it sees its own charge, not the run's").containsExactly(0, 1);
        assertThat(a.count(CostEvent.EAUG)).isEqualTo(4);
        a.addDeferred();
        assertThat(a.count(CostEvent.EAUG)).isEqualTo(4);
        assertThat(a.cycles()).isEqualTo(4 * CostModel.defaults().cycles(CostEvent.EAUG));
        assertThatThrownBy(a::addDeferred).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("charges to a are not deferred by ");
    }
}
